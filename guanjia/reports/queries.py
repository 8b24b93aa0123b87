"""Reads of reports: the figures of an estate, of a zone and of the company, from the rollup
rows only (never the ledgers), with the rates computed from the summed counts the one way
(`ratio`). The pages, the API and the tests all read them here. The one exception is the list
of ratings behind 满意率 (`ratings_of_month`), which shows the rows themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.db.models import Count, QuerySet, Sum

from guanjia.accounts.models import User
from guanjia.billing import money
from guanjia.estates.models import Estate, Zone
from guanjia.reports.measures import SATISFIED_FROM, sum_figures
from guanjia.reports.models import DEFAULT_TARGETS, FLOW_FIELDS, STEPS, STOCK_FIELDS, MonthlyRollup, Scope, Target
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.models import ReturnVisit

ALL_FIELDS = (*FLOW_FIELDS, *STOCK_FIELDS)
TREND_MONTHS = 12


FOUR_PLACES = Decimal("0.0001")


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part ÷ whole as a fraction rounded half up to four places (0.9235 is 92.35 %); None
    when there is nothing to divide by. 收缴率, 满意率 and on-time rates alike.

    The same figure as billing's money.collection_rate (exact fractions), at a tenth of the
    cost, which the company page pays a few hundred times: the quotient is taken to 34 digits
    before the one rounding, and for amounts below 10^14 no quotient that is not exactly on a
    half lies within 10^-30 of one, so the rounding goes the same way."""
    if whole == 0:
        return None
    with localcontext() as context:
        context.prec = 34
        return (Decimal(part) / Decimal(whole)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def rates(figures: dict[str, Any]) -> dict[str, Any]:
    """The counts of rollup rows (summed) with the rates that follow from them."""
    result = dict(figures)
    result["collection_rate"] = ratio(figures["received"], figures["receivable"])
    result["satisfaction_rate"] = ratio(figures["satisfied"], figures["rated"])
    for step in STEPS:
        result[f"{step}_rate"] = ratio(figures[f"{step}_on_time"], figures[f"{step}_total"])
    on_time = sum(figures[f"{step}_on_time"] for step in STEPS)
    total = sum(figures[f"{step}_total"] for step in STEPS)
    result["on_time_rate"] = ratio(on_time, total)
    return result


def targets_of(estate_id: int) -> dict[str, Decimal]:
    target = Target.objects.filter(estate_id=estate_id).first()
    if target is None:
        return dict(DEFAULT_TARGETS)
    return {name: getattr(target, name) for name in DEFAULT_TARGETS}


def months_up_to(month: dt.date, count: int = TREND_MONTHS) -> list[dt.date]:
    first = month.replace(day=1)
    return [money.add_months(first, -back) for back in range(count - 1, -1, -1)]


def monthly_rows(
    estate_ids: Iterable[int], months: Sequence[dt.date], *, scope: str = Scope.ESTATE, scope_ids: Iterable[int] = ()
) -> QuerySet[MonthlyRollup]:
    rows = MonthlyRollup.objects.filter(estate_id__in=list(estate_ids), scope=scope, month__in=list(months))
    if scope != Scope.ESTATE:
        rows = rows.filter(scope_id__in=list(scope_ids))
    return rows


def figures_of(rows: Iterable[Any]) -> dict[str, Any]:
    return rates(sum_figures(rows, ALL_FIELDS))


def estate_figures(estate: Estate, today: dt.date) -> dict[str, Any]:
    """The workbench of an estate: this month's figures, the year to date's collection, the
    twelve months' trend, the targets, and this month's figures per zone."""
    month = today.replace(day=1)
    months = months_up_to(month)
    year_months = [m for m in months_up_to(month) if m.year == month.year]
    wanted = sorted(set(months) | set(year_months))
    rows = list(monthly_rows([estate.pk], wanted))
    by_month = {row.month: row for row in rows}
    current = figures_of([by_month[month]] if month in by_month else [])
    year = sum_figures([by_month[m] for m in year_months if m in by_month], ("receivable", "received"))
    current["collection_rate_ytd"] = ratio(year["received"], year["receivable"])
    current["receivable_ytd"], current["received_ytd"] = year["receivable"], year["received"]
    current["refreshed_at"] = by_month[month].refreshed_at if month in by_month else None
    trend = [
        {"month": m, **(figures_of([by_month[m]]) if m in by_month else {}), "known": m in by_month} for m in months
    ]
    # The year to date as it stood at the end of each month of the trend.
    for entry in trend:
        months_of_year = [m for m in wanted if m.year == entry["month"].year and m <= entry["month"]]
        sums = sum_figures([by_month[m] for m in months_of_year if m in by_month], ("receivable", "received"))
        entry["collection_rate_ytd"] = ratio(sums["received"], sums["receivable"]) if entry["known"] else None
    return {
        "month": month,
        "figures": current,
        "trend": trend,
        "targets": targets_of(estate.pk),
        "zones": zone_figures(estate, month),
        "people": person_figures(estate, month),
    }


def zone_figures(estate: Estate, month: dt.date, zone_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """This month's figures of each zone of the estate (or of these zones), by zone code."""
    zones = Zone.objects.filter(estate_id=estate.pk).select_related("butler").order_by("code")
    if zone_ids is not None:
        zones = zones.filter(pk__in=list(zone_ids))
    zone_list = list(zones)
    rows = {
        row.scope_id: row
        for row in monthly_rows([estate.pk], [month], scope=Scope.ZONE, scope_ids=[z.pk for z in zone_list])
    }
    return [{"zone": zone, **figures_of([rows[zone.pk]] if zone.pk in rows else [])} for zone in zone_list]


def person_figures(estate: Estate, month: dt.date) -> list[dict[str, Any]]:
    """This month's figures of each person work was assigned to (satisfaction and on-time rate
    of their requests, open and overdue now), by name."""
    rows = list(MonthlyRollup.objects.filter(estate_id=estate.pk, month=month, scope=Scope.ASSIGNEE))
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[row.scope_id for row in rows])}
    result = [{"user_id": row.scope_id, "name": names.get(row.scope_id, "—"), **figures_of([row])} for row in rows]
    return sorted(result, key=lambda entry: (entry["name"], entry["user_id"]))


