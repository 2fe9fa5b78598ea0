# The two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench bench-core bench-crm install setup lint format messages messages-check worker beat clean help

help:
	@echo "make run    - install, migrate, seed demo data, serve http://$(HOST):$(PORT)"
	@echo "make test   - the whole test suite (set DATABASE_URL/REDIS_URL for Postgres/Redis)"
	@echo "make bench  - benchmarks (calibration; route planner on CVRPLIB; CRM scoring at 100k customers / 1M orders)"
	@echo "make lint   - ruff check and format check"
	@echo "make messages - refresh and compile the translation catalogues"
	@echo "make worker / make beat - Celery worker / scheduler (needs REDIS_URL)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo

run: setup
	@echo "Serving http://$(HOST):$(PORT)/ - sign in with one of the demo logins above."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest

bench: install
	$(MAKE) bench-core
	$(BIN)/python manage.py bench_routing
	$(MAKE) bench-crm

# The benchmarks in bench/ (calibration first: pgbench and /healthz through
# gunicorn), JSON under bench/results/ and a Markdown table at the end.
bench-core: install
	-createdb -h 127.0.0.1 -U postgres erp_bench 2>/dev/null
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.run

# Customer scoring on 100,000 customers / 1,000,000 orders (< 60 s on PostgreSQL),
# in a database of its own (BENCH_DATABASE_URL; create it first: createdb erp_bench).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/erp_bench
bench-crm: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_crm_scores --customers 100000 --orders 1000000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete \
		--ignore=.venv --ignore=node_modules --ignore=tests --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

# Fails when a string in the code is missing from the zh-hans catalogue or
# still marked fuzzy (run `make messages` and translate it).
messages-check: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete \
		--ignore=.venv --ignore=node_modules --ignore=tests --ignore=staticfiles
	@missing=$$(msgattrib --untranslated --no-obsolete locale/zh_Hans/LC_MESSAGES/django.po; \
		msgattrib --only-fuzzy --no-obsolete locale/zh_Hans/LC_MESSAGES/django.po); \
	if [ -n "$$missing" ]; then echo "$$missing"; echo "Untranslated or fuzzy strings above."; exit 1; fi

worker: install
	$(BIN)/celery -A erp worker -Q default,alerts,reports,webhooks -l info

beat: install
	$(BIN)/celery -A erp beat -l info

clean:
	rm -rf $(VENV) node_modules staticfiles test-artifacts
