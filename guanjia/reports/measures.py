"""The figures of one estate over one period, straight from the ledgers (bills, reversal
requests, service requests and their ratings): a handful of aggregate queries, each grouped by
zone (and by assignee where a figure is per person), summed for the estate. Only
`actions.refresh_rollups` calls these; pages read the rollup rows.

Definitions (the same on every page, in the API and in the tests):
- 当期收缴率: received ÷ receivable of the bills of the period's month, reversed ones left out
  (billing.reports.period_totals).
- Arrears: what open bills due by the period's last day (today for the current period) owe.
- 满意率: satisfied ÷ rated, where every rating given in the period counts — a staff return
  visit and the owner's own confirmation in the portal are both ratings (servicedesk
  ReturnVisit rows; `how` = portal is the owner's) — and satisfied is 4 or 5 of 5.
- On-time rate of a step (respond, arrive, resolve): a step counts in the period its deadline
  falls in, once it is decided — met when done by the deadline, missed when the deadline has
  passed undone on a running clock; cancelled requests do not count.
- Complaints: complaints received in the period, cancelled ones left out (as on the
  complaints page).
- Open, overdue, return visits due, approvals waiting: as of the refresh."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from guanjia.billing.models import Bill, ReversalRequest
from guanjia.billing.queries import MONEY, OUTSTANDING, ZERO, fen
from guanjia.reports.models import FLOW_FIELDS, STEPS, STOCK_FIELDS, Scope
from guanjia.servicedesk.models import OPEN_STATUSES, ReturnVisit, ServiceRequest
from guanjia.servicedesk.queries import overdue_condition

# A rating of 4 or 5 of 5 is a satisfied owner.
SATISFIED_FROM = 4
DONE_AT = {"respond": "responded_at", "arrive": "arrived_at", "resolve": "resolved_at"}

Key = tuple[str, int]  # (scope, scope_id)


def blank() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys((*FLOW_FIELDS, *STOCK_FIELDS), 0)
    for name in ("receivable", "received", "arrears"):
        figures[name] = ZERO
    return figures


class Tally:
    """Figures per scope, added to as the queries come back; the estate's are the sum of every
    zone's and of the units without a zone."""

    def __init__(self) -> None:
        self.rows: dict[Key, dict[str, Any]] = defaultdict(blank)

    def add(self, zone_id: int | None, figures: dict[str, Any], *, assignee_id: int | None = None) -> None:
        keys: list[Key] = [(Scope.ESTATE, 0)]
        if zone_id is not None:
            keys.append((Scope.ZONE, zone_id))
        for key in keys:
            self.put(key, figures)
        if assignee_id is not None:
            self.put((Scope.ASSIGNEE, assignee_id), figures)

    def put(self, key: Key, figures: dict[str, Any]) -> None:
        row = self.rows[key]
        for name, value in figures.items():
            row[name] += value or 0


def period_figures(
    estate_id: int, start: dt.datetime, end: dt.datetime, *, month: dt.date, as_of: dt.date, now: dt.datetime
) -> dict[Key, dict[str, Any]]:
    """Every figure of the estate for [start, end) (aware datetimes), by scope. `month` is the
    first day of the month whose bills count; `as_of` the day arrears are counted at."""
    tally = Tally()
    add_collection(tally, estate_id, month, as_of)
    add_ratings(tally, estate_id, start, end)
    add_requests(tally, estate_id, start, end)
    add_steps(tally, estate_id, start, end, now)
    add_stocks(tally, estate_id, now)
    waiting = ReversalRequest.objects.filter(estate_id=estate_id, status=ReversalRequest.Status.PENDING).count()
    tally.put((Scope.ESTATE, 0), {"approvals_waiting": waiting})
    return dict(tally.rows)


def add_collection(tally: Tally, estate_id: int, month: dt.date, as_of: dt.date) -> None:
    period = (
        Bill.objects.filter(estate_id=estate_id, period_start=month)
        .exclude(status=Bill.Status.REVERSED)
        .values("unit__zone_id")
        .annotate(
            receivable=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            received=Coalesce(Sum("paid_amount"), ZERO, output_field=MONEY),
        )
        .order_by()
    )
    for row in period:
        tally.add(row["unit__zone_id"], {"receivable": fen(row["receivable"]), "received": fen(row["received"])})
    owed = (
        Bill.objects.filter(estate_id=estate_id, status=Bill.Status.OPEN, due_date__lte=as_of)
        .values("unit__zone_id")
        .annotate(arrears=Coalesce(Sum(OUTSTANDING), ZERO, output_field=MONEY))
        .order_by()
    )
    for row in owed:
        tally.add(row["unit__zone_id"], {"arrears": fen(row["arrears"])})


