# One front door for developer tasks. Every target installs what it needs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: render check test lint format golden bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## render: check and render the example incidents into site/
render: $(STAMP)
	$(BIN)/postmortem render incidents/ -o site/

## check: check the example incidents
check: $(STAMP)
	$(BIN)/postmortem check incidents/

## test: the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## lint: ruff, as CI runs it
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## golden: rewrite the golden files from the current output (review the diff!)
golden: $(STAMP)
	POSTMORTEM_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q
	git status --short tests/

clean:
	rm -rf $(VENV) site build dist .pytest_cache
