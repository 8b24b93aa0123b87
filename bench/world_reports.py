"""The data both figures benches stand on: 100 estates of a company, each with its zones,
units, a fee item, a year of monthly bills, a month of requests (deadlines met, missed and
pending), their ratings and a few reversals waiting. Written with bulk_create in big batches
(not through the actions: the benches time the figures, not the intake)."""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.utils import timezone

ZONES = 5
BATCH = 5000


def local(day: dt.date, hour: int) -> dt.datetime:
    from guanjia.servicedesk.deadlines import SHANGHAI

    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def build(*, estates: int, units_per_estate: int, requests_per_estate: int, months: int, code: str) -> dict:
    """Returns {"company", "estate_ids", "manager", "month"} (month: the current one)."""
    from guanjia.accounts.models import Posting, User
    from guanjia.billing import money
    from guanjia.billing.models import Bill, FeeItem
    from guanjia.core.roles import Post
    from guanjia.estates.models import Building, Company, Estate, Unit, Zone
    from guanjia.reports.actions import local_today
    from guanjia.servicedesk.models import ReturnVisit, ServiceRequest

    started = time.perf_counter()
    rng = random.Random(12)
    today = local_today()
    month = today.replace(day=1)
    company = Company.objects.create(name="报表基准物业", code=code)
    estate_rows = Estate.objects.bulk_create(
        [Estate(company=company, name=f"基准小区{n:03d}", code=f"{code}-{n}") for n in range(estates)]
    )
    manager = User.objects.create_user(username=f"{code}-manager", password="bench-password", display_name="总经理")
    clerk = User.objects.create_user(username=f"{code}-desk", password=None, display_name="前台")
    Posting.objects.bulk_create([Posting(user=manager, estate=e, post=Post.MANAGER) for e in estate_rows])
    workers = User.objects.bulk_create(
        [User(username=f"{code}-tech{n}", display_name=f"师傅{n}", password="!") for n in range(20)]
    )
    zones = Zone.objects.bulk_create(
        [Zone(estate=e, code=str(z + 1), name=f"{z + 1}区") for e in estate_rows for z in range(ZONES)]
    )
    zones_of = {e.pk: [z for z in zones if z.estate_id == e.pk] for e in estate_rows}
    buildings = Building.objects.bulk_create([Building(estate=e, code="1", floors=30) for e in estate_rows])
    building_of = {b.estate_id: b for b in buildings}
    units = Unit.objects.bulk_create(
        [
            Unit(
                estate=e,
                building=building_of[e.pk],
                zone=zones_of[e.pk][n % ZONES],
                entrance="1",
                number=f"{n:04d}",
                code=f"1-1-{n:04d}",
                floor=1 + n // 20,
                area=Decimal(60 + n % 90),
                house_type="high_rise",
                status="occupied",
            )
            for e in estate_rows
            for n in range(units_per_estate)
        ],
        batch_size=BATCH,
    )
    items = FeeItem.objects.bulk_create(
        [FeeItem(estate=e, code="wyf", name="物业服务费", kind="property_fee") for e in estate_rows]
    )
    item_of = {item.estate_id: item for item in items}
    periods = [money.add_months(month, -back) for back in range(months)]
    bills = []
    for unit in units:
        for period in periods:
            amount = (unit.area * Decimal("2.85")).quantize(Decimal("0.01"))
            paid = amount if rng.random() < 0.85 else Decimal("0.00")
            bills.append(
                Bill(
                    estate_id=unit.estate_id,
                    unit=unit,
                    fee_item=item_of[unit.estate_id],
                    period_start=period,
                    period_end=money.month_end(period),
                    due_date=period,
                    amount=amount,
                    paid_amount=paid,
                    status="paid" if paid else "open",
                )
            )
        if len(bills) >= BATCH:
            Bill.objects.bulk_create(bills, batch_size=BATCH)
            bills = []
    Bill.objects.bulk_create(bills, batch_size=BATCH)
    now = timezone.now()
    start = local(month, 0)
    span = max((now - start).total_seconds(), 3600)
    requests = []
    for e in estate_rows:
        for n in range(requests_per_estate):
            received = start + dt.timedelta(seconds=rng.random() * span * 0.9)
            done = rng.random() < 0.7
            late = rng.random() < 0.15
            respond_by = received + dt.timedelta(minutes=30)
            resolve_by = received + dt.timedelta(days=1)
            requests.append(
                ServiceRequest(
                    estate=e,
                    zone=zones_of[e.pk][n % ZONES],
                    kind="complaint" if n % 10 == 0 else "repair_in_unit",
                    channel="phone",
                    title="基准工单",
                    status="closed" if done else "in_progress",
                    first_responder=clerk,
                    assignee=workers[n % len(workers)],
                    received_at=received,
                    respond_by=respond_by,
                    responded_at=received + dt.timedelta(minutes=50 if late else 10),
                    resolve_by=resolve_by,
                    resolved_at=(received + dt.timedelta(hours=30 if late else 5)) if done else None,
                )
            )
    requests = ServiceRequest.objects.bulk_create(requests, batch_size=BATCH)
    visits = [
        ReturnVisit(
            request=r,
            by=clerk,
            at=r.received_at + dt.timedelta(hours=6),
            how="portal" if r.pk % 3 == 0 else "phone",
            satisfaction=rng.choice([5, 5, 5, 4, 4, 3, 2, 1]),
            solved=True,
        )
        for r in requests
        if r.status == "closed"
    ]
    ReturnVisit.objects.bulk_create(visits, batch_size=BATCH)
    print(
        f"# built {estates} estates, {len(units)} units, {len(units) * months} bills, {len(requests)} requests, "
        f"{len(visits)} ratings in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return {"company": company, "estate_ids": [e.pk for e in estate_rows], "manager": manager, "month": month}


def analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
