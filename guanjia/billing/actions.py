"""Every write to billing: fee items and standards, meter readings, the billing run."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.queries import residents_with_logins, staff_of
from guanjia.billing import gateway, money
from guanjia.billing.models import (
    Allocation,
    Bill,
    BillingRun,
    CollectionLog,
    FeeItem,
    FeeStandard,
    MeterReading,
    Payment,
    PaymentOrder,
    ReceiptCounter,
    Reversal,
    ReversalRequest,
    WaterTier,
)
from guanjia.core import jobs
from guanjia.core.audit import plain, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.jobs import set_progress
from guanjia.core.models import Job
from guanjia.core.queue import queue_after_commit
from guanjia.core.roles import Capability, posts_with
from guanjia.core.sql import copy_rows
from guanjia.estates.models import Estate, Unit
from guanjia.notifications.actions import notify
from guanjia.people.models import Residency

HOUSE_TYPES = frozenset(Unit.HouseType.values)
MAX_PRICE = Decimal("100000000")


def parse_decimal(value: Any, *, field: str, places: int, message: str) -> Decimal:
    """A finite Decimal with at most `places` decimal places, or DomainError naming `field`."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(message, field=field) from None
    if not number.is_finite():
        raise DomainError(message, field=field)
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        raise DomainError(_("Use at most %(places)d decimal places.") % {"places": places}, field=field)
    return number.quantize(quantum)


def parse_price(value: Any, *, field: str = "unit_price") -> Decimal:
    price = parse_decimal(value, field=field, places=4, message=_("Price must be a number of yuan, e.g. 2.35."))
    if price <= 0:
        raise DomainError(_("Price must be greater than zero."), field=field)
    if price >= MAX_PRICE:
        raise DomainError(_("Price is too large."), field=field)
    return price


def check_period_start(period_start: Any, *, field: str = "period_start") -> datetime.date:
    if not isinstance(period_start, datetime.date) or isinstance(period_start, datetime.datetime):
        raise DomainError(_("Period must be a date such as 2025-07-01."), field=field)
    if period_start.day != 1:
        raise DomainError(_("A billing period starts on the first day of a month."), field=field)
    return period_start


@transaction.atomic
def create_fee_item(
    *,
    actor: Any,
    estate: Estate,
    code: str,
    name: str,
    kind: str,
    cycle: str = FeeItem.Cycle.MONTHLY,
    vacant_rate: Any = money.DEFAULT_VACANT_RATE,
) -> FeeItem:
    problems = Problems()
    if kind not in FeeItem.Kind.values:
        problems.add("kind", _("Choose a kind of fee from the list."))
    if cycle not in FeeItem.Cycle.values:
        problems.add("cycle", _("Choose a billing cycle from the list."))
    if kind == FeeItem.Kind.METERED and cycle != FeeItem.Cycle.MONTHLY:
        problems.add("cycle", _("A metered fee is billed monthly."))
    if not name.strip():
        problems.add("name", _("Enter a name for the fee item."))
    rate = parse_decimal(
        vacant_rate, field="vacant_rate", places=4, message=_("Vacant-unit rate must be a number such as 0.70.")
    )
    if not 0 <= rate <= 1:
        problems.add("vacant_rate", _("Vacant-unit rate must be between 0 and 1 (0.70 is 70%)."))
    problems.raise_if_any(_("Please correct the fee item."))
    try:
        with transaction.atomic():
            item = FeeItem.objects.create(
                estate=estate, code=code, name=name.strip(), kind=kind, cycle=cycle, vacant_rate=rate
            )
    except IntegrityError:
        raise DomainError(_("A fee item with this code already exists in the estate."), field="code") from None
    record_change(
        actor=actor,
        target=item,
        verb="create",
        estate_id=estate.pk,
        changes={"code": [None, code], "kind": [None, kind], "cycle": [None, cycle]},
    )
    return item


