# chaoskit: the two newcomer commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench build sources clean messages

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
# Message catalogues: extract every marked string into the template, merge it into each language's
# .po (a new language: $(BIN)/pybabel init -D chaoskit -i $(LOCALE)/chaoskit.pot -d $(LOCALE) -l ko),
# and compile the .mo files that ship (tests/test_i18n.py fails when any of them is stale).
LOCALE := chaoskit/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k _ -k N_ -k ngettext:1,2 \
		--add-comments=TRANSLATORS: --project chaoskit --copyright-holder "chaoskit authors" \
		--msgid-bugs-address "" --sort-by-file --width 100 -o $(LOCALE)/chaoskit.pot.new .
	@# keep the committed template when only its creation date would change (no churn, no merge conflicts)
	@if diff -q -I '^"POT-Creation-Date' $(LOCALE)/chaoskit.pot $(LOCALE)/chaoskit.pot.new >/dev/null 2>&1; \
		then rm $(LOCALE)/chaoskit.pot.new; else mv $(LOCALE)/chaoskit.pot.new $(LOCALE)/chaoskit.pot; fi
	$(BIN)/pybabel update -D chaoskit -i $(LOCALE)/chaoskit.pot -d $(LOCALE) --width 100 --ignore-obsolete \
		--ignore-pot-creation-date
	$(BIN)/pybabel compile -D chaoskit -d $(LOCALE) --statistics

clean:
	rm -rf $(VENV) build dist *.egg-info
