"""Reads over the bill ledger. Every figure here is an aggregate of Bill rows, nothing else:
the same number on a page, in an export and in a report.

`zone_ids=None` means the whole estate; a set limits the figures to those zones (a butler's
own view)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from guanjia.billing import money
from guanjia.billing.models import Allocation, Bill, Payment

ZERO = Decimal("0.00")
MONEY: DecimalField = DecimalField(max_digits=16, decimal_places=2)
OUTSTANDING = ExpressionWrapper(F("amount") - F("paid_amount"), output_field=MONEY)
# (label, fewest days overdue, most days overdue or None): 0–30, 31–90, 91–180, 181–365, > 365.
AGING_BUCKETS: list[tuple[str, int, int | None]] = [
    ("0-30", 0, 30),
    ("31-90", 31, 90),
    ("91-180", 91, 180),
    ("181-365", 181, 365),
    ("365+", 366, None),
]


def in_zones(queryset: QuerySet[Bill], zone_ids: Iterable[int] | None) -> QuerySet[Bill]:
    return queryset if zone_ids is None else queryset.filter(unit__zone_id__in=list(zone_ids))


def bills_of_period(estate_id: int, period_start: datetime.date, *, zone_ids: Iterable[int] | None = None):
    """The period's bills (those whose period starts in the month), reversed ones included."""
    queryset = Bill.objects.filter(estate_id=estate_id, period_start=period_start).select_related(
        "unit", "unit__zone", "fee_item"
    )
    return in_zones(queryset, zone_ids).order_by("unit__code", "fee_item__code")


def fen(value: Any) -> Decimal:
    """An aggregate back to two places (SQLite may hand back a float-like value)."""
    return money.round_to_fen(Decimal(str(value))) if value is not None else ZERO


def period_totals(estate_id: int, period_start: datetime.date, *, zone_ids: Iterable[int] | None = None) -> dict:
    """Receivable (应收) and received (实收) for the period's bills; reversed bills count for
    neither. 当期收缴率 = received ÷ receivable."""
    queryset = in_zones(
        Bill.objects.filter(estate_id=estate_id, period_start=period_start).exclude(status=Bill.Status.REVERSED),
        zone_ids,
    )
    totals = queryset.aggregate(
        lines=Count("*"),
        receivable=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
        received=Coalesce(Sum("paid_amount"), ZERO, output_field=MONEY),
    )
    receivable = fen(totals["receivable"])
    received = fen(totals["received"])
    return {
        "lines": totals["lines"],
        "receivable": receivable,
        "received": received,
        "outstanding": receivable - received,
        "collection_rate": money.collection_rate(received, receivable),
    }


def arrears_aging(estate_id: int, as_of: datetime.date, *, zone_ids: Iterable[int] | None = None) -> list[dict]:
    """Outstanding amounts of open bills already due on `as_of`, per zone and age bucket
    (days since the due date: 0–30, 31–90, 91–180, 181–365, over a year).

    One row per zone, ordered by zone code; units with no zone come as zone None."""
    queryset = in_zones(
        Bill.objects.filter(estate_id=estate_id, status=Bill.Status.OPEN, due_date__lte=as_of), zone_ids
    )
    sums: dict[str, Any] = {}
    for label, fewest, most in AGING_BUCKETS:
        # Days overdue d = as_of - due_date; fewest ≤ d ≤ most is a range of due dates.
        condition = Q(due_date__lte=as_of - datetime.timedelta(days=fewest))
        if most is not None:
            condition &= Q(due_date__gte=as_of - datetime.timedelta(days=most))
        sums[label] = Coalesce(Sum(OUTSTANDING, filter=condition), ZERO, output_field=MONEY)
    rows = (
        queryset.values("unit__zone_id", "unit__zone__code", "unit__zone__name")
        .annotate(total=Coalesce(Sum(OUTSTANDING), ZERO, output_field=MONEY), **sums)
        .order_by("unit__zone__code")
    )
    result = []
    for row in rows:
        buckets = {label: fen(row[label]) for label, _fewest, _most in AGING_BUCKETS}
        result.append(
            {
                "zone_id": row["unit__zone_id"],
                "zone_code": row["unit__zone__code"],
                "zone_name": row["unit__zone__name"],
                "buckets": buckets,
                "total": fen(row["total"]),
            }
        )
    return result


