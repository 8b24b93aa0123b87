"""Writes of reports: refreshing the rollups from the ledgers, and the estate's targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing import money
from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError
from guanjia.estates.models import Estate
from guanjia.reports import measures
from guanjia.reports.models import DEFAULT_TARGETS, FLOW_FIELDS, STOCK_FIELDS, DailyRollup, MonthlyRollup, Scope, Target
from guanjia.servicedesk.deadlines import SHANGHAI

# A workbench refreshes today's figures when they are older than this: fresh enough for a
# manager's glance, and one refresh per estate every few minutes however often it is opened.
STALE_AFTER = dt.timedelta(minutes=5)
# The stocks (open, overdue, waiting) of a period just over are still those of its end: the
# nightly run a few minutes after midnight takes them for yesterday.
STOCKS_KEPT_FOR = dt.timedelta(hours=6)


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(SHANGHAI).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    return start, start + dt.timedelta(days=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(month.replace(day=1), dt.time.min, tzinfo=SHANGHAI)
    end = dt.datetime.combine(money.add_months(month.replace(day=1), 1), dt.time.min, tzinfo=SHANGHAI)
    return start, end


def refresh_rollups(
    *, estate: Estate | int, day: dt.date | None = None, month: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Recompute the rows of one day (or one month: any day of it) of the estate, for the
    estate, each zone and each assignee, from the ledgers. Safe to run twice or at once: rows
    are upserted on their unique key, and rows of scopes that no longer have figures are
    removed. Figures taken as of the refresh (open, overdue …) are kept once the period is over,
    so a late refresh of a past period does not overwrite them with today's. Returns the rows
    written."""
    if (day is None) == (month is None):
        raise ValueError("refresh_rollups takes a day or a month")
    estate_id = estate if isinstance(estate, int) else estate.pk
    now = now or timezone.now()
    today = local_today(now)
    if day is not None:
        start, end = day_bounds(day)
        model: type[DailyRollup] | type[MonthlyRollup] = DailyRollup
        period_field, period = "day", day
        bills_month, as_of = day.replace(day=1), min(day, today)
    else:
        assert month is not None
        period = month.replace(day=1)
        start, end = month_bounds(period)
        model, period_field = MonthlyRollup, "month"
        bills_month, as_of = period, min(money.month_end(period), today)
    figures = measures.period_figures(estate_id, start, end, month=bills_month, as_of=as_of, now=now)
    period_over = now >= end
    if now - end > STOCKS_KEPT_FOR:
        # A period long over: what was open or waiting then cannot be read back from today's
        # ledgers, so a new row holds none (and an existing row keeps what it had).
        for values in figures.values():
            values.update(dict.fromkeys(STOCK_FIELDS, 0))
    rows: list[Any] = [
        model(estate_id=estate_id, scope=scope, scope_id=scope_id, refreshed_at=now, **{period_field: period}, **values)
        for (scope, scope_id), values in figures.items()
    ]
    if not any(row.scope == Scope.ESTATE for row in rows):
        # An estate with nothing to count still gets its row: "refreshed, all zero".
        empty = model(estate_id=estate_id, scope=Scope.ESTATE, scope_id=0, refreshed_at=now, **{period_field: period})
        rows.append(empty)
    update_fields = [*FLOW_FIELDS, "refreshed_at"] + ([] if period_over else list(STOCK_FIELDS))
    with transaction.atomic():
        model.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["estate", period_field, "scope", "scope_id"],
            update_fields=update_fields,
            batch_size=500,
        )
        stale = model.objects.filter(estate_id=estate_id, **{period_field: period}).exclude(refreshed_at=now)
        stale.delete()
    return len(rows)


def refresh_if_stale(estate: Estate, *, now: dt.datetime | None = None) -> bool:
    """A workbench is opened: refresh today's and this month's rows of the estate when
    today's are missing or older than STALE_AFTER. Cheap: one estate, a dozen aggregates."""
    now = now or timezone.now()
    today = local_today(now)
    last = (
        DailyRollup.objects.filter(estate_id=estate.pk, day=today, scope=Scope.ESTATE, scope_id=0)
        .values_list("refreshed_at", flat=True)
        .first()
    )
    if last is not None and now - last < STALE_AFTER:
        return False
    refresh_rollups(estate=estate, day=today, now=now)
    refresh_rollups(estate=estate, month=today, now=now)
    return True


def refresh_nightly(*, now: dt.datetime | None = None) -> int:
    """The worker's nightly run: yesterday's rows and this month's (and yesterday's month's on
    the first of a month) of every estate. Returns the estates refreshed."""
    now = now or timezone.now()
    today = local_today(now)
    yesterday = today - dt.timedelta(days=1)
    months = sorted({yesterday.replace(day=1), today.replace(day=1)})
    count = 0
    for estate_id in Estate.objects.order_by("pk").values_list("pk", flat=True):
        refresh_rollups(estate=estate_id, day=yesterday, now=now)
        refresh_rollups(estate=estate_id, day=today, now=now)
        for month in months:
            refresh_rollups(estate=estate_id, month=month, now=now)
        count += 1
    return count


def backfill(*, estate: Estate | int, months: int, now: dt.datetime | None = None) -> None:
    """The monthly rows of the last `months` months (this one included) and today's: what a
    new installation or the demo needs for its trends."""
    now = now or timezone.now()
    today = local_today(now)
    for back in range(months - 1, -1, -1):
        refresh_rollups(estate=estate, month=money.add_months(today.replace(day=1), -back), now=now)
    refresh_rollups(estate=estate, day=today, now=now)


TARGET_FIELDS = ("collection_rate", "satisfaction_rate", "on_time_rate")


def set_targets(*, actor: User, estate: Estate, values: dict[str, Decimal]) -> Target:
    """The manager sets the estate's targets (fractions 0–1)."""
    for name in TARGET_FIELDS:
        value = values.get(name)
        if value is None or not Decimal("0") <= value <= Decimal("1"):
            raise DomainError(_("Enter a target between 0 % and 100 %."), field=name)
    with transaction.atomic():
        target = Target.objects.select_for_update().filter(estate=estate).first()
        created = target is None
        if target is None:
            target = Target(estate=estate, **defaults_of_targets())
        changes = apply_changes(target, {name: values[name].quantize(Decimal("0.0001")) for name in TARGET_FIELDS})
        target.updated_by = actor
        target.save()
        if changes or created:
            record_change(actor=actor, target=target, verb="update", estate_id=estate.pk, changes=changes)
    return target


def defaults_of_targets() -> dict[str, Decimal]:
    return dict(DEFAULT_TARGETS)
