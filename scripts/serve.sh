#!/usr/bin/env bash
# Serve with the production WSGI server and the job worker beside it; stop both together.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
.venv/bin/python manage.py run_huey --workers 2 --worker-type thread &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Guanjia: http://$host:$port/  (secrets: var/secrets.json, owner-only; demo logins, if loaded: docs/demo-logins.md)"
.venv/bin/gunicorn config.wsgi:application --bind "$host:$port" --workers "${WEB_WORKERS:-3}" \
  --access-logfile - --timeout 120
