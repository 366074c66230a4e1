# make run  — install into .venv and start the bot (the sandbox shell when no bot token is set)
# make test — install with test extras and run lint, types and the whole suite
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test

.PHONY: run test lint typecheck pytest bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	@if [ -n "$$TRUNKBOT_BOT_TOKEN" ] || [ -n "$$TRUNKBOT_BOT_TOKEN_FILE" ] || grep -qs '^TRUNKBOT_BOT_TOKEN=.' .env; then \
		exec $(BIN)/trunkbot run; \
	else \
		exec $(BIN)/trunkbot shell; \
	fi

lint: $(TSTAMP)
	$(BIN)/ruff check bot commands webexfake tests bench
	$(BIN)/ruff format --check bot commands webexfake tests bench
	$(BIN)/lint-imports

typecheck: $(TSTAMP)
	$(BIN)/mypy

pytest: $(TSTAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(TSTAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
