# factcheck — two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

# make test runs against the machine's PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: run serve install test lint format bench migrate seeds worker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# With nothing configured: SQLite in ./db.sqlite3, tasks run in process, DEBUG on.
# With CELERY_BROKER_URL set: a Celery worker and beat run beside the web server.
run: $(STAMP)
	@export DEBUG=$${DEBUG:-1}; \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py load_seeds && \
	echo "" && \
	echo "  Admin:  http://127.0.0.1:$(PORT)/admin/   (reviewer / editor, password above)" && \
	echo "  API:    http://127.0.0.1:$(PORT)/api/v1/   docs: http://127.0.0.1:$(PORT)/api/docs/" && \
	echo "" && \
	if [ -n "$${CELERY_BROKER_URL:-}" ]; then \
	  trap 'kill 0' EXIT INT TERM; \
	  $(BIN)/celery -A factcheck worker --loglevel=INFO --concurrency=$${CELERY_CONCURRENCY:-2} -Q $${CELERY_QUEUES:-default,fetch,pipeline,delivery} & \
	  $(BIN)/celery -A factcheck beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule & \
	  $(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	else \
	  $(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	fi

worker: $(STAMP)
	$(BIN)/celery -A factcheck worker --loglevel=INFO

test: $(STAMP)
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	SECRET_KEY=test-secret-key-not-for-production-0123456789abcdef DEBUG=0 SECURE_SSL_REDIRECT=0 \
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@if ls tests/benchmarks/bench_*.py >/dev/null 2>&1; then \
	  for b in tests/benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done; \
	else echo "No benchmarks yet (tests/benchmarks/bench_*.py)."; fi

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache db.sqlite3
