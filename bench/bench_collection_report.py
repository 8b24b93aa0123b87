"""The company collection-rate report: 当期收缴率 of 100 estates × 12 months from the bills of
100,000 units × 3 fee items (3.6 million bill lines), through
`reports.company_collection_report`, against the bare SQL aggregate it stands on (one GROUP
BY over the same rows) in the same run. Milliseconds, median of several runs. Target: within 2x.

    bench/run.sh collection_report
    BENCH_UNITS=10000 bench/run.sh collection_report   # a quick run
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time

from bench.harness import report, setup_django

FIRST = datetime.date(2025, 1, 1)
LAST = datetime.date(2025, 12, 1)
ESTATES = 100
RUNS = 7

BARE_SQL = """
SELECT b.estate_id, b.period_start, SUM(b.amount), SUM(b.paid_amount)
FROM billing_bill b JOIN estates_estate e ON e.id = b.estate_id
WHERE e.company_id = %s AND b.period_start >= %s AND b.period_start <= %s AND b.status <> 'reversed'
GROUP BY b.estate_id, b.period_start
"""


def build(units: int) -> int:
    """100 estates, their units and three fee items each, and twelve months of bills written
    straight in SQL (amounts by area or fixed, about 85 % paid); returns the company id."""
    from django.db import connection

    from guanjia.billing.models import FeeItem
    from guanjia.estates.models import Building, Company, Estate, Unit

    run = int(time.time())
    company = Company.objects.create(name="报表物业", code=f"report-{run}")
    estates = Estate.objects.bulk_create(
        [Estate(company=company, name=f"小区{n:03d}", code=f"r{run}-{n}") for n in range(ESTATES)]
    )
    per_estate = units // ESTATES
    for estate in estates:
        buildings = Building.objects.bulk_create(
            [Building(estate=estate, code=str(n + 1), floors=30) for n in range(per_estate // 200 + 1)]
        )
        Unit.objects.bulk_create(
            [
                Unit(
                    estate=estate,
                    building=buildings[index // 200],
                    entrance="1",
                    number=f"{index % 200:04d}",
                    code=f"{buildings[index // 200].code}-1-{index % 200:04d}",
                    floor=1 + (index % 200) // 8,
                    area=f"{60 + index % 90}.{index % 100:02d}",
                    house_type="high_rise",
                    status="occupied",
                )
                for index in range(per_estate)
            ],
            batch_size=5000,
        )
        FeeItem.objects.bulk_create(
            [
                FeeItem(estate=estate, code="wyf", name="物业服务费", kind="property_fee"),
                FeeItem(estate=estate, code="lj", name="垃圾清运费", kind="fixed_monthly"),
                FeeItem(estate=estate, code="tc", name="停车管理费", kind="fixed_monthly"),
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO billing_bill (estate_id, unit_id, fee_item_id, period_start, period_end, due_date,
                                      payer, amount, paid_amount, status, basis, created_at)
            SELECT u.estate_id, u.id, f.id, m::date, (m + interval '1 month' - interval '1 day')::date, m::date,
                   'owner', x.amount,
                   CASE WHEN (u.id + f.id + extract(month from m)::int) %% 20 < 17 THEN x.amount
                        ELSE round(x.amount * ((u.id %% 7) / 10.0), 2) END,
                   CASE WHEN (u.id + f.id + extract(month from m)::int) %% 20 < 17 THEN 'paid' ELSE 'open' END,
                   '{}'::jsonb, now()
            FROM estates_unit u
            JOIN estates_estate e ON e.id = u.estate_id AND e.company_id = %s
            JOIN billing_feeitem f ON f.estate_id = u.estate_id
            CROSS JOIN generate_series(%s::date, %s::date, interval '1 month') AS m
            CROSS JOIN LATERAL (
                SELECT CASE f.code WHEN 'wyf' THEN round(u.area * 2.85, 2) WHEN 'lj' THEN 15.00 ELSE 150.00 END
                       AS amount
            ) x
            """,
            [company.pk, FIRST, LAST],
        )
        cursor.execute("ANALYZE billing_bill")
    return company.pk


def median_ms(function) -> float:
    function()  # warm the cache once
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    setup_django()
    from django.db import connection

    from guanjia.billing import reports

    units = int(os.environ.get("BENCH_UNITS", "100000"))
    company_id = build(units)

    def bare() -> list:
        with connection.cursor() as cursor:
            cursor.execute(BARE_SQL, [company_id, FIRST, LAST])
            return cursor.fetchall()

    def full() -> dict:
        return reports.company_collection_report(company_id, FIRST, LAST)

    result = full()
    rows = bare()
    assert len(rows) == sum(len(entry["months"]) for entry in result["estates"]) == ESTATES * 12
    print(f"# {len(rows)} estate-months over {units * 3 * 12} bill lines", file=sys.stderr)
    baseline = median_ms(bare)
    value = median_ms(full)
    report("collection_report", value, "ms", baseline)


if __name__ == "__main__":
    main()