@transaction.atomic
def set_fee_standard(
    *,
    actor: Any,
    fee_item: FeeItem,
    house_type: str,
    unit_price: Any,
    valid_from: datetime.date,
) -> FeeStandard:
    """A new price for a house type from `valid_from` on. The standard in force until then
    is closed the day before; a standard may not start before one already on file."""
    price = parse_price(unit_price)
    if house_type not in HOUSE_TYPES:
        raise DomainError(_("Choose a house type from the list."), field="house_type")
    if fee_item.kind == FeeItem.Kind.METERED:
        raise DomainError(_("A metered fee is priced by tiers, not by a standard."), field="fee_item")
    if not isinstance(valid_from, datetime.date):
        raise DomainError(_("Valid from must be a date such as 2025-07-01."), field="valid_from")
    # Serialize changes to one item's standards: two clerks closing the same open standard
    # would otherwise leave two standards open at once.
    FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    standards = FeeStandard.objects.filter(fee_item=fee_item, house_type=house_type)
    if standards.filter(valid_from__gte=valid_from).exists():
        raise DomainError(_("A standard starting on or after this date is already on file."), field="valid_from")
    if standards.filter(valid_to__gte=valid_from).exists():
        raise DomainError(_("This date falls inside an earlier standard's range."), field="valid_from")
    previous = standards.filter(valid_to__isnull=True).first()
    if previous is not None:
        previous.valid_to = valid_from - datetime.timedelta(days=1)
        previous.save(update_fields=["valid_to"])
        record_change(
            actor=actor,
            target=previous,
            verb="close",
            estate_id=fee_item.estate_id,
            changes={"valid_to": [None, plain(previous.valid_to)]},
        )
    standard = FeeStandard.objects.create(
        fee_item=fee_item,
        house_type=house_type,
        unit_price=price,
        valid_from=valid_from,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_change(
        actor=actor,
        target=standard,
        verb="create",
        estate_id=fee_item.estate_id,
        changes={
            "house_type": [None, house_type],
            "unit_price": [None, str(price)],
            "valid_from": [None, str(valid_from)],
        },
    )
    return standard


@transaction.atomic
def set_water_tiers(*, actor: Any, fee_item: FeeItem, tiers: Iterable[tuple[Any, Any]]) -> list[WaterTier]:
    """Replace a metered item's price tiers. `tiers` is (upper bound in m³ or None, price)
    pairs; exactly one, the last, has no upper bound. Bills already issued keep their
    own tier breakdown in `basis`, so replacing the tiers never changes a bill."""
    if fee_item.kind != FeeItem.Kind.METERED:
        raise DomainError(_("Only a metered fee has price tiers."), field="fee_item")
    parsed: list[tuple[Decimal | None, Decimal]] = []
    for upper, price in tiers:
        bound = None
        if upper is not None and str(upper).strip() != "":
            bound = parse_decimal(
                upper, field="upper_bound", places=2, message=_("Upper bound must be a number of m³.")
            )
            if bound <= 0:
                raise DomainError(_("Upper bound must be greater than zero."), field="upper_bound")
        parsed.append((bound, parse_price(price, field="price")))
    bounds = [bound for bound, _price in parsed]
    if not parsed or bounds[-1] is not None or None in bounds[:-1]:
        raise DomainError(_("The last tier, and only the last, has no upper bound."), field="upper_bound")
    finite = [bound for bound in bounds if bound is not None]
    if finite != sorted(set(finite)):
        raise DomainError(_("Upper bounds must rise from one tier to the next."), field="upper_bound")
    FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    old = [[plain(t.upper_bound), plain(t.price)] for t in fee_item.tiers.order_by("upper_bound")]
    WaterTier.objects.filter(fee_item=fee_item).delete()
    created = WaterTier.objects.bulk_create(
        WaterTier(fee_item=fee_item, upper_bound=bound, price=price) for bound, price in parsed
    )
    record_change(
        actor=actor,
        target=fee_item,
        verb="set_tiers",
        estate_id=fee_item.estate_id,
        changes={"tiers": [old, [[plain(b), plain(p)] for b, p in parsed]]},
    )
    return created


@transaction.atomic
def record_meter_reading(
    *,
    actor: Any,
    unit: Unit,
    fee_item: FeeItem,
    period: datetime.date,
    reading: Any,
    initial_reading: Any = "0",
) -> MeterReading:
    """The meter reading of a unit at the end of `period` (a month). The previous reading is
    the last one on file; for a new meter it is `initial_reading` (0 by default). A reading
    lower than the previous one is refused: meters do not run backwards (a replaced meter
    starts again from its own initial reading via a correction, not yet built)."""
    if fee_item.kind != FeeItem.Kind.METERED or fee_item.estate_id != unit.estate_id:
        raise DomainError(_("Choose a metered fee item of this estate."), field="fee_item")
    check_period_start(period, field="period")
    value = parse_decimal(reading, field="reading", places=2, message=_("Reading must be a number, e.g. 1234.50."))
    if value < 0:
        raise DomainError(_("Reading cannot be negative."), field="reading")
    # Lock the unit so that two readings for it are recorded one after the other.
    Unit.objects.select_for_update().get(pk=unit.pk)
    readings = MeterReading.objects.filter(unit=unit, fee_item=fee_item)
    if readings.filter(period=period).exists():
        raise DomainError(_("A reading for this month is already on file."), field="period")
    if readings.filter(period__gt=period).exists():
        raise DomainError(_("A later month already has a reading; enter readings in order."), field="period")
    last = readings.filter(period__lt=period).order_by("-period").first()
    if last is not None:
        previous = last.reading
    else:
        previous = parse_decimal(
            initial_reading, field="initial_reading", places=2, message=_("Initial reading must be a number.")
        )
    if value < previous:
        raise DomainError(
            _("Reading %(reading)s is lower than the previous reading %(previous)s.")
            % {"reading": value, "previous": previous},
            field="reading",
        )
    entry = MeterReading.objects.create(
        unit=unit,
        fee_item=fee_item,
        period=period,
        reading=value,
        previous=previous,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    record_change(
        actor=actor,
        target=entry,
        verb="create",
        estate_id=unit.estate_id,
        changes={"reading": [str(previous), str(value)]},
    )
    return entry


# -- The billing run ---------------------------------------------------------------------


def billable_units(estate: Estate) -> list[dict[str, Any]]:
    """The units a run bills, in a fixed order (so batches are the same on every run)."""
    rows = Unit.objects.filter(estate=estate).order_by("pk")
    return [dict(row) for row in rows.values("pk", "code", "area", "house_type", "status", "delivery_date")]


class BillingPlan:
    """What a run for one estate and month bills: the due items, their standards, tiers and
    readings, loaded once. `lines_for(unit)` is then pure."""

    def __init__(self, estate: Estate, period_start: datetime.date) -> None:
        self.period_start = period_start
        self.items: list[tuple[FeeItem, datetime.date, datetime.date]] = []
        for item in FeeItem.objects.filter(estate=estate, active=True).exclude(kind=FeeItem.Kind.ONE_OFF):
            period = money.cycle_period(period_start, item.cycle)
            if period is not None:
                self.items.append((item, period[0], period[1]))
        item_ids = [item.pk for item, _start, _end in self.items]
        self.standards: dict[tuple[int, str], Decimal] = {}
        in_force = FeeStandard.objects.filter(fee_item_id__in=item_ids, valid_from__lte=period_start).exclude(
            valid_to__lt=period_start
        )
        for standard in in_force.order_by("valid_from"):
            self.standards[(standard.fee_item_id, standard.house_type)] = standard.unit_price
        self.tiers: dict[int, list[money.Tier]] = {}
        for tier in WaterTier.objects.filter(fee_item_id__in=item_ids):
            self.tiers.setdefault(tier.fee_item_id, []).append(money.Tier(tier.upper_bound, tier.price))
        self.lines: dict[tuple, list[money.Line]] = {}
        # Lines already on file for the period: a rerun skips them before the database does.
        self.existing: set[tuple[int, int, str]] = set(
            Bill.objects.filter(estate=estate, period_start=period_start, fee_item_id__in=item_ids).values_list(
                "unit_id", "fee_item_id", "payer"
            )
        )
        self.consumption: dict[tuple[int, int], Decimal] = {
            (unit_id, item_id): reading - previous
            for unit_id, item_id, reading, previous in MeterReading.objects.filter(
                fee_item_id__in=item_ids, period=period_start
            ).values_list("unit_id", "fee_item_id", "reading", "previous")
        }

    def problems_with(self, units: list[dict[str, Any]]) -> Problems:
        """Everything that would stop a line from being computed, found before any write."""
        problems = Problems()
        for item, _start, _end in self.items:
            if item.kind == FeeItem.Kind.METERED:
                has_readings = any(key[1] == item.pk for key in self.consumption)
                if has_readings and not money_tiers_valid(self.tiers.get(item.pk, [])):
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

    def lines_for(self, unit: dict[str, Any], run: BillingRun) -> list[BillRow]:
        """The unit's lines for the run, skipping those already on file."""
        rows = []
        for item, start, end in self.items:
            lines: list[money.Line]
            if item.kind == FeeItem.Kind.METERED:
                consumption = self.consumption.get((unit["pk"], item.id))
                if consumption is None:
                    continue
                # Many units use the same amount of water in a month: compute each once.
                key = ("tiered", item.id, consumption, unit["status"] == money.UNDELIVERED)
                if key not in self.lines:
                    self.lines[key] = [
                        money.tiered_line(consumption=consumption, tiers=self.tiers[item.id], status=unit["status"])
                    ]
                lines = self.lines[key]
            else:
                price = self.standards.get((item.id, unit["house_type"]))
                if price is None:
                    continue
                lines = self.periodic_lines(item, start, end, price, unit)
            for line in lines:
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

    def periodic_lines(
        self, item: FeeItem, start: datetime.date, end: datetime.date, price: Decimal, unit: dict[str, Any]
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


def money_tiers_valid(tiers: list[money.Tier]) -> bool:
    return bool(tiers) and sum(1 for tier in tiers if tier.upper_bound is None) == 1


def insert_bills(bills: list[BillRow]) -> None:
    """Insert one batch in one transaction; lines already on file are skipped by the unique
    constraint, so a batch may be inserted any number of times. The plan has already left out
    the lines on file when the run started, so a conflict only means that another run inserted
    some of them meanwhile (core.sql.copy_rows then takes the slower way for this batch)."""
    copy_rows(Bill, BillRow._fields, bills, ignore_conflicts=True)


def refuse_problems(problems: Problems) -> None:
    if problems:
        first = problems.items[0]
        summary = first.message
        if len(problems.items) > 1:
            summary = _("%(first)s (and %(more)d more problems)") % {
                "first": first.message,
                "more": len(problems.items) - 1,
            }
        raise DomainError(summary, field=first.field, problems=list(problems.items))


def check_billing_run(*, estate: Estate, period_start: Any) -> None:
    """Refuse, before a run is queued, what would stop it (an area missing on a unit being
    billed, incomplete tiers); the run checks again itself when it starts."""
    check_period_start(period_start)
    plan = BillingPlan(estate, period_start)
    refuse_problems(plan.problems_with(billable_units(estate)))


def run_billing(
    *,
    actor: Any,
    estate: Estate,
    period_start: datetime.date,
    job_id: int | None = None,
    batch_size: int = 2000,
) -> BillingRun:
    """Bill every unit of the estate for every active item due in the month.

    Idempotent by the bill's unique constraint (unit, item, period start): running again,
    or after a run was killed half-way, inserts only the missing lines, and the lines
    already on file are left exactly as they are. Everything that could stop a line is
    checked before the first write, so a refused run writes nothing at all.

    Not one atomic block on purpose: each batch commits on its own so that progress is
    visible to the page and a killed run keeps its finished batches (the rerun fills in
    the rest). Each batch itself is atomic."""
    check_period_start(period_start)
    plan = BillingPlan(estate, period_start)
    units = billable_units(estate)
    refuse_problems(plan.problems_with(units))

    item_ids = [item.pk for item, _start, _end in plan.items]
    existing = Bill.objects.filter(estate=estate, period_start=period_start, fee_item_id__in=item_ids)
    before = existing.count()
    run = BillingRun.objects.create(
        estate=estate,
        period_start=period_start,
        units_total=len(units),
        job_id=job_id,
        started_by=actor if getattr(actor, "pk", None) else None,
    )
    if job_id is not None:
        set_progress(job_id, 0, len(units), stage="billing")
    planned = 0
    try:
        for offset in range(0, len(units), batch_size):
            batch = units[offset : offset + batch_size]
            bills = [bill for unit in batch for bill in plan.lines_for(unit, run)]
            planned += len(bills)
            insert_bills(bills)
            done = offset + len(batch)
            BillingRun.objects.filter(pk=run.pk).update(units_done=done, lines_planned=planned)
            if job_id is not None:
                set_progress(job_id, done, len(units))
    except Exception as error:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.Status.FAILED, finished_at=timezone.now(), message=str(error)[:1000]
        )
        raise
    created = existing.count() - before
    BillingRun.objects.filter(pk=run.pk).update(
        status=BillingRun.Status.FINISHED,
        finished_at=timezone.now(),
        units_done=len(units),
        lines_planned=planned,
        lines_created=created,
    )
    run.refresh_from_db()
    # Prepaid balances (预收) draw on the new bills at once.
    for unit in Unit.objects.filter(pk__in=units_with_prepaid(estate)).order_by("pk"):
        apply_prepaid(actor=actor, unit=unit)
    record_change(
        actor=actor,
        target=run,
        verb="run_billing",
        estate_id=estate.pk,
        changes={"period_start": [None, str(period_start)], "lines_created": [None, created]},
        note=_("%(planned)d lines missing, %(created)d inserted") % {"planned": planned, "created": created},
    )
    return run


# -- Payments, receipts, reversals ---------------------------------------------------------


def lock_unit(unit_id: int) -> None:
    """Every money action on a unit takes the unit's row lock first, so they run one after
    another per unit and always lock in the same order (unit, bills, payments, counter)."""
    Unit.objects.select_for_update().filter(pk=unit_id).values_list("pk", flat=True).first()


def take_receipt_number(estate_id: int) -> int:
    """The estate's next receipt number, without gaps: the counter row stays locked until
    the payment commits, and a rolled-back payment rolls its number back too."""
    counter, _created = ReceiptCounter.objects.select_for_update().get_or_create(estate_id=estate_id)
    number = counter.next_number
    ReceiptCounter.objects.filter(pk=counter.pk).update(next_number=F("next_number") + 1)
    return number


def allocate(payment: Payment, bills: list[Bill], available: Decimal) -> Decimal:
    """Settle `bills` in the order given from `available`; returns what is left over.
    The bills must be locked by the caller."""
    for bill in bills:
        if available <= 0:
            break
        due = bill.amount - bill.paid_amount
        if due <= 0 or bill.status != Bill.Status.OPEN:
            continue
        share = min(due, available)
        Allocation.objects.create(payment=payment, bill=bill, amount=share)
        bill.paid_amount += share
        bill.status = Bill.Status.PAID if bill.paid_amount == bill.amount else Bill.Status.OPEN
        bill.save(update_fields=["paid_amount", "status"])
        available -= share
    return available


def unallocated(payment: Payment) -> Decimal:
    spent = payment.allocations.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    return payment.amount - spent


@transaction.atomic
def record_payment(
    *,
    actor: Any,
    unit: Unit,
    amount: Any,
    method: str,
    bill_ids: list[int] | None = None,
    reference: str = "",
    note: str = "",
    received_at: datetime.datetime | None = None,
) -> Payment:
    """Money received for a unit. It settles the chosen bills, or the unit's open bills oldest
    first; whatever is left becomes the unit's prepaid balance (预收). The unit's open bills
    are locked first, so two cashiers paying the same bill at once are served one after the
    other: the second finds the bill paid and its money becomes prepaid."""
    value = parse_decimal(amount, field="amount", places=2, message=_("Amount must be a number of yuan, e.g. 300.00."))
    if value <= 0:
        raise DomainError(_("Amount must be greater than zero."), field="amount")
    if method not in Payment.Method.values:
        raise DomainError(_("Choose a payment method from the list."), field="method")
    reference = reference.strip()
    lock_unit(unit.pk)
    open_bills = list(
        Bill.objects.select_for_update()
        .filter(unit=unit, status=Bill.Status.OPEN)
        .order_by("due_date", "period_start", "fee_item_id", "pk")
    )
    if bill_ids is not None:
        chosen = [bill for bill in open_bills if bill.pk in set(bill_ids)]
        if len(chosen) != len(set(bill_ids)):
            raise DomainError(_("A chosen bill is already paid, reversed or not this unit's."), field="bills")
        due = sum((bill.amount - bill.paid_amount for bill in chosen), Decimal("0.00"))
        if value > due:
            raise DomainError(
                _("The amount %(amount)s is more than the chosen bills owe (%(due)s).") % {"amount": value, "due": due},
                field="amount",
            )
        open_bills = chosen
    else:
        # Unless chosen, money from the unit settles the owner's bills only: the developer's
        # lines (days before delivery) are paid by the developer, choosing them explicitly.
        open_bills = [bill for bill in open_bills if bill.payer == Bill.Payer.OWNER]
    # Taking the number locks the estate's counter, which serializes the estate's payments:
    # the reference check below cannot race with a second callback carrying the same one.
    receipt_number = take_receipt_number(unit.estate_id)
    if reference and Payment.objects.filter(estate_id=unit.estate_id, reference=reference).exists():
        raise DomainError(_("A payment with this reference is already on file."), field="reference")
    payment = Payment.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        method=method,
        amount=value,
        receipt_number=receipt_number,
        reference=reference,
        note=note[:200],
        received_by=actor if getattr(actor, "pk", None) else None,
        received_at=received_at or timezone.now(),
    )
    left = allocate(payment, open_bills, value)
    record_change(
        actor=actor,
        target=payment,
        verb="create",
        estate_id=unit.estate_id,
        changes={"amount": [None, str(value)], "receipt_number": [None, payment.receipt_number]},
        note=_("prepaid %(left)s") % {"left": left} if left else "",
    )
    return payment


def units_with_prepaid(estate: Estate) -> list[int]:
    """Units of the estate with a valid payment not wholly allocated."""
    rows = (
        Payment.objects.filter(estate=estate, status=Payment.Status.VALID)
        .annotate(spent=Coalesce(Sum("allocations__amount"), Decimal("0.00"), output_field=DecimalField()))
        .filter(amount__gt=F("spent"))
        .values_list("unit_id", flat=True)
        .distinct()
    )
    return list(rows)


def prepaid_balance(unit: Unit) -> Decimal:
    """Prepaid (预收) = valid payments − what they settled. Computed from the ledger."""
    paid = Payment.objects.filter(unit=unit, status=Payment.Status.VALID).aggregate(total=Sum("amount"))["total"]
    spent = Allocation.objects.filter(payment__unit=unit, payment__status=Payment.Status.VALID).aggregate(
        total=Sum("amount")
    )["total"]
    return (paid or Decimal("0.00")) - (spent or Decimal("0.00"))


@transaction.atomic
def apply_prepaid(*, actor: Any, unit: Unit) -> Decimal:
    """Let the unit's prepaid balance settle its open bills, oldest first. Returns the amount
    applied. Safe to call any time (after a billing run, after a payment)."""
    lock_unit(unit.pk)
    open_bills = list(
        Bill.objects.select_for_update()
        .filter(unit=unit, status=Bill.Status.OPEN, payer=Bill.Payer.OWNER)
        .order_by("due_date", "period_start", "fee_item_id", "pk")
    )
    applied = Decimal("0.00")
    payments = Payment.objects.select_for_update().filter(unit=unit, status=Payment.Status.VALID).order_by("pk")
    for payment in payments:
        left = unallocated(payment)
        if left > 0:
            applied += left - allocate(payment, open_bills, left)
    if applied:
        record_change(
            actor=actor,
            target=unit,
            verb="apply_prepaid",
            estate_id=unit.estate_id,
            changes={"applied": [None, str(applied)]},
        )
    return applied


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the reversal."), field="reason")
    return reason[:300]


@transaction.atomic
def reverse_payment(*, actor: Any, payment: Payment, reason: str) -> Reversal:
    """红冲 a payment: it stays on file with its receipt number, marked reversed; every bill it
    settled owes again exactly what it allocated."""
    reason = check_reason(reason)
    lock_unit(payment.unit_id)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != Payment.Status.VALID:
        raise DomainError(_("This payment is already reversed."), field="payment")
    allocations = list(locked.allocations.all())
    bills = {b.pk: b for b in Bill.objects.select_for_update().filter(pk__in=[a.bill_id for a in allocations])}
    for allocation in allocations:
        bill = bills[allocation.bill_id]
        bill.paid_amount -= allocation.amount
        if bill.status == Bill.Status.PAID:
            bill.status = Bill.Status.OPEN
        bill.save(update_fields=["paid_amount", "status"])
    locked.status = Payment.Status.REVERSED
    locked.save(update_fields=["status"])
    payment.status = locked.status
    reversal = Reversal.objects.create(
        payment=locked, reason=reason, reversed_by=actor if getattr(actor, "pk", None) else None
    )
    record_change(
        actor=actor,
        target=locked,
        verb="reverse",
        estate_id=locked.estate_id,
        changes={"status": [Payment.Status.VALID, Payment.Status.REVERSED]},
        note=reason,
    )
    return reversal


@transaction.atomic
def reverse_bill(*, actor: Any, bill: Bill, reason: str) -> Reversal:
    """红冲 a bill issued in error. A bill with money on it is refused: reverse the payment
    first, so that no payment is left pointing at a cancelled bill."""
    reason = check_reason(reason)
    lock_unit(bill.unit_id)
    locked = Bill.objects.select_for_update().get(pk=bill.pk)
    if locked.status == Bill.Status.REVERSED:
        raise DomainError(_("This bill is already reversed."), field="bill")
    if locked.paid_amount > 0:
        raise DomainError(_("This bill has payments; reverse them first."), field="bill")
    old = locked.status
    locked.status = Bill.Status.REVERSED
    locked.save(update_fields=["status"])
    bill.status = locked.status
    reversal = Reversal.objects.create(
        bill=locked, reason=reason, reversed_by=actor if getattr(actor, "pk", None) else None
    )
    record_change(
        actor=actor,
        target=locked,
        verb="reverse",
        estate_id=locked.estate_id,
        changes={"status": [old, Bill.Status.REVERSED]},
        note=reason,
    )
    return reversal


# -- The billing run as a background job ----------------------------------------------------

BILLING_JOB = "billing_run"


def start_billing_run(*, actor: Any, estate: Estate, period_start: datetime.date, batch_size: int = 2000) -> Job:
    """Queue a billing run; the page polls the returned job for its progress bar."""
    check_period_start(period_start)
    with transaction.atomic():
        job = jobs.start_job(
            BILLING_JOB,
            estate.pk,
            actor,
            params={"period_start": period_start.isoformat(), "batch_size": batch_size},
        )
        queue_after_commit("billing.run", job.pk)
    return job


def run_billing_job(*, job_id: int) -> None:
    """The worker's side. Safe to run twice, or after a killed run: the run itself is
    idempotent, so a second delivery only finds nothing left to insert."""
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.finished or job.estate_id is None:
        return
    estate = Estate.objects.get(pk=job.estate_id)
    period_start = datetime.date.fromisoformat(job.params["period_start"])
    try:
        run = run_billing(
            actor=job.created_by,
            estate=estate,
            period_start=period_start,
            job_id=job.pk,
            batch_size=int(job.params.get("batch_size", 2000)),
        )
    except DomainError as error:
        jobs.fail_job(job.pk, error.message, result=error.as_dict())
        return
    jobs.finish_job(job.pk, {"run": run.pk, "lines_created": run.lines_created, "units": run.units_total})


# -- Reversals with a reason and an approval -------------------------------------------------


@transaction.atomic
def request_reversal(
    *, actor: Any, payment: Payment | None = None, bill: Bill | None = None, reason: str
) -> ReversalRequest:
    """Ask for a 红冲 of a payment or of a bill. Nothing is reversed yet: someone else who may
    approve reversals decides (approve_reversal / reject_reversal). Refused without a reason,
    for something already reversed, for a bill that still has payments on it, and when a
    request for the same thing is already waiting."""
    reason = check_reason(reason)
    if (payment is None) == (bill is None):
        raise DomainError(_("Choose the payment or the bill to reverse."), field="target")
    if payment is not None:
        lock_unit(payment.unit_id)
        locked_payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked_payment.status != Payment.Status.VALID:
            raise DomainError(_("This payment is already reversed."), field="payment")
        estate_id = locked_payment.estate_id
    else:
        assert bill is not None
        lock_unit(bill.unit_id)
        locked_bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if locked_bill.status == Bill.Status.REVERSED:
            raise DomainError(_("This bill is already reversed."), field="bill")
        if locked_bill.paid_amount > 0:
            raise DomainError(_("This bill has payments; reverse them first."), field="bill")
        estate_id = locked_bill.estate_id
    try:
        with transaction.atomic():
            request = ReversalRequest.objects.create(
                estate_id=estate_id, payment=payment, bill=bill, reason=reason, requested_by=actor
            )
    except IntegrityError:
        raise DomainError(_("A reversal of this is already awaiting approval."), field="target") from None
    record_change(
        actor=actor,
        target=request,
        verb="request_reversal",
        estate_id=estate_id,
        changes={"payment": [None, request.payment_id], "bill": [None, request.bill_id]},
        note=reason,
    )
    what = (
        _("receipt No. %(number)s") % {"number": payment.receipt_number}
        if payment is not None
        else _("bill %(bill)s") % {"bill": request.bill_id}
    )
    for approver in staff_of(estate_id, posts_with(Capability.APPROVE_REVERSALS)):
        if approver.pk != getattr(actor, "pk", None):
            notify(
                recipient=approver,
                subject=_("A reversal of %(what)s awaits your approval") % {"what": what},
                body=reason,
                estate=request.estate,
                dedupe_key=f"billing:reversal-request:{request.pk}",
            )
    return request


def decide(actor: Any, request: ReversalRequest) -> ReversalRequest:
    locked = ReversalRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ReversalRequest.Status.PENDING:
        raise DomainError(_("This request has already been decided."), field="request")
    if getattr(actor, "pk", None) is None or actor.pk == locked.requested_by_id:
        raise DomainError(_("A reversal is approved or rejected by someone other than who asked."), field="request")
    return locked


@transaction.atomic
def approve_reversal(*, actor: Any, request: ReversalRequest, note: str = "") -> ReversalRequest:
    """Apply a requested reversal: the payment or the bill is reversed with the request's
    reason, every balance it touched is restored, and the request records who approved."""
    locked = decide(actor, request)
    if locked.payment_id is not None:
        reversal = reverse_payment(actor=actor, payment=locked.payment, reason=locked.reason)  # type: ignore[arg-type]
    else:
        reversal = reverse_bill(actor=actor, bill=locked.bill, reason=locked.reason)  # type: ignore[arg-type]
    locked.status = ReversalRequest.Status.APPROVED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()[:300]
    locked.reversal = reversal
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "reversal"])
    record_change(
        actor=actor,
        target=locked,
        verb="approve",
        estate_id=locked.estate_id,
        changes={"status": [ReversalRequest.Status.PENDING, ReversalRequest.Status.APPROVED]},
        note=locked.decision_note,
    )
    notify(
        recipient=locked.requested_by,
        subject=_("Your reversal request was approved"),
        body=locked.reason,
        estate=locked.estate,
        dedupe_key=f"billing:reversal-request:{locked.pk}:decided",
    )
    request.status = locked.status
    return locked


