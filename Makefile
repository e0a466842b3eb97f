# chaoskit: the two newcomer commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench build sources clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/chaoskit demo

test: $(STAMP)
	$(BIN)/python -m pytest -q --durations=25
	$(MAKE) lint

lint: $(STAMP)
	$(BIN)/ruff check chaoskit tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/sim_bench.py
	$(BIN)/python bench/api_bench.py
	$(BIN)/python bench/proxy_bench.py

# The sdist and the wheel in dist/ (the wheel is built from the sdist, as pip would).
build: $(STAMP)
	$(BIN)/python -m build --outdir dist .

# Regenerate chaoskit/runbook/sources.json from the seed documents (../shared/seeds by default).
sources: $(STAMP)
	$(BIN)/python tools/seed_index.py

clean:
	rm -rf $(VENV) build dist *.egg-info
