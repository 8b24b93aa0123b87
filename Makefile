# Guanjia: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
NAME ?=

.PHONY: run install serve demo migrate translations static test lint typecheck system-packages bench clean openapi

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

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

test: install system-packages lint typecheck
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) -m pytest

bench: install
	./bench/run.sh $(NAME)

clean:
	rm -rf var/static var/*.sqlite3*

openapi: install
	$(PY) -c "import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); \
	from config.api import api; print(json.dumps(api.get_openapi_schema(path_prefix='/api/v1/'), indent=2, sort_keys=True, ensure_ascii=False))" > docs/openapi.json
