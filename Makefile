# Two jobs: `make run` builds every recipe under builds/ into exports/, `make test` runs the tests.
# Both create .venv when it is missing and reinstall only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RECIPES := $(wildcard builds/flip-chip/*.toml builds/cavity/*.toml)

.PHONY: run test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pkgcad build $(RECIPES) -o exports

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) exports/*/
