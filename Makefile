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

.PHONY: run serve install test lint audit format bench soak migrate seeds worker clean

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

# Known vulnerabilities in the installed packages (pip-audit, PyPI's data). Fails only for
# one with a fix to upgrade to; says plainly when the service could not be asked.
audit: $(STAMP)
	$(BIN)/python .ci/audit.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# make bench: the `bench` extra (locust), then every tests/benchmarks/bench_*.py, then
# BENCHMARKS.md from their build/bench/*.json. The first run builds the 1,000,000-claim
# corpus in the factcheck_bench database (BENCH_DATABASE_URL; BENCH_CLAIMS for another size)
# and later runs reuse it. Not part of `make test`.
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@mkdir -p build/bench
	@for b in tests/benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	$(BIN)/python tests/benchmarks/report.py

# make soak: the long form of tests/reliability/test_soak.py (mixed load on gunicorn with a
# real worker); figures in build/soak.json. Not part of `make test`, which runs a short form.
SOAK_SECONDS ?= 300
SOAK_CLIENTS ?= 16
soak: $(STAMP)
	@mkdir -p build
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	SECRET_KEY=test-secret-key-not-for-production-0123456789abcdef DEBUG=0 SECURE_SSL_REDIRECT=0 \
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_CLIENTS=$(SOAK_CLIENTS) SOAK_REPORT=build/soak.json \
	$(BIN)/pytest -p no:cacheprovider tests/reliability/test_soak.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache db.sqlite3