@transaction.atomic
def reject_reversal(*, actor: Any, request: ReversalRequest, note: str = "") -> ReversalRequest:
    """Refuse a requested reversal; nothing in the ledger changes, the request stays on file."""
    locked = decide(actor, request)
    locked.status = ReversalRequest.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()[:300]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record_change(
        actor=actor,
        target=locked,
        verb="reject",
        estate_id=locked.estate_id,
        changes={"status": [ReversalRequest.Status.PENDING, ReversalRequest.Status.REJECTED]},
        note=locked.decision_note,
    )
    notify(
        recipient=locked.requested_by,
        subject=_("Your reversal request was rejected"),
        body=locked.decision_note or locked.reason,
        estate=locked.estate,
        dedupe_key=f"billing:reversal-request:{locked.pk}:decided",
    )
    request.status = locked.status
    return locked


# -- Online payment --------------------------------------------------------------------------


def outstanding_of(unit: Unit) -> Decimal:
    """What the unit owes on its open owner bills, due or not."""
    total = Bill.objects.filter(unit=unit, status=Bill.Status.OPEN, payer=Bill.Payer.OWNER).aggregate(
        total=Sum(F("amount") - F("paid_amount"))
    )["total"]
    return money.round_to_fen(Decimal(str(total))) if total is not None else Decimal("0.00")


