# Quick start: `make run` (the explorer) and `make test` (every check). Both set up .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PRIORS ?= priors
PORT ?= 8501
# pytest workers: CI has 2 cores; the score reports still print (tests/reports.py)
WORKERS ?= 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run notebook test check lint typecheck pytest browser-deps bench bench-browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

# Debian's chromium for the real-browser test (never `playwright install`: it downloads).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

run: install
	$(BIN)/streamlit run app/explorer.py --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false -- --priors $(PRIORS)

# JupyterLab from the project's venv, installed on first use (the `notebook` extra).
NOTEBOOK_STAMP := $(VENV)/.notebook-installed
$(NOTEBOOK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench,notebook]'
	touch $(NOTEBOOK_STAMP)

notebook: $(NOTEBOOK_STAMP)
	$(BIN)/jupyter lab notebooks/sensitivity_analysis.ipynb

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install browser-deps
	$(BIN)/pytest -n $(WORKERS)

test: lint typecheck pytest

# The fast inner loop: lint, types, and the tests not marked slow or browser.
check: lint typecheck
	$(BIN)/pytest -q -n $(WORKERS) -m "not slow and not browser"

bench: install
	$(BIN)/python bench/run_benchmarks.py

# Click-to-settled time of the explorer in Debian's chromium (Playwright).
bench-browser: install browser-deps
	$(BIN)/python bench/bench_browser.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
