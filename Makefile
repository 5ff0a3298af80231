# ferrocart: `make dev` runs the whole shop locally, `make test` runs every test.
# The project's own tool (dev/) installs what it needs into .local/ on first use.

CARGO ?= cargo
DEV := $(CARGO) run --quiet --package dev --

.PHONY: help dev test lint template build e2e events deploy-localstack mail install fuzz bench clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

dev: ## the whole shop on http://127.0.0.1:9000 (Ctrl-C stops it)
	$(DEV) up

test: lint template build e2e ## every test: format, lints, template checks, sam build, unit, integration, end-to-end

lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The overrides `make deploy-localstack` deploys with, so that variant is linted too.
LOCALSTACK_PARAMETERS := Stage=local Architecture=x86_64 TableDeletionProtection=false

template: ## cfn-lint + serverless rules (as deployed and as LocalStack's), sam validate --lint, shellcheck
	$(DEV) sam cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
	$(DEV) sam cfn-lint template.yaml --append-rules cfn_lint_serverless.rules --parameters $(LOCALSTACK_PARAMETERS)
	$(DEV) sam validate --lint --region us-east-1 --template-file template.yaml
	$(DEV) sam shellcheck localstack/init/ready.d/*.sh

# `make test` proves every function builds the way SAM deploys it, without the
# full release optimisation (opt-level 3, one codegen unit; no LTO, see
# Cargo.toml) that real deploys and `make bench` pay for. x86_64: arm64 needs a
# Rust target this machine cannot download; `sam build` alone builds arm64, the
# template's default.
build: export CARGO_PROFILE_RELEASE_LTO = false
build: export CARGO_PROFILE_RELEASE_CODEGEN_UNITS = 16
build: export CARGO_PROFILE_RELEASE_OPT_LEVEL = 1
build: ## sam build every function as CI checks it (x86_64, quick release profile)
	$(DEV) sam build --parameter-overrides Architecture=x86_64

e2e: ## start a private local stack, run `cargo test --workspace` against it, stop it
	$(DEV) test --locked

events: ## give events/ fresh fixtures and tokens from the running `make dev` stack
	$(DEV) events

deploy-localstack: ## sam build + deploy to LocalStack with samlocal (needs Docker; localstack/README.md)
	$(DEV) deploy-localstack

fuzz: ## fuzz request parsing and validation, FUZZ_SECONDS (default 60) per target; fails on a crash
	fuzz/run.sh $(FUZZ_TARGETS)

mail: ## print the mail the running local stack sent
	$(DEV) mail

# The target and flags `cargo lambda build` passes (on x86_64 it adds
# target-cpu=haswell): the benchmark is built with the same, so the crates its
# dependency graph shares with the functions are compiled once. `--bin` without
# `--package`, as the functions are built: cargo then resolves features over the
# whole workspace for both, and a crate built with other features is a second build.
HOST := $(shell rustc -vV | sed -n 's/^host: //p')
BENCH_ENV := CARGO_BUILD_TARGET=$(HOST) \
	$(if $(findstring x86_64,$(HOST)),CARGO_BUILD_RUSTFLAGS="-C target-cpu=haswell")

bench: ## build the release bootstraps, measure every function, write BENCHMARKS.md
	$(BENCH_ENV) $(CARGO) run --release --locked --bin bench

install: ## install the emulators and cargo-lambda into .local/
	$(DEV) install

clean: ## remove .local/ (installed tools, local data, keys), target/, .aws-sam/ and the fuzz builds
	rm -rf .local target .aws-sam fuzz/target fuzz/work