@transaction.atomic
def create_payment_order(
    *, actor: Any, unit: Unit, bill_ids: list[int] | None = None, amount: Any = None
) -> tuple[PaymentOrder, gateway.Checkout]:
    """Open an online payment for a unit: for chosen open bills (their whole outstanding
    amount), or for an amount (settled oldest first; the rest becomes prepaid), or, with
    neither, for everything the unit owes. Returns the order and what the payer is shown."""
    if bill_ids:
        ids = set(bill_ids)
        bills = list(Bill.objects.filter(unit=unit, status=Bill.Status.OPEN, payer=Bill.Payer.OWNER, pk__in=ids))
        if len(bills) != len(ids):
            raise DomainError(_("A chosen bill is already paid, reversed or not this unit's."), field="bills")
        value = sum((bill.amount - bill.paid_amount for bill in bills), Decimal("0.00"))
        chosen = sorted(ids)
    elif amount is not None and str(amount).strip() != "":
        value = parse_decimal(
            amount, field="amount", places=2, message=_("Amount must be a number of yuan, e.g. 300.00.")
        )
        chosen = []
    else:
        value = outstanding_of(unit)
        chosen = []
    if value <= 0:
        raise DomainError(_("Amount must be greater than zero."), field="amount")
    if value >= MAX_PRICE:
        raise DomainError(_("Amount is too large."), field="amount")
    order = PaymentOrder.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        order_number=f"GJ{unit.estate_id}-{secrets.token_hex(10).upper()}",
        amount=value,
        bill_ids=chosen,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_change(
        actor=actor,
        target=order,
        verb="create",
        estate_id=unit.estate_id,
        changes={"amount": [None, str(value)], "bills": [None, chosen]},
    )
    checkout = gateway.current_gateway().checkout(
        order_number=order.order_number, amount=value, subject=_("Property fees of %(unit)s") % {"unit": unit.code}
    )
    return order, checkout


