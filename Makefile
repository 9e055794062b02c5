# Zelfzorg: `make run` serves the demo, `make test` runs every check. Nothing else is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/zelfzorg_test
export FLASK_APP := wsgi

.PHONY: run smoke test lint test-sqlite test-postgres translations system-deps bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

translations: $(VENV)/.installed
	$(BIN)/python -m zelfzorg.i18n_catalogs compile

# Alembic creates what a fresh clone lacks (instance/, or an empty PostgreSQL database).
run: $(VENV)/.installed translations
	$(BIN)/alembic upgrade head
	$(BIN)/flask --app wsgi zelfzorg demo --if-empty
	@echo "Zelfzorg runs on http://$(HOST):$(PORT)  (stop with Ctrl+C)"
	ZELFZORG_ENV=development SCHEDULER_ENABLED=1 $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

system-deps:
	bash scripts/system-deps.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The suites start many Python processes (CLI, jobs, gunicorn workers, the load test): they
# keep the bytecode of what they import (__pycache__/, ignored by git) even where the
# environment says PYTHONDONTWRITEBYTECODE, instead of compiling every module again each time.
TEST_ENV := PYTHONDONTWRITEBYTECODE=

test-sqlite: $(VENV)/.installed translations
	$(TEST_ENV) TEST_DATABASE_URL=sqlite $(BIN)/python -m pytest

test-postgres: $(VENV)/.installed translations
	@if [ "$${SKIP_POSTGRES:-0}" = "1" ]; then \
	  echo "SKIP_POSTGRES=1: PostgreSQL run skipped on request."; \
	else \
	  bash scripts/check-postgres.sh "$${TEST_DATABASE_URL:-$(PG_TEST_URL)}" && \
	  $(TEST_ENV) TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$(PG_TEST_URL)}" $(BIN)/python -m pytest; \
	fi

# The two suites use separate databases (a temporary SQLite file, the PostgreSQL test database)
# and run side by side on the two cores; each one's output is printed whole when it ends.
test: system-deps $(VENV)/.installed translations lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

# The README's `make run` from a fresh clone of HEAD, checked over HTTP (see the script).
smoke:
	bash scripts/smoke-run.sh

clean:
	rm -rf $(VENV) instance/*.db*

bench: $(VENV)/.installed translations
	$(BIN)/python -m bench $(BENCH_ARGS)
