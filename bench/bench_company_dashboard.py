"""The company workbench over 100 estates × 12 months: p95 ms of the whole request (Django's
test client in this process: session, the manager's posts in 100 estates, the menu, the
figures from the rollup rows, the page rendered), against reading the rollup rows it shows
directly (the same rows, one SQL query on a cursor, fetched). Target: within 2x and under
300 ms.

The rollup rows are written straight with bulk_create (the estate's row and its five zones'
per month, as the nightly refresh leaves them): the page reads nothing else.

    bench/run.sh company_dashboard
"""

from __future__ import annotations

import os
import random
import time
from decimal import Decimal

from bench.harness import p95_ms, report, setup_django

ESTATES = int(os.environ.get("BENCH_ESTATES", "100"))
MONTHS = 12
ZONES = 5
RUNS = int(os.environ.get("BENCH_RUNS", "200"))

ROWS_SQL = """
SELECT * FROM reports_monthlyrollup
WHERE scope = 'estate' AND month >= %s AND month <= %s AND estate_id = ANY(%s)
"""


def figures(rng: random.Random, scale: int) -> dict:
    receivable = Decimal(rng.randint(200_000, 400_000) * scale) / 100
    rated = rng.randint(20, 80) * scale
    values = {
        "receivable": receivable,
        "received": (receivable * Decimal(rng.randint(70, 99)) / 100).quantize(Decimal("0.01")),
        "arrears": Decimal(rng.randint(10_000, 90_000) * scale) / 100,
        "rated": rated,
        "satisfied": rated - rng.randint(0, rated // 5),
        "opened": rng.randint(50, 200) * scale,
        "complaints": rng.randint(0, 8) * scale,
        "open_now": rng.randint(0, 20) * scale,
        "overdue_now": rng.randint(0, 5) * scale,
        "return_visits_due": rng.randint(0, 10) * scale,
    }
    for step in ("respond", "arrive", "resolve"):
        total = rng.randint(30, 150) * scale
        values[f"{step}_total"] = total
        values[f"{step}_on_time"] = total - rng.randint(0, total // 6)
    return values


def build() -> tuple[list[int], object, list]:
    from django.utils import timezone

    from guanjia.accounts.models import Posting, User
    from guanjia.billing import money
    from guanjia.core.roles import Post
    from guanjia.estates.models import Company, Estate, Zone
    from guanjia.reports.actions import local_today
    from guanjia.reports.models import MonthlyRollup, Scope

    run = int(time.time())
    rng = random.Random(3)
    company = Company.objects.create(name="看板物业", code=f"cd{run}")
    estates = Estate.objects.bulk_create(
        [Estate(company=company, name=f"看板小区{n:03d}", code=f"cd{run}-{n}") for n in range(ESTATES)]
    )
    zones = Zone.objects.bulk_create(
        [Zone(estate=e, code=str(z + 1), name=f"{z + 1}区") for e in estates for z in range(ZONES)]
    )
    manager = User.objects.create_user(username=f"cd{run}-manager", password=None, display_name="总经理")
    Posting.objects.bulk_create([Posting(user=manager, estate=e, post=Post.MANAGER) for e in estates])
    month = local_today().replace(day=1)
    months = [money.add_months(month, -back) for back in range(MONTHS)]
    now = timezone.now()
    rows = []
    for estate in estates:
        for period in months:
            rows.append(
                MonthlyRollup(estate=estate, month=period, scope=Scope.ESTATE, refreshed_at=now, **figures(rng, ZONES))
            )
            for zone in zones[(estate.pk - estates[0].pk) * ZONES : (estate.pk - estates[0].pk + 1) * ZONES]:
                rows.append(
                    MonthlyRollup(
                        estate=estate,
                        month=period,
                        scope=Scope.ZONE,
                        scope_id=zone.pk,
                        refreshed_at=now,
                        **figures(rng, 1),
                    )
                )
    MonthlyRollup.objects.bulk_create(rows, batch_size=5000)
    print(f"# {len(rows)} rollup rows for {ESTATES} estates × {MONTHS} months", flush=True)
    return [e.pk for e in estates], manager, months


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    estate_ids, manager, months = build()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_monthlyrollup")
    client = Client(HTTP_HOST="localhost")
    client.force_login(manager)
    url = reverse("reports:company")
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.content.decode().count("data-estate=") == ESTATES

    def whole_request() -> None:
        assert client.get(url).status_code == 200

    def bare_rows() -> None:
        with connection.cursor() as cursor:
            cursor.execute(ROWS_SQL, [min(months), max(months), estate_ids])
            assert len(cursor.fetchall()) == ESTATES * MONTHS

    baseline = p95_ms(bare_rows, RUNS)
    value = p95_ms(whole_request, RUNS)
    report("company_dashboard", value, "ms", baseline)


if __name__ == "__main__":
    main()