class ForgedCallback(Exception):
    """A callback whose signature does not check out: refused, nothing recorded."""


class CallbackResult(NamedTuple):
    order: PaymentOrder | None
    payment: Payment | None
    created: bool


def handle_gateway_callback(*, body: bytes, signature: str) -> CallbackResult:
    """The gateway tells us an order was paid. The signature is checked over the raw body
    before anything is read from it. The order's row lock serializes callbacks for one order,
    and the transaction id is the payment's reference (unique per estate), so a repeated
    callback finds the payment already on file and records nothing: it is answered OK all
    the same, which is what makes the gateway stop retrying.

    The money paid is recorded even if it differs from the order (it was received): the
    chosen bills are settled only when it matches them exactly and they still owe it;
    otherwise it settles the unit's bills oldest first and the rest becomes prepaid."""
    if not gateway.signature_valid(body, signature):
        raise ForgedCallback
    try:
        data = gateway.current_gateway().parse_callback(body)
    except gateway.CallbackError:
        raise DomainError(_("The callback body cannot be read."), field="body") from None
    if not data.transaction_id:
        raise DomainError(_("The callback has no transaction id."), field="transaction_id")
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().filter(order_number=data.order_number).first()
        if order is None:
            raise DomainError(_("No such payment order."), field="order_number")
        if data.status != gateway.SUCCESS:
            return CallbackResult(order, None, False)
        existing = Payment.objects.filter(estate_id=order.estate_id, reference=data.transaction_id).first()
        if existing is not None:
            return CallbackResult(order, existing, False)
        unit = Unit.objects.get(pk=order.unit_id)
        chosen: list[int] | None = None
        if order.bill_ids and order.payment_id is None and data.amount == order.amount:
            still_due = Bill.objects.filter(pk__in=order.bill_ids, unit=unit, status=Bill.Status.OPEN).aggregate(
                total=Sum(F("amount") - F("paid_amount"))
            )["total"]
            if still_due is not None and Decimal(str(still_due)) == data.amount:
                chosen = list(order.bill_ids)
        payment = record_payment(
            actor=None,
            unit=unit,
            amount=data.amount,
            method=Payment.Method.ONLINE,
            bill_ids=chosen,
            reference=data.transaction_id,
            note=_("Online order %(order)s") % {"order": order.order_number},
        )
        if order.payment_id is None:
            order.status = PaymentOrder.Status.PAID
            order.payment = payment
            order.paid_at = timezone.now()
            order.save(update_fields=["status", "payment", "paid_at"])
        return CallbackResult(order, payment, True)


