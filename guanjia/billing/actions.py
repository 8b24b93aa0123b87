"""Every write to billing: fee items and standards, meter readings, the billing run."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import DecimalField, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.billing import money
from guanjia.billing.models import (
    Allocation,
    Bill,
    BillingRun,
    FeeItem,
    FeeStandard,
    MeterReading,
    Payment,
    ReceiptCounter,
    Reversal,
    WaterTier,
)
from guanjia.core import jobs
from guanjia.core.audit import plain, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.jobs import set_progress
from guanjia.core.models import Job
from guanjia.estates.models import Estate, Unit

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
        self.lines: dict[tuple, money.Line | None] = {}
        # Lines already on file for the period: a rerun skips them before the database does.
        self.existing: set[tuple[int, int]] = set(
            Bill.objects.filter(estate=estate, period_start=period_start, fee_item_id__in=item_ids).values_list(
                "unit_id", "fee_item_id"
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
            if (unit["pk"], item.pk) in self.existing:
                continue
            line: money.Line | None
            if item.kind == FeeItem.Kind.METERED:
                consumption = self.consumption.get((unit["pk"], item.pk))
                if consumption is None:
                    continue
                line = money.tiered_line(consumption=consumption, tiers=self.tiers[item.pk], status=unit["status"])
            else:
                price = self.standards.get((item.pk, unit["house_type"]))
                if price is None:
                    continue
                line = self.periodic_line(item, start, end, price, unit)
            if line is None:
                continue
            rows.append(
                BillRow(
                    estate_id=run.estate_id,
                    unit_id=unit["pk"],
                    fee_item_id=item.pk,
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

    def periodic_line(
        self, item: FeeItem, start: datetime.date, end: datetime.date, price: Decimal, unit: dict[str, Any]
    ) -> money.Line | None:
        # Units of one floor plan share area, type and status: compute each line once.
        key = (item.pk, price, unit["area"], unit["status"], unit["delivery_date"])
        if key not in self.lines:
            self.lines[key] = money.periodic_line(
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
    """A bill line ready to insert, in the column order of BILL_COLUMNS."""

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


BILL_COLUMNS = (
    "estate_id",
    "unit_id",
    "fee_item_id",
    "period_start",
    "period_end",
    "due_date",
    "payer",
    "amount",
    "paid_amount",
    "status",
    "basis",
    "billing_run_id",
    "created_at",
)


def insert_bills(bills: list[BillRow]) -> None:
    """Insert one batch in one transaction; lines already on file are skipped by the unique
    constraint (ON CONFLICT DO NOTHING), so a batch may be inserted any number of times."""
    if not bills:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            copy_bills(bills)
        else:
            # INSERT OR IGNORE on SQLite.
            Bill.objects.bulk_create([Bill(**row._asdict()) for row in bills], ignore_conflicts=True)


def copy_bills(bills: list[BillRow]) -> None:
    """PostgreSQL: COPY the batch into a temporary table, then INSERT … SELECT … ON CONFLICT
    DO NOTHING into the bills. COPY is several times faster than multi-row INSERTs, and the
    conflict clause keeps the run idempotent. Call inside a transaction: a failure rolls the
    temporary table back with the batch."""
    columns = ", ".join(BILL_COLUMNS)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE billing_bill_load ON COMMIT DROP AS SELECT {columns} "  # noqa: S608
            "FROM billing_bill WITH NO DATA"
        )
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY billing_bill_load ({columns}) FROM STDIN") as copy:
            basis_json: dict[int, str] = {}
            for row in bills:
                # Lines computed once share one basis dict: serialize it once too.
                text = basis_json.get(id(row.basis))
                if text is None:
                    text = basis_json[id(row.basis)] = json.dumps(row.basis, ensure_ascii=False)
                copy.write_row((*row[:10], text, row.billing_run_id, now))
        cursor.execute(
            f"INSERT INTO billing_bill ({columns}) SELECT {columns} FROM billing_bill_load "  # noqa: S608
            "ON CONFLICT (unit_id, fee_item_id, period_start) DO NOTHING"
        )
        # Dropped now as well as at commit: inside an outer transaction (tests, a caller's
        # atomic block) the next batch would otherwise find the table still there.
        cursor.execute("DROP TABLE billing_bill_load")


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
    problems = plan.problems_with(units)
    if problems:
        first = problems.items[0]
        summary = first.message
        if len(problems.items) > 1:
            summary = _("%(first)s (and %(more)d more problems)") % {
                "first": first.message,
                "more": len(problems.items) - 1,
            }
        raise DomainError(summary, field=first.field, problems=list(problems.items))

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
        .filter(unit=unit, status=Bill.Status.OPEN)
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
        from guanjia.billing.tasks import billing_run_task

        transaction.on_commit(lambda: billing_run_task(job.pk))
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
