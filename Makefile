# ferrocart: `make dev` runs the whole shop locally, `make test` runs every test.
# The project's own tool (dev/) installs what it needs into .local/ on first use.

CARGO ?= cargo
DEV := $(CARGO) run --quiet --package dev --

.PHONY: help dev test lint template e2e mail install fuzz clean

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

fuzz: ## fuzz request parsing and validation, FUZZ_SECONDS (default 60) per target; fails on a crash
	fuzz/run.sh $(FUZZ_TARGETS)

mail: ## print the mail the running local stack sent
	$(DEV) mail

install: ## install the emulators and cargo-lambda into .local/
	$(DEV) install

clean: ## remove .local/ (installed tools, local data, keys) and target/
	rm -rf .local target fuzz/target fuzz/work