# -- Arrears collection ----------------------------------------------------------------------
#
# Collection here is contact, notices and follow-up, nothing more:
# - No late fee (滞纳金) is built. Courts in China often refuse it unless the service contract
#   provides for it, so it would have to be an estate's explicit choice (off by default, a
#   simple daily rate on the overdue principal); until someone builds that, there is none.
# - Never any cut of water, power or gas, and no threat of it in a notice: a property service
#   center may not do that to collect fees. There is nothing to build for it, on purpose.


def check_choice(value: str, choices: list[str], *, field: str, message: str) -> str:
    if value not in choices:
        raise DomainError(message, field=field)
    return value


@transaction.atomic
def log_collection(
    *,
    actor: Any,
    unit: Unit,
    contact: str,
    outcome: str,
    promised_date: datetime.date | None = None,
    note: str = "",
) -> CollectionLog:
    """Record one contact about a unit's arrears (催缴). A promise to pay needs its date,
    today or later; on that date the one who logged it is reminded to follow up."""
    check_choice(contact, CollectionLog.Contact.values, field="contact", message=_("Choose how you made contact."))
    check_choice(outcome, CollectionLog.Outcome.values, field="outcome", message=_("Choose the outcome."))
    if outcome == CollectionLog.Outcome.PROMISED and promised_date is None:
        raise DomainError(_("Enter the date the payer promised to pay."), field="promised_date")
    if promised_date is not None and promised_date < timezone.localdate():
        raise DomainError(_("The promised date cannot be in the past."), field="promised_date")
    entry = CollectionLog.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        contact=contact,
        outcome=outcome,
        promised_date=promised_date,
        note=note.strip()[:500],
        logged_by=actor,
    )
    record_change(
        actor=actor,
        target=entry,
        verb="create",
        estate_id=unit.estate_id,
        changes={"outcome": [None, outcome], "promised_date": [None, plain(promised_date)]},
    )
    return entry


