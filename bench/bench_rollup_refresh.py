"""Refreshing a month of rollups for 100 estates (the nightly run's monthly part), seconds,
against the bare aggregate SQL it stands on: the very SELECTs the refresh sent, captured and
run again on a cursor with their rows fetched. What the refresh adds is Python's tally of the
grouped rows and the upsert of the rollup rows. Target: within 2x.

Data (bench/world_reports.py, bulk_create): 100 estates × 500 units in 5 zones, 12 months of
bills (600,000 lines), 300 requests per estate this month (30,000) and their ratings.

    bench/run.sh rollup_refresh
    BENCH_UNITS=100 BENCH_REQUESTS=50 bench/run.sh rollup_refresh   # a quick run
"""

from __future__ import annotations

import os
import time

from bench.harness import report, setup_django

ESTATES = int(os.environ.get("BENCH_ESTATES", "100"))
UNITS = int(os.environ.get("BENCH_UNITS", "500"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
RUNS = 3


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.world_reports import analyze, build
    from guanjia.reports import actions
    from guanjia.reports.models import MonthlyRollup

    world = build(
        estates=ESTATES, units_per_estate=UNITS, requests_per_estate=REQUESTS, months=12, code=f"rr{int(time.time())}"
    )
    analyze()
    month = world["month"]

    def refresh() -> None:
        for estate_id in world["estate_ids"]:
            actions.refresh_rollups(estate=estate_id, month=month)

    refresh()  # warm the caches and make the rows, so every timed run is an update
    with CaptureQueriesContext(connection) as captured:
        refresh()
    statements = [query["sql"] for query in captured.captured_queries]
    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]

    def bare() -> None:
        with connection.cursor() as cursor:
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()

    def best_of(function) -> float:
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            function()
            samples.append(time.perf_counter() - started)
        return min(samples)

    rows = MonthlyRollup.objects.filter(estate_id__in=world["estate_ids"], month=month).count()
    print(f"# {len(selects)} aggregate queries per refresh of {ESTATES} estates, {rows} rollup rows", flush=True)
    baseline = best_of(bare)
    value = best_of(refresh)
    report("rollup_refresh", value, "s", baseline)


if __name__ == "__main__":
    main()
