"""Figures over the bill ledger: receivable and received, the collection rate (当期收缴率), arrears
aging, the arrears recovery rate (清欠率), by estate, zone, butler and month. Every figure here is
an aggregate of Bill and Allocation rows, nothing else: the same number on a page, in an
export and in a report.

`zone_ids=None` means the whole estate; a set limits the figures to those zones (a butler's
own view)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from guanjia.accounts.models import User
from guanjia.billing import money
from guanjia.billing.models import Allocation, Bill, Payment
from guanjia.billing.queries import MONEY, OUTSTANDING, ZERO, fen, in_zones, open_bills_due, zone_names
from guanjia.estates.models import Estate
from guanjia.people.models import Residency

# (label, fewest days overdue, most days overdue or None): 0–30, 31–90, 91–180, 181–365, > 365.
AGING_BUCKETS: list[tuple[str, int, int | None]] = [
    ("0-30", 0, 30),
    ("31-90", 31, 90),
    ("91-180", 91, 180),
    ("181-365", 181, 365),
    ("365+", 366, None),
]
# The figures of a zone that add up to a butler's.
BUTLER_SUMS = ("receivable", "received", "arrears_at_start", "arrears_received")


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


def collection_by_zone(
    estate_id: int, period_start: datetime.date, *, zone_ids: Iterable[int] | None = None
) -> list[dict]:
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


def aging_totals(rows: list[dict]) -> tuple[dict[str, Decimal], Decimal]:
    """The age buckets and the grand total of `arrears_aging` rows, summed over the zones."""
    totals = {label: sum((row["buckets"][label] for row in rows), ZERO) for label, _fewest, _most in AGING_BUCKETS}
    return totals, sum((row["total"] for row in rows), ZERO)


def debtors(estate: Estate, as_of: datetime.date, *, zone_ids: Iterable[int] | None) -> list[dict]:
    """The units owing most on `as_of` (every payer), at most 200: {unit_id, unit__code,
    unit__zone__code, unit__zone__name, owners, owed}; `owners` names the unit's owners now
    (the people a reminder and a call go to), read in one more query."""
    rows = list(
        open_bills_due(estate, as_of, zone_ids=zone_ids)
        .values("unit_id", "unit__code", "unit__zone__code", "unit__zone__name")
        .annotate(owed=Sum(OUTSTANDING))
        .order_by("-owed", "unit__code")[:200]
    )
    owners: dict[int, list[str]] = {}
    for unit_id, name in (
        Residency.objects.filter(
            unit_id__in=[row["unit_id"] for row in rows],
            ended__isnull=True,
            relation__in=(Residency.Relation.OWNER, Residency.Relation.CO_OWNER),
        )
        .order_by("unit_id", "pk")
        .values_list("unit_id", "person__name")
    ):
        owners.setdefault(unit_id, []).append(name)
    return [{**row, "owners": "、".join(owners.get(row["unit_id"], [])), "owed": fen(row["owed"])} for row in rows]


def collection_report(estate: Estate, month: datetime.date, *, zone_ids: Iterable[int] | None) -> dict[str, Any]:
    """当期收缴率 and 清欠率 of a month for the estate, per zone and per butler, and the
    当期收缴率 of the twelve months up to it."""
    zone_rows = collection_by_zone(estate.pk, month, zone_ids=zone_ids)
    names = zone_names(estate)
    month_end = money.month_end(month)
    for row in zone_rows:
        row["zone_name"] = names.get(row["zone_id"], "—")
        row.update(arrears_recovery(estate.pk, month, month_end, zone_ids=[row["zone_id"]]))
    return {
        "totals": period_totals(estate.pk, month, zone_ids=zone_ids),
        "zones": zone_rows,
        "butlers": butler_figures(zone_rows),
        "recovery": arrears_recovery(estate.pk, month, month_end, zone_ids=zone_ids),
        "history": [
            {"month": start, **period_totals(estate.pk, start, zone_ids=zone_ids)}
            for start in (money.add_months(month, -back) for back in range(11, -1, -1))
        ],
    }


def butler_figures(zone_rows: list[dict]) -> list[dict[str, Any]]:
    """`collection_by_zone` rows with their arrears recovery, summed per butler (a butler may
    have several zones), by the butler's name."""
    names = {user.pk: str(user) for user in User.objects.filter(pk__in={row["butler_id"] for row in zone_rows})}
    sums: dict[int | None, dict[str, Any]] = {}
    for row in zone_rows:
        entry = sums.setdefault(
            row["butler_id"], {"butler": names.get(row["butler_id"], "—"), **dict.fromkeys(BUTLER_SUMS, ZERO)}
        )
        for figure in BUTLER_SUMS:
            entry[figure] += row.get(figure, ZERO)
    for entry in sums.values():
        entry["collection_rate"] = money.collection_rate(entry["received"], entry["receivable"])
        entry["recovery_rate"] = money.collection_rate(entry["arrears_received"], entry["arrears_at_start"])
    return sorted(sums.values(), key=lambda entry: entry["butler"])