def remind_promised_payments(*, today: datetime.date | None = None) -> list[int]:
    """The daily follow-up: for every promise to pay whose date has come and that has not
    been followed up yet, remind the one who logged it, if the unit still owes anything due.
    Each entry is claimed under a row lock (skip locked) and marked, and the notice carries a
    dedupe key, so running twice, or in two workers at once, reminds once. Returns the ids of
    the entries that were followed up."""
    today = today or timezone.localdate()
    done: list[int] = []
    with transaction.atomic():
        due = (
            CollectionLog.objects.select_for_update(skip_locked=True)
            .filter(outcome=CollectionLog.Outcome.PROMISED, promised_date__lte=today, reminded_at__isnull=True)
            .order_by("pk")
        )
        for entry in due.select_related("unit", "estate", "logged_by"):
            owed = (
                Bill.objects.filter(unit_id=entry.unit_id, status=Bill.Status.OPEN, due_date__lte=today)
                .exclude(payer=Bill.Payer.DEVELOPER)
                .aggregate(total=Sum(F("amount") - F("paid_amount")))["total"]
            )
            if owed:
                notify(
                    recipient=entry.logged_by,
                    subject=_("%(unit)s promised to pay by %(date)s: follow up")
                    % {"unit": entry.unit.code, "date": entry.promised_date},
                    body=_("Still owed: ¥%(owed)s. %(note)s") % {"owed": fen_text(owed), "note": entry.note},
                    estate=entry.estate,
                    dedupe_key=f"billing:collection:{entry.pk}:promise",
                )
            entry.reminded_at = timezone.now()
            entry.save(update_fields=["reminded_at"])
            done.append(entry.pk)
    return done


def fen_text(value: Any) -> str:
    return str(money.round_to_fen(Decimal(str(value))))


