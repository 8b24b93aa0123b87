"""Rollups: the figures of an estate per day and per month, and of each of its zones and of each
person work is assigned to, refreshed from the ledgers by `actions.refresh_rollups` (the
worker each night, a workbench on demand for today). Pages that show figures over many
estates read these rows only, never the bills or the requests themselves.

And each estate's targets (收缴率, 满意率, on-time rate), set by its manager."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")


class Scope(models.TextChoices):
    """Whose figures a rollup row holds: the whole estate (scope_id 0), one zone (its id) or
    one assignee (their user id)."""

    ESTATE = "estate", _("Whole estate")
    ZONE = "zone", _("Zone")
    ASSIGNEE = "assignee", _("Assignee")


# The service-level steps whose on-time rate is counted, in the order they fall due.
STEPS = ("respond", "arrive", "resolve")


class Figures(models.Model):
    """The columns every rollup row has. Flows count what happened in the period (ratings
    given, requests received, service-level steps decided); stocks are as of the refresh
    (open, overdue, return visits due, approvals waiting), kept once the period is over."""

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ESTATE)
    scope_id = models.PositiveBigIntegerField(default=0)
    # 当期: the bills of the period's month (a day's row: of its month, as of that day).
    receivable = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    received = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    # What open bills due by the period's last day (or today) still owe.
    arrears = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    open_now = models.PositiveIntegerField(default=0)
    overdue_now = models.PositiveIntegerField(default=0)
    return_visits_due = models.PositiveIntegerField(default=0)
    approvals_waiting = models.PositiveIntegerField(default=0)
    respond_on_time = models.PositiveIntegerField(default=0)
    respond_total = models.PositiveIntegerField(default=0)
    arrive_on_time = models.PositiveIntegerField(default=0)
    arrive_total = models.PositiveIntegerField(default=0)
    resolve_on_time = models.PositiveIntegerField(default=0)
    resolve_total = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        abstract = True


# The columns that are counted over the period, and those taken as of the refresh.
FLOW_FIELDS = (
    "receivable",
    "received",
    "arrears",
    "rated",
    "satisfied",
    "opened",
    "complaints",
    *(f"{step}_{part}" for step in STEPS for part in ("on_time", "total")),
)
STOCK_FIELDS = ("open_now", "overdue_now", "return_visits_due", "approvals_waiting")


class DailyRollup(Figures):
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["estate", "day", "scope", "scope_id"], name="daily_rollup_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.day} {self.scope} {self.scope_id}"


class MonthlyRollup(Figures):
    month = models.DateField()  # the first day of the month

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["estate", "month", "scope", "scope_id"], name="monthly_rollup_unique"),
        ]
        # The company workbench: every estate's row of a range of months.
        indexes = [models.Index(fields=["scope", "month", "estate"], name="monthly_rollup_company_idx")]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.month} {self.scope} {self.scope_id}"


RATE_FIELD = {
    "max_digits": 5,
    "decimal_places": 4,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
}


class Target(models.Model):
    """An estate's targets, as fractions (0.95 is 95 %); an estate without a row has the
    defaults (DEFAULT_TARGETS)."""

    estate = models.OneToOneField("estates.Estate", on_delete=models.PROTECT, related_name="+")
    collection_rate = models.DecimalField(_("collection rate target"), **RATE_FIELD)  # type: ignore[arg-type]
    satisfaction_rate = models.DecimalField(_("satisfaction rate target"), **RATE_FIELD)  # type: ignore[arg-type]
    on_time_rate = models.DecimalField(_("on-time rate target"), **RATE_FIELD)  # type: ignore[arg-type]
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.estate_id}: {self.collection_rate}/{self.satisfaction_rate}/{self.on_time_rate}"


# Common targets of property service contracts: 95 % collected in the period, 90 % of owners
# satisfied, 95 % of service-level steps on time.
DEFAULT_TARGETS = {
    "collection_rate": Decimal("0.9500"),
    "satisfaction_rate": Decimal("0.9000"),
    "on_time_rate": Decimal("0.9500"),
}
