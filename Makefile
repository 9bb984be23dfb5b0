# One front door for developer tasks. Every target installs what it needs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# axe-core for the browser tests, pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
# Playwright drives Debian's chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: render check test lint format golden bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund
	touch $(AXE)

# Mermaid's own parser (and jsdom) for the Mermaid test, pinned in tests/mermaid/package-lock.json.
MERMAID := tests/mermaid/node_modules/mermaid/package.json
$(MERMAID): tests/mermaid/package.json tests/mermaid/package-lock.json
	npm ci --prefix tests/mermaid --ignore-scripts --no-audit --no-fund
	touch $(MERMAID)

## render: check and render the example incidents into site/
render: $(STAMP)
	$(BIN)/postmortem render incidents/ -o site/

## check: check the example incidents
check: $(STAMP)
	$(BIN)/postmortem check incidents/

## test: the whole test suite
test: $(STAMP) $(AXE) $(MERMAID)
	$(BIN)/python -m pytest

## lint: ruff, as CI runs it
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## golden: rewrite the golden files from the current output (review the diff!)
golden: $(STAMP) $(AXE) $(MERMAID)
	POSTMORTEM_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q
	git status --short tests/

## bench: time postmortem against the libraries' floor and check-jsonschema (~20 min);
## writes benchmarks/RESULTS.md; then how the cascade layout's cost grows (~1 min).
## Quick smoke runs: .venv/bin/python benchmarks/run.py --quick; benchmarks/layout_growth.py --quick
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/layout_growth.py

clean:
	rm -rf $(VENV) site build dist .pytest_cache tests/browser/node_modules tests/browser/screenshots tests/mermaid/node_modules