@transaction.atomic
def send_arrears_reminders(
    *, actor: Any, estate: Estate, as_of: datetime.date | None = None, zone_ids: Iterable[int] | None = None
) -> int:
    """Arrears reminder notices (催缴通知) to the owners of every unit with owner bills due
    and unpaid on `as_of`: in their portal inbox and by SMS (and e-mail when on file), at
    most once a month per unit and owner. A polite notice of what is owed, nothing else:
    no late fee unless the estate has one, and never a threat to cut water or power.
    Returns how many notices were sent."""
    as_of = as_of or timezone.localdate()
    bills = Bill.objects.filter(estate=estate, status=Bill.Status.OPEN, payer=Bill.Payer.OWNER, due_date__lte=as_of)
    if zone_ids is not None:
        bills = bills.filter(unit__zone_id__in=list(zone_ids))
    owed = bills.values("unit_id", "unit__code").annotate(total=Sum(F("amount") - F("paid_amount"))).order_by("unit_id")
    sent = 0
    for row in owed:
        if not row["total"] or row["total"] <= 0:
            continue
        for recipient in residents_with_logins(row["unit_id"], (Residency.Relation.OWNER, Residency.Relation.CO_OWNER)):
            notice = notify(
                recipient=recipient,
                subject=_("Fee reminder for %(unit)s") % {"unit": row["unit__code"]},
                body=_(
                    "Our records show ¥%(owed)s of property fees due and unpaid for %(unit)s as of %(date)s. "
                    "Please pay at the service center or online in your owner portal. "
                    "If you have already paid, please ignore this notice."
                )
                % {"owed": fen_text(row["total"]), "unit": row["unit__code"], "date": as_of},
                estate=estate,
                dedupe_key=f"billing:arrears:{row['unit_id']}:{as_of:%Y-%m}",
            )
            sent += notice is not None
    record_change(
        actor=actor,
        target=estate,
        verb="send_arrears_reminders",
        estate_id=estate.pk,
        changes={"sent": [None, sent], "as_of": [None, str(as_of)]},
    )
    return sent


# -- Meter readings from a workbook ------------------------------------------------------------

READING_COLUMNS = {
    "unit": ("A", _("Unit")),
    "reading": ("B", _("Reading")),
    "initial_reading": ("C", _("Initial reading")),
}
MAX_READING_ROWS = 20000


def import_meter_readings(*, actor: Any, fee_item: FeeItem, period: datetime.date, upload: Any) -> list[MeterReading]:
    """Meter readings for one month from an .xlsx workbook: column A the unit code (e.g.
    1-1-1201), B the reading, C optionally the initial reading of a new meter; row 1 is the
    header. Every row is checked before anything is saved and every problem is reported
    with its row and column; one problem and nothing is saved."""
    from openpyxl import load_workbook

    if fee_item.kind != FeeItem.Kind.METERED:
        raise DomainError(_("Choose a metered fee item of this estate."), field="fee_item")
    check_period_start(period, field="period")
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds for a bad file)
        raise DomainError(_("The file is not an Excel workbook (.xlsx)."), field="file") from None
    sheet = workbook.worksheets[0]
    units = {code: pk for pk, code in Unit.objects.filter(estate_id=fee_item.estate_id).values_list("pk", "code")}
    on_file = set(MeterReading.objects.filter(fee_item=fee_item, period__gte=period).values_list("unit_id", flat=True))
    last: dict[int, Decimal] = {}
    for known_unit, known_reading in (
        MeterReading.objects.filter(fee_item=fee_item, period__lt=period)
        .order_by("unit_id", "period")
        .values_list("unit_id", "reading")
    ):
        last[known_unit] = known_reading
    problems = Problems()
    rows: list[tuple[int, Decimal, Decimal]] = []
    seen: set[int] = set()

    def problem(row: int, key: str, message: str) -> None:
        letter, title = READING_COLUMNS[key]
        problems.add(
            key,
            _("Row %(row)d, column %(column)s (%(title)s): %(message)s")
            % {"row": row, "column": letter, "title": title, "message": message},
            row=row,
        )

    for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=3, values_only=True), start=2):
        if number > MAX_READING_ROWS + 1:
            problems.add("file", _("The workbook has more than %(max)d rows.") % {"max": MAX_READING_ROWS})
            break
        code, reading, initial = (list(values) + [None, None, None])[:3]
        if all(value in (None, "") for value in (code, reading, initial)):
            continue
        unit_id = units.get(str(code or "").strip())
        if unit_id is None:
            problem(number, "unit", _("No unit with this code in the estate."))
            continue
        if unit_id in seen:
            problem(number, "unit", _("This unit appears twice in the file."))
            continue
        seen.add(unit_id)
        if unit_id in on_file:
            problem(number, "unit", _("A reading for this month or a later one is already on file."))
            continue
        try:
            value = parse_decimal(reading, field="reading", places=2, message=_("Enter a number, e.g. 1234.50."))
            start = last.get(unit_id)
            if start is None:
                start = parse_decimal(
                    initial if initial not in (None, "") else "0",
                    field="initial_reading",
                    places=2,
                    message=_("Enter a number, e.g. 1234.50."),
                )
        except DomainError as error:
            problem(number, error.field, error.message)
            continue
        if value < 0:
            problem(number, "reading", _("Reading cannot be negative."))
        elif value < start:
            problem(
                number,
                "reading",
                _("Reading %(reading)s is lower than the previous reading %(previous)s.")
                % {"reading": value, "previous": start},
            )
        else:
            rows.append((unit_id, value, start))
    workbook.close()
    if not problems and not rows:
        problems.add("file", _("The workbook has no readings."))
    problems.raise_if_any(_("Please correct the workbook; nothing was saved."))
    saved = []
    with transaction.atomic():
        unit_objects = Unit.objects.in_bulk([unit_id for unit_id, _value, _start in rows])
        for unit_id, value, start in rows:
            saved.append(
                record_meter_reading(
                    actor=actor,
                    unit=unit_objects[unit_id],
                    fee_item=fee_item,
                    period=period,
                    reading=value,
                    initial_reading=start,
                )
            )
    return saved
