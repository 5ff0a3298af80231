# ferrocart: `make dev` runs the whole shop locally, `make test` runs every test.
# The project's own tool (dev/) installs what it needs into .local/ on first use.

CARGO ?= cargo
DEV := $(CARGO) run --quiet --package dev --

.PHONY: help dev test lint template e2e mail install bench clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

dev: ## the whole shop on http://127.0.0.1:9000 (Ctrl-C stops it)
	$(DEV) up

test: lint template e2e ## every test: format, lints, template, unit, integration, end-to-end

lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

template: ## sam validate --lint (the SAM CLI runs from its own venv in .local/)
	$(DEV) sam validate --lint --region us-east-1 --template-file template.yaml

e2e: ## start a private local stack, run `cargo test --workspace` against it, stop it
	$(DEV) test --locked

mail: ## print the mail the running local stack sent
	$(DEV) mail

# The target and flags `cargo lambda build` passes (on x86_64 it adds
# target-cpu=haswell): the benchmark is built with the same, so the crates its
# dependency graph shares with the functions are compiled once.
HOST := $(shell rustc -vV | sed -n 's/^host: //p')
BENCH_ENV := CARGO_BUILD_TARGET=$(HOST) \
	$(if $(findstring x86_64,$(HOST)),CARGO_BUILD_RUSTFLAGS="-C target-cpu=haswell")

bench: ## build the release bootstraps, measure every function, write BENCHMARKS.md
	$(BENCH_ENV) $(CARGO) run --release --locked --package bench --bin bench

install: ## install the emulators and cargo-lambda into .local/
	$(DEV) install

clean: ## remove .local/ (installed tools, local data, keys) and target/
	rm -rf .local target
