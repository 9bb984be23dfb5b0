# One front door for developer tasks. Every target installs what it needs: Python packages
# into .venv, npm packages into tests/*/node_modules, and Debian packages (below).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# axe-core for the browser tests, pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
# Playwright drives Debian's chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# Debian packages, as CHECK=PACKAGE: CHECK is a program looked up on PATH, or a shared
# library (*.so.*) looked up with ldconfig. PDF output needs Pango (WeasyPrint); the tests
# also need chromium (Playwright drives it), qpdf (PDF checks) and Node.js with npm.
PDF_DEBS := libpango-1.0.so.0=libpango-1.0-0 libpangoft2-1.0.so.0=libpangoft2-1.0-0
TEST_DEBS := $(PDF_DEBS) chromium=chromium qpdf=qpdf node=nodejs npm=npm
APT_GET ?= apt-get
LDCONFIG ?= /sbin/ldconfig

# $(call debs,LIST): install what is missing of LIST with apt-get when running as root;
# otherwise print the one command to run, and fail.
define debs
	@missing=; for need in $(1); do \
	  case $${need%%=*} in \
	    *.so.*) $(LDCONFIG) -p | grep -qF "$${need%%=*} " ;; \
	    *) command -v "$${need%%=*}" >/dev/null ;; \
	  esac || missing="$$missing $${need#*=}"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make: missing Debian packages:$$missing; as root, run:" >&2; \
	  echo "  apt-get update && apt-get install --no-install-recommends$$missing" >&2; \
	  exit 1; \
	fi; \
	echo "make: installing Debian packages:$$missing (apt-get)"; \
	$(APT_GET) update -qq && \
	DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq --no-install-recommends$$missing
endef

.PHONY: render check test lint format golden bench clean debs-pdf debs-test

## debs-pdf: the Debian libraries PDF output needs (Pango), installed when missing
debs-pdf:
	$(call debs,$(PDF_DEBS))

## debs-test: the Debian packages the tests need, installed when missing
debs-test:
	$(call debs,$(TEST_DEBS))

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(AXE): tests/browser/package.json tests/browser/package-lock.json | debs-test
	npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund
	touch $(AXE)

# Mermaid's own parser (and jsdom) for the Mermaid test, pinned in tests/mermaid/package-lock.json.
MERMAID := tests/mermaid/node_modules/mermaid/package.json
$(MERMAID): tests/mermaid/package.json tests/mermaid/package-lock.json | debs-test
	npm ci --prefix tests/mermaid --ignore-scripts --no-audit --no-fund
	touch $(MERMAID)

# Backstage's mkdocs-techdocs-core for tests/test_mkdocs_sites.py, in a venv of its own: it
# pins mkdocs-material, pymdown-extensions and Markdown to versions older than ours.
TECHDOCS := .venv-techdocs/.installed
$(TECHDOCS): pyproject.toml
	test -x .venv-techdocs/bin/python || $(PYTHON) -m venv .venv-techdocs
	.venv-techdocs/bin/python -m pip install --quiet -e . 'mkdocs-techdocs-core==1.7.1'
	touch $(TECHDOCS)

## render: check and render the example incidents into site/
render: $(STAMP) debs-pdf
	$(BIN)/postmortem render incidents/ -o site/

## check: check the example incidents
check: $(STAMP)
	$(BIN)/postmortem check incidents/

## test: the whole test suite, after installing what it needs
test: $(STAMP) debs-test $(AXE) $(MERMAID) $(TECHDOCS)
	$(BIN)/python -m pytest

## lint: ruff, then mypy --strict over postmortem/ ([tool.mypy]), as CI runs it
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## golden: rewrite the golden files from the current output (review the diff!): the
## examples' rendered site (tests/golden/examples/) and the fixtures' expected messages
golden: $(STAMP) debs-pdf
	POSTMORTEM_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden_tree.py tests/test_check_fixtures.py
	git status --short tests/

## bench: time postmortem against the libraries' floor and check-jsonschema (~20 min);
## writes benchmarks/RESULTS.md; then how the cascade layout's cost grows (~1 min).
## Quick smoke runs: .venv/bin/python benchmarks/run.py --quick; benchmarks/layout_growth.py --quick
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/layout_growth.py

clean:
	rm -rf $(VENV) .venv-techdocs site build dist .pytest_cache tests/browser/node_modules tests/browser/screenshots tests/mermaid/node_modules
