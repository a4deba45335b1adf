# activecampaign-segments: every target installs what it needs first, so a fresh
# clone needs nothing but `make demo` or `make test`. `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp
# The generator's post-hooks and Schemathesis look for tools on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install spec generate check-generated lint test clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON) --quiet
	touch $@

install: $(STAMP) ## Create .venv with the project and its pinned dev tools (uv.lock)

spec: install ## Build openapi/segments.json from openapi/upstream + openapi/overlay.yaml
	$(PY) tools/build_spec.py

generate: install ## spec, then regenerate generated/activecampaign_segments_api
	$(PY) tools/generate.py

check-generated: install ## Fail with a diff if openapi/segments.json or generated/ is stale
	$(PY) tools/generate.py --check

lint: install ## ruff check, ruff format --check, mypy --strict on wrapper/, simulator/ and tools/, spec validation, make docs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy tools
	$(BIN)/openapi-spec-validator openapi/segments.json
	$(MAKE) --no-print-directory docs

# Two workers (pytest-xdist): most of the suite waits on rate limits and latency, not CPU,
# so the tests run on both cores of a CI machine; PYTEST_WORKERS=0 runs them in one process.
PYTEST_WORKERS ?= 2

test: lint check-generated ## lint + check-generated + the whole pytest suite
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# Each product area keeps its own targets in mk/<area>.mk (contract, demo, bench, ...).
-include mk/*.mk

clean: ## Remove the virtual environments, caches and reports
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache reports