def collection_by_zone(estate_id: int, period_start: datetime.date, *, zone_ids: Iterable[int] | None = None):
    """`period_totals` per zone (with the zone's butler), ordered by zone code."""
    queryset = in_zones(
        Bill.objects.filter(estate_id=estate_id, period_start=period_start).exclude(status=Bill.Status.REVERSED),
        zone_ids,
    )
    rows = (
        queryset.values("unit__zone_id", "unit__zone__code", "unit__zone__butler_id")
        .annotate(
            receivable=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            received=Coalesce(Sum("paid_amount"), ZERO, output_field=MONEY),
        )
        .order_by("unit__zone__code")
    )
    result = []
    for row in rows:
        receivable, received = fen(row["receivable"]), fen(row["received"])
        result.append(
            {
                "zone_id": row["unit__zone_id"],
                "zone_code": row["unit__zone__code"],
                "butler_id": row["unit__zone__butler_id"],
                "receivable": receivable,
                "received": received,
                "collection_rate": money.collection_rate(received, receivable),
            }
        )
    return result


def arrears_recovery(
    estate_id: int,
    period_start: datetime.date,
    period_end: datetime.date,
    *,
    zone_ids: Iterable[int] | None = None,
) -> dict:
    """清欠率 = arrears received in the period ÷ arrears at the start of the period.

    Arrears are what bills due before `period_start` still owed at its start: their amount
    less the allocations of valid payments made before it. Arrears received are the
    allocations to those bills made from `period_start` to `period_end` (inclusive). Bills
    reversed are left out; a reversed payment counts as never made. From the ledger only;
    `zone_ids` narrows it to the units of those zones (a zone, a butler's zones)."""
    start = timezone.make_aware(datetime.datetime.combine(period_start, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(period_end + datetime.timedelta(days=1), datetime.time.min))
    old_bills = in_zones(
        Bill.objects.filter(estate_id=estate_id, due_date__lt=period_start).exclude(status=Bill.Status.REVERSED),
        zone_ids,
    )
    billed = old_bills.aggregate(total=Coalesce(Sum("amount"), ZERO, output_field=MONEY))["total"]
    allocations = Allocation.objects.filter(bill__in=old_bills.values("pk"), payment__status=Payment.Status.VALID)
    settled_before = allocations.filter(created_at__lt=start).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=MONEY)
    )["total"]
    received = allocations.filter(created_at__gte=start, created_at__lt=end).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=MONEY)
    )["total"]
    arrears = fen(billed) - fen(settled_before)
    return {
        "arrears_at_start": arrears,
        "arrears_received": fen(received),
        "recovery_rate": money.collection_rate(fen(received), arrears),
    }


def company_collection_report(company_id: int, first_month: datetime.date, last_month: datetime.date) -> dict:
    """The company's 当期收缴率 by estate and month over [first_month, last_month] (first days
    of months), and the company's own figure per month: one aggregate over the bills, reversed
    ones left out, the rate computed from the sums exactly as `period_totals` does.

    {"months": [...], "estates": [{"estate_id", "estate_name", "months": {month: figures}}],
     "company": {month: figures}} where figures = receivable, received, collection_rate."""
    rows = (
        Bill.objects.filter(estate__company_id=company_id, period_start__gte=first_month, period_start__lte=last_month)
        .exclude(status=Bill.Status.REVERSED)
        .values("estate_id", "period_start")
        .annotate(
            receivable=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            received=Coalesce(Sum("paid_amount"), ZERO, output_field=MONEY),
        )
        .order_by()
    )
    from guanjia.estates.models import Estate

    names = dict(Estate.objects.filter(company_id=company_id).values_list("pk", "name"))
    months = []
    month = first_month
    while month <= last_month:
        months.append(month)
        month = money.add_months(month, 1)
    estates: dict[int, dict] = {}
    company: dict[datetime.date, dict] = {m: {"receivable": ZERO, "received": ZERO} for m in months}
    for row in rows:
        receivable, received = fen(row["receivable"]), fen(row["received"])
        entry = estates.setdefault(
            row["estate_id"],
            {"estate_id": row["estate_id"], "estate_name": names.get(row["estate_id"], ""), "months": {}},
        )
        entry["months"][row["period_start"]] = {
            "receivable": receivable,
            "received": received,
            "collection_rate": money.collection_rate(received, receivable),
        }
        total = company[row["period_start"]]
        total["receivable"] += receivable
        total["received"] += received
    for total in company.values():
        total["collection_rate"] = money.collection_rate(total["received"], total["receivable"])
    ordered = sorted(estates.values(), key=lambda entry: (entry["estate_name"], entry["estate_id"]))
    return {"months": months, "estates": ordered, "company": company}
