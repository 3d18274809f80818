# One command each: `make demo` (install + run the demo), `make test` (install + run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch: a bare `torch` requirement may pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: install demo test lint bench clean

$(BIN)/genas: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_PIN)"
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(BIN)/genas

demo: install
	$(BIN)/genas demo

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks

bench: install
	$(BIN)/python benchmarks/encode.py
	$(BIN)/python benchmarks/supernet_step.py --quick

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