def add_ratings(tally: Tally, estate_id: int, start: dt.datetime, end: dt.datetime) -> None:
    ratings = (
        ReturnVisit.objects.filter(request__estate_id=estate_id, at__gte=start, at__lt=end)
        .values("request__zone_id", "request__assignee_id")
        .annotate(rated=Count("*"), happy=Count("pk", filter=Q(satisfaction__gte=SATISFIED_FROM)))
        .order_by()
    )
    for row in ratings:
        figures = {"rated": row["rated"], "satisfied": row["happy"]}
        tally.add(row["request__zone_id"], figures, assignee_id=row["request__assignee_id"])


def add_requests(tally: Tally, estate_id: int, start: dt.datetime, end: dt.datetime) -> None:
    complaint = Q(kind=ServiceRequest.Kind.COMPLAINT) & ~Q(status=ServiceRequest.Status.CANCELLED)
    received = (
        ServiceRequest.objects.filter(estate_id=estate_id, received_at__gte=start, received_at__lt=end)
        .values("zone_id", "assignee_id")
        .annotate(opened=Count("*"), complaints=Count("pk", filter=complaint))
        .order_by()
    )
    for row in received:
        figures = {"opened": row["opened"], "complaints": row["complaints"]}
        tally.add(row["zone_id"], figures, assignee_id=row["assignee_id"])


def step_conditions(step: str, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> tuple[Q, Q]:
    """(decided in the period, met) for one step: see the module's definition."""
    deadline, done = f"{step}_by", DONE_AT[step]
    in_period = Q(**{f"{deadline}__gte": start, f"{deadline}__lt": end})
    missed_so_far = Q(**{f"{done}__isnull": True, f"{deadline}__lt": now, "paused_since__isnull": True})
    decided = in_period & (Q(**{f"{done}__isnull": False}) | missed_so_far)
    met = decided & Q(**{f"{done}__lte": F(deadline)})
    return decided, met


def add_steps(tally: Tally, estate_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    counts: dict[str, Any] = {}
    any_step = Q()
    for step in STEPS:
        decided, met = step_conditions(step, start, end, now)
        counts[f"{step}_total"] = Count("pk", filter=decided)
        counts[f"{step}_on_time"] = Count("pk", filter=met)
        any_step |= Q(**{f"{step}_by__gte": start, f"{step}_by__lt": end})
    rows = (
        ServiceRequest.objects.filter(any_step, estate_id=estate_id)
        .exclude(status=ServiceRequest.Status.CANCELLED)
        .values("zone_id", "assignee_id")
        .annotate(**counts)
        .order_by()
    )
    for row in rows:
        figures = {name: row[name] for name in counts}
        tally.add(row["zone_id"], figures, assignee_id=row["assignee_id"])


def add_stocks(tally: Tally, estate_id: int, now: dt.datetime) -> None:
    """Open, overdue and awaiting a return visit now: over the requests not yet finished (the
    board's partial index)."""
    rows = (
        ServiceRequest.objects.filter(estate_id=estate_id)
        .exclude(status__in=[ServiceRequest.Status.CLOSED, ServiceRequest.Status.CANCELLED])
        .values("zone_id", "assignee_id")
        .annotate(
            open_now=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue_now=Count("pk", filter=overdue_condition(now)),
            return_visits_due=Count(
                "pk", filter=Q(status=ServiceRequest.Status.RESOLVED, return_visit_by__isnull=False)
            ),
        )
        .order_by()
    )
    for row in rows:
        figures = {name: row[name] for name in ("open_now", "overdue_now", "return_visits_due")}
        tally.add(row["zone_id"], figures, assignee_id=row["assignee_id"])


def sum_figures(rows: Iterable[Any], names: Iterable[str]) -> dict[str, Any]:
    """The sum of these columns over rollup rows (or dicts)."""
    names = list(names)
    total: dict[str, Any] = {name: ZERO if name in ("receivable", "received", "arrears") else 0 for name in names}
    for row in rows:
        for name in names:
            value = row[name] if isinstance(row, dict) else getattr(row, name)
            total[name] += value
    return total
