#!/usr/bin/env bash
# Run the benchmarks on PostgreSQL: all of them, or one by name (make bench NAME=search_people).
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://root@127.0.0.1:5432/guanjia_bench}
export DJANGO_SETTINGS_MODULE=config.settings
export HUEY_IMMEDIATE=1
db=${DATABASE_URL##*/}
psql -h 127.0.0.1 -U root -d postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
.venv/bin/python manage.py migrate --noinput -v0
names=${1:-$(ls bench/bench_*.py | sed 's|bench/bench_||; s|\.py||')}
for name in $names; do
  .venv/bin/python -m "bench.bench_$name"
done
