# Siyu (私域): `make run` runs the product, `make test` proves it. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/package.json web/package-lock.json web/vite.config.ts
CONSOLE := src/siyu/web/dist/index.html

.PHONY: run test build lint types migrations-check test-sqlite test-postgres test-browser clean

run: $(VENV)/.base $(CONSOLE)
	$(BIN)/siyu up

test: $(VENV)/.dev $(CONSOLE)
	$(MAKE) lint types migrations-check test-sqlite test-postgres test-browser
	@echo "make test: all checks passed"

build: $(CONSOLE)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9

# The locks in requirements/ pin every package; regenerate them with `make lock`.
$(VENV)/.base: $(VENV)/bin/python requirements/base.txt pyproject.toml
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/base.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.base requirements/dev.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/dev.txt
	@touch $@

lock: $(VENV)/bin/python
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements/base.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements/dev.txt

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(CONSOLE): web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build
	@touch $@

lint: $(VENV)/.dev web/node_modules/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	cd web && npm run --silent typecheck

types: $(VENV)/.dev
	$(BIN)/mypy src

# Models and migrations never drift: migrate a fresh database, then let Alembic compare.
migrations-check: $(VENV)/.dev
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	  export SIYU_DATABASE_URL=sqlite:///$$tmp/check.db SIYU_VAR_DIR=$$tmp SIYU_JOBS_BACKEND=memory && \
	  $(BIN)/alembic upgrade head && $(BIN)/alembic check
	@url=$$($(BIN)/python -m tests.pgdb siyu_migrations_check) && if [ -n "$$url" ]; then \
	  SIYU_DATABASE_URL=$$url SIYU_JOBS_BACKEND=memory $(BIN)/alembic upgrade head && \
	  SIYU_DATABASE_URL=$$url SIYU_JOBS_BACKEND=memory $(BIN)/alembic check; \
	else echo "PostgreSQL not reachable: migrations checked on SQLite only"; fi

test-sqlite: $(VENV)/.dev
	env -u SIYU_TEST_DATABASE_URL $(BIN)/pytest -m "not e2e" -q

# On PostgreSQL when SIYU_TEST_DATABASE_URL is set or a local server answers on 127.0.0.1:5432.
test-postgres: $(VENV)/.dev
	@url=$${SIYU_TEST_DATABASE_URL:-$$($(BIN)/python -m tests.pgdb siyu_test)}; \
	if [ -z "$$url" ]; then echo "PostgreSQL not reachable: set SIYU_TEST_DATABASE_URL to test on it"; \
	else echo "pytest on PostgreSQL"; SIYU_TEST_DATABASE_URL=$$url $(BIN)/pytest -m "not e2e" -q; fi

test-browser: $(VENV)/.dev $(CONSOLE)
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -m e2e -q

clean:
	rm -rf $(VENV) web/node_modules src/siyu/web/dist
