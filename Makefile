# Steward — the two commands: `make run` (demo on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Simulated agents `make run` starts against the demo (a living fleet); AGENTS=0 for none.
AGENTS ?= 250

.PHONY: run test lint typecheck unit install install-dev static browser mailserver bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip setuptools wheel

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --silent && touch $@; \
	else \
		echo "npm not found: pages work without htmx (plain links and forms); install Node.js for partial updates"; \
	fi

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

run: export STEWARD_SITE_URL ?= http://$(HOST):$(PORT)
run: export STEWARD_COOKIE_SECURE ?= 0
run: install
	$(BIN)/steward migrate
	$(BIN)/steward demo --if-empty
	$(BIN)/steward serve --host $(HOST) --port $(PORT) --with-worker --simulate $(AGENTS)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "Chromium missing: run 'sudo apt-get install chromium' for the browser tests"; fi; \
	fi

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-dev
	$(BIN)/mypy

# Debian's Dovecot for the IMAP tests (a real server process, started per test worker).
mailserver:
	@scripts/install-mailserver.sh

unit: install-dev browser mailserver
	STEWARD_TEST_DATABASE_URL= $(BIN)/pytest -n 2 -p no:cacheprovider
	@if [ -n "$$STEWARD_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$STEWARD_TEST_DATABASE_URL) =="; \
		$(BIN)/pytest -n 2 -p no:cacheprovider; \
	fi

test: lint typecheck unit

# Benchmarks print a table and one JSON line each; figures go to docs/benchmarks.md.
# Set STEWARD_BENCH_DATABASE_URL=postgresql://… to run them on PostgreSQL as well.
bench: install-dev
	$(BIN)/python bench/web_lists.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
