# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test models calibrate docs lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## demo: create the environment, install, and run the genetic-line phenotypes on the shipped models
demo: $(STAMP)
	$(BIN)/rankl-net phenotypes --out results/phenotypes.csv

## test: install the test extras and run the whole suite on every core, lint and the docs build
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs/_generate.py docs/conf.py
	$(BIN)/python -m pytest -n auto --dist worksteal
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

## models: regenerate the SBML and listings from models/antimony, models/annotations and the fit bounds
models: $(STAMP)
	$(BIN)/rankl-net build

## calibrate: recompute the baseline reference values, then rebuild
calibrate: $(STAMP)
	$(BIN)/rankl-net calibrate
	$(BIN)/rankl-net build

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_phenotypes.py

clean:
	rm -rf $(VENV) results docs/_build
