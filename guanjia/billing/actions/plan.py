"""What a billing run bills: for one estate and month, the due items with their standards,
tiers and readings, loaded once; then each unit's lines are computed without the database."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from guanjia.billing import money
from guanjia.billing.models import Bill, BillingRun, FeeItem, FeeStandard, MeterReading, WaterTier
from guanjia.billing.queries import BillableUnit
from guanjia.core.errors import Problems
from guanjia.estates.models import Estate


class BillRow(NamedTuple):
    """A bill line ready to insert: its fields are the Bill columns it sets, by attname."""

    estate_id: int
    unit_id: int
    fee_item_id: int
    period_start: datetime.date
    period_end: datetime.date
    due_date: datetime.date
    payer: str
    amount: Decimal
    paid_amount: Decimal
    status: str
    basis: dict[str, Any]
    billing_run_id: int


DueItem = tuple[FeeItem, datetime.date, datetime.date]


class BillingPlan:
    """What a run for one estate and month bills: the due items, their standards, tiers and
    readings, loaded once. `lines_for(unit)` is then pure."""

    def __init__(self, estate: Estate, period_start: datetime.date) -> None:
        self.period_start = period_start
        self.items = due_items(estate, period_start)
        self.item_ids = [item.pk for item, _start, _end in self.items]
        self.standards = standards_in_force(self.item_ids, period_start)
        self.tiers = tiers_of(self.item_ids)
        self.lines: dict[tuple, list[money.Line]] = {}
        # Lines already on file for the period: a rerun skips them before the database does.
        self.existing: set[tuple[int, int, str]] = set(
            Bill.objects.filter(estate=estate, period_start=period_start, fee_item_id__in=self.item_ids).values_list(
                "unit_id", "fee_item_id", "payer"
            )
        )
        self.consumption: dict[tuple[int, int], Decimal] = {
            (unit_id, item_id): reading - previous
            for unit_id, item_id, reading, previous in MeterReading.objects.filter(
                fee_item_id__in=self.item_ids, period=period_start
            ).values_list("unit_id", "fee_item_id", "reading", "previous")
        }

    def problems_with(self, units: list[BillableUnit]) -> Problems:
        """Everything that would stop a line from being computed, found before any write."""
        problems = Problems()
        for item, _start, _end in self.items:
            if item.kind == FeeItem.Kind.METERED:
                has_readings = any(key[1] == item.pk for key in self.consumption)
                if has_readings and not tiers_complete(self.tiers.get(item.pk, [])):
                    problems.add("tiers", _("Fee item %(item)s has no complete price tiers.") % {"item": item.name})
        area_items = [item for item, _s, _e in self.items if item.is_area_based]
        for unit in units:
            area = unit["area"]
            if area is not None and area > 0:
                continue
            for item in area_items:
                if (item.pk, unit["house_type"]) in self.standards:
                    problems.add(
                        "area",
                        _("Unit %(unit)s has no building area; enter its area before billing %(item)s.")
                        % {"unit": unit["code"], "item": item.name},
                    )
                    break
        return problems

    def lines_for(self, unit: BillableUnit, run: BillingRun) -> list[BillRow]:
        """The unit's lines for the run, skipping those already on file."""
        rows = []
        for item, start, end in self.items:
            for line in self.item_lines(item, start, end, unit):
                if (unit["pk"], item.id, line.payer) in self.existing:
                    continue
                rows.append(
                    BillRow(
                        estate_id=run.estate_id,
                        unit_id=unit["pk"],
                        fee_item_id=item.id,
                        period_start=start,
                        period_end=end,
                        due_date=start,
                        payer=line.payer,
                        amount=line.amount,
                        paid_amount=Decimal("0.00"),
                        status=Bill.Status.PAID if line.amount == 0 else Bill.Status.OPEN,
                        basis=line.basis,
                        billing_run_id=run.pk,
                    )
                )
        return rows

    def item_lines(
        self, item: FeeItem, start: datetime.date, end: datetime.date, unit: BillableUnit
    ) -> list[money.Line]:
        """The unit's lines of one item: by its water used, or by its standard; none without."""
        if item.kind == FeeItem.Kind.METERED:
            consumption = self.consumption.get((unit["pk"], item.id))
            if consumption is None:
                return []
            return self.tiered_lines(item, consumption, unit)
        price = self.standards.get((item.id, unit["house_type"]))
        if price is None:
            return []
        return self.periodic_lines(item, start, end, price, unit)

    def tiered_lines(self, item: FeeItem, consumption: Decimal, unit: BillableUnit) -> list[money.Line]:
        # Many units use the same amount of water in a month: compute each once.
        key = ("tiered", item.id, consumption, unit["status"] == money.UNDELIVERED)
        if key not in self.lines:
            self.lines[key] = [
                money.tiered_line(consumption=consumption, tiers=self.tiers[item.id], status=unit["status"])
            ]
        return self.lines[key]

    def periodic_lines(
        self, item: FeeItem, start: datetime.date, end: datetime.date, price: Decimal, unit: BillableUnit
    ) -> list[money.Line]:
        # Units of one floor plan share area, type and status: compute each line once.
        key = (item.id, price, unit["area"], unit["status"], unit["delivery_date"])
        if key not in self.lines:
            self.lines[key] = money.periodic_lines(
                kind=item.kind,
                unit_price=price,
                area=unit["area"],
                start=start,
                end=end,
                status=unit["status"],
                delivery_date=unit["delivery_date"],
                vacant_rate=item.vacant_rate,
            )
        return self.lines[key]


def due_items(estate: Estate, period_start: datetime.date) -> list[DueItem]:
    """The estate's active recurring items due in the month, each with the period it covers."""
    items = []
    for item in FeeItem.objects.filter(estate=estate, active=True).exclude(kind=FeeItem.Kind.ONE_OFF):
        period = money.cycle_period(period_start, item.cycle)
        if period is not None:
            items.append((item, period[0], period[1]))
    return items


def standards_in_force(item_ids: list[int], period_start: datetime.date) -> dict[tuple[int, str], Decimal]:
    """(item, house type) → the unit price in force on the first day of the month."""
    in_force = FeeStandard.objects.filter(fee_item_id__in=item_ids, valid_from__lte=period_start).exclude(
        valid_to__lt=period_start
    )
    # A later standard of the same house type replaces an earlier one.
    return {(s.fee_item_id, s.house_type): s.unit_price for s in in_force.order_by("valid_from")}


def tiers_of(item_ids: list[int]) -> dict[int, list[money.Tier]]:
    tiers: dict[int, list[money.Tier]] = {}
    for tier in WaterTier.objects.filter(fee_item_id__in=item_ids):
        tiers.setdefault(tier.fee_item_id, []).append(money.Tier(tier.upper_bound, tier.price))
    return tiers


def tiers_complete(tiers: list[money.Tier]) -> bool:
    """Some tiers, exactly one of them without an upper bound."""
    return bool(tiers) and sum(1 for tier in tiers if tier.upper_bound is None) == 1
