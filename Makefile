# chaoskit: the two newcomer commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

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

clean:
	rm -rf $(VENV) build *.egg-info