def company_figures(estate_ids: Sequence[int], today: dt.date) -> dict[str, Any]:
    """The company workbench over these estates: each estate's figures of this month, the
    company's (their sums) and the company's twelve months' trend. Three reads of the rollup
    rows: this month's row of each estate, and the estates' rows summed per month by the
    database (12 rows, whatever the number of estates)."""
    month = today.replace(day=1)
    months = months_up_to(month)
    year_months = [m for m in months if m.year == month.year]
    names = dict(Estate.objects.filter(pk__in=list(estate_ids)).values_list("pk", "name"))
    current = {
        row["estate_id"]: row for row in monthly_rows(estate_ids, [month]).order_by().values("estate_id", *ALL_FIELDS)
    }
    sums = {
        row["month"]: row
        for row in monthly_rows(estate_ids, months)
        .order_by()
        .values("month")
        .annotate(rows=Count("*"), **{name: Sum(name) for name in ALL_FIELDS})
    }
    targets = {
        target.estate_id: {name: getattr(target, name) for name in DEFAULT_TARGETS}
        for target in Target.objects.filter(estate_id__in=list(names))
    }
    estates = []
    for estate_id in sorted(names, key=lambda pk: (names[pk], pk)):
        figures = figures_of([current[estate_id]] if estate_id in current else [])
        figures["targets"] = targets.get(estate_id, dict(DEFAULT_TARGETS))
        estates.append({"estate_id": estate_id, "estate_name": names[estate_id], **figures})
    company = figures_of([sums[month]] if month in sums else [])
    year = sum_figures([sums[m] for m in year_months if m in sums], ("receivable", "received"))
    company["collection_rate_ytd"] = ratio(year["received"], year["receivable"])
    trend = [{"month": m, **figures_of([sums[m]] if m in sums else []), "known": m in sums} for m in months]
    return {"month": month, "figures": company, "estates": estates, "trend": trend}


def figures_of_zones(zone_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several zones together (a butler's), from their summed counts."""
    return rates(sum_figures(zone_rows, ALL_FIELDS))


RATINGS_LISTED = 500


def ratings_of_month(estate: Estate, month: dt.date) -> list[ReturnVisit]:
    """The ratings given in the month (staff return visits and owners' own), the unsatisfied
    first, then the newest."""
    start, end = dl.local_month_bounds(month.year, month.month)
    return list(
        ReturnVisit.objects.filter(request__estate_id=estate.pk, at__gte=start, at__lt=end)
        .select_related("request", "request__zone", "request__assignee", "by")
        .order_by("satisfaction", "-at", "-id")[:RATINGS_LISTED]
    )


def rating_counts(ratings: list[ReturnVisit]) -> dict[str, Any]:
    rated = len(ratings)
    satisfied = sum(1 for rating in ratings if rating.satisfaction >= SATISFIED_FROM)
    return {"rated": rated, "satisfied": satisfied, "satisfaction_rate": ratio(satisfied, rated)}
