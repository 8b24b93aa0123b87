"""Billing run: one estate of 100,000 units × 3 fee items (property fee by area, a fixed
monthly fee, tiered water from meter readings) on PostgreSQL.

- `billing_run`: seconds of `actions.run_billing` for the month, against a COPY of the very
  same bill rows into a table of the same shape (constraints and indexes included), timed in
  the same run. Target: within 4x.
- `billing_run_memory`: the peak resident memory (MB) of the process during the run, against
  its resident memory just before the run. Target: under 300 MB.

The run is measured in a fresh child process, so that building the test data does not count
towards its peak memory.

    bench/run.sh billing_run                        # the full size
    BENCH_UNITS=10000 bench/run.sh billing_run      # a quick run
"""

from __future__ import annotations

import datetime
import io
import os
import random
import subprocess
import sys
import time
from decimal import Decimal

from bench.harness import report, setup_django

JULY = datetime.date(2025, 7, 1)
AREAS = [Decimal(a) for a in ("58.30", "72.45", "89.50", "96.12", "108.00", "120.00", "135.66", "143.20", "168.88")]


def memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak so far) of this process, in kB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def build(count: int) -> int:
    """An estate with `count` units and three fee items; returns the estate id."""
    from guanjia.billing import actions
    from guanjia.billing.models import FeeItem, MeterReading
    from guanjia.estates.models import Building, Company, Estate, Unit, Zone

    rng = random.Random(7)
    run = int(time.time())
    company = Company.objects.create(name="基准物业", code=f"bill-{run}")
    estate = Estate.objects.create(company=company, name="计费小区", code=f"bill-{run}")
    zones = Zone.objects.bulk_create([Zone(estate=estate, code=code, name=f"{code}区") for code in "ABCDEFGH"])
    per_building = 400
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, code=str(n + 1), floors=34) for n in range(count // per_building + 1)]
    )
    units = []
    for index in range(count):
        building = buildings[index // per_building]
        floor = 1 + (index % per_building) // 12
        number = f"{floor:02d}{index % 12 + 1:02d}"
        roll = rng.random()
        status, delivered = "occupied", datetime.date(2020, 5, 1)
        if roll < 0.10:
            status = "vacant"
        elif roll < 0.15:
            status, delivered = "undelivered", None
        elif roll < 0.20:
            delivered = JULY + datetime.timedelta(days=rng.randrange(31))  # delivered during July
        units.append(
            Unit(
                estate=estate,
                building=building,
                zone=zones[index % len(zones)],
                entrance="1",
                number=number,
                code=f"{building.code}-1-{number}",
                floor=floor,
                area=rng.choice(AREAS),
                house_type="high_rise",
                status=status,
                delivery_date=delivered,
            )
        )
    Unit.objects.bulk_create(units, batch_size=5000)
    fee = actions.create_fee_item(actor=None, estate=estate, code="wyf", name="物业服务费", kind="property_fee")
    actions.set_fee_standard(
        actor=None, fee_item=fee, house_type="high_rise", unit_price="2.85", valid_from=datetime.date(2025, 1, 1)
    )
    parking = actions.create_fee_item(actor=None, estate=estate, code="lj", name="生活垃圾清运费", kind="fixed_monthly")
    actions.set_fee_standard(
        actor=None, fee_item=parking, house_type="high_rise", unit_price="15.00", valid_from=datetime.date(2025, 1, 1)
    )
    water = actions.create_fee_item(actor=None, estate=estate, code="water", name="水费", kind=FeeItem.Kind.METERED)
    actions.set_water_tiers(actor=None, fee_item=water, tiers=[("22", "3.45"), ("30", "4.83"), (None, "5.83")])
    unit_ids = list(Unit.objects.filter(estate=estate).order_by("pk").values_list("pk", flat=True))
    readings = []
    for unit_id in unit_ids:
        previous = Decimal(rng.randrange(0, 200000)) / 100
        readings.append(
            MeterReading(
                unit_id=unit_id,
                fee_item=water,
                period=JULY,
                previous=previous,
                reading=previous + Decimal(rng.randrange(0, 4500)) / 100,
            )
        )
    MeterReading.objects.bulk_create(readings, batch_size=5000)
    return estate.pk


def measure(estate_id: int) -> None:
    """In a fresh process: the run, its peak memory, then the COPY of the same rows."""
    from django.db import connection, transaction

    from guanjia.billing import actions
    from guanjia.billing.actions.plan import BillRow
    from guanjia.billing.models import Bill
    from guanjia.estates.models import Estate

    estate = Estate.objects.get(pk=estate_id)
    connection.ensure_connection()
    before_kb = memory_kb("VmRSS")
    started = time.perf_counter()
    run = actions.run_billing(actor=None, estate=estate, period_start=JULY, batch_size=2000)
    elapsed = time.perf_counter() - started
    peak_kb = memory_kb("VmHWM")
    lines = Bill.objects.filter(estate=estate, period_start=JULY).count()
    assert run.lines_created == lines, (run.lines_created, lines)

    columns = ", ".join((*BillRow._fields, "created_at"))
    data = io.BytesIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            f"COPY (SELECT {columns} FROM billing_bill WHERE estate_id = %s AND period_start = %s) TO STDOUT",  # noqa: S608
            (estate_id, JULY),
        ) as copy:
            for chunk in copy:
                data.write(chunk)
    payload = data.getvalue()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bill_copy")
        cursor.execute("CREATE TABLE bench_bill_copy (LIKE billing_bill INCLUDING ALL)")
    copy_started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY bench_bill_copy ({columns}) FROM STDIN") as copy,
    ):
        for offset in range(0, len(payload), 1 << 20):
            copy.write(payload[offset : offset + (1 << 20)])
    copy_elapsed = time.perf_counter() - copy_started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_bill_copy")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_bill_copy")
    assert copied == lines, (copied, lines)
    print(f"# {lines} bill lines; run {elapsed:.2f} s, COPY {copy_elapsed:.2f} s", file=sys.stderr)
    report("billing_run", elapsed, "s", copy_elapsed)
    report("billing_run_memory", peak_kb / 1024, "MB", before_kb / 1024)


def main() -> None:
    setup_django()
    if len(sys.argv) > 2 and sys.argv[1] == "measure":
        measure(int(sys.argv[2]))
        return
    count = int(os.environ.get("BENCH_UNITS", "100000"))
    estate_id = build(count)
    from django.db import connections

    connections.close_all()
    subprocess.run([sys.executable, "-m", "bench.bench_billing_run", "measure", str(estate_id)], check=True)


if __name__ == "__main__":
    main()
