# Guanjia: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
NAME ?=
# Parallel test processes (pytest-xdist); 0 runs the suite in this process.
TEST_WORKERS ?= 2

.PHONY: run install serve demo migrate translations static test test-db lint typecheck system-packages bench clean openapi screenshots

run: install migrate demo static
	./scripts/serve.sh $(HOST) $(PORT)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed node_modules/.installed translations

translations: $(VENV)/.installed
	$(PY) scripts/compile_translations.py

migrate: install
	$(PY) manage.py migrate --noinput -v0

demo: migrate
	$(PY) manage.py load_demo

static: install
	$(PY) manage.py collectstatic --noinput -v0

# Debian packages the browser, PDF and translation tests need (root only; a no-op when present).
system-packages:
	./scripts/system-packages.sh

# Ruff (lint and format) and the import contract (pyproject.toml [tool.importlinter]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	if [ -x $(VENV)/bin/lint-imports ]; then $(VENV)/bin/lint-imports; fi

typecheck: install
	$(VENV)/bin/mypy

# The whole suite: the checks that do not depend on the database, then test-db.
test: lint typecheck test-db

# What depends on the database (DATABASE_URL, SQLite by default): the migrations and pytest,
# in TEST_WORKERS processes; a test class or module stays in one process (its shared fixtures).
test-db: install system-packages
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadscope)

bench: install
	./bench/run.sh $(NAME)

# PNGs of each post's main pages into docs/screenshots/ (the README and docs/guide/ show them):
# the demo in a throwaway database, photographed by the system Chromium at desk and phone size.
screenshots: install
	$(PY) scripts/screenshots.py

clean:
	rm -rf var/static var/*.sqlite3*

openapi: install
	$(PY) -c "import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); \
	from config.api import api; print(json.dumps(api.get_openapi_schema(path_prefix='/api/v1/'), indent=2, sort_keys=True, ensure_ascii=False))" > docs/openapi.json
