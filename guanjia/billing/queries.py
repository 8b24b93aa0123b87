"""Reads of billing: fee items and their prices, readings, runs, a unit's bills and payments,
reversal requests and the collection log, each with what its page or endpoint shows already
joined. The figures made from the ledger (rates, aging, totals) are in reports.py.

`zone_ids=None` means the whole estate; a set limits the rows to those zones (a butler's own
view)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.billing import money
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
    Reversal,
    ReversalRequest,
    WaterTier,
)
from guanjia.core.errors import DomainError
from guanjia.estates.models import Estate, Unit
from guanjia.people.models import Residency

ZERO = Decimal("0.00")
MONEY: DecimalField = DecimalField(max_digits=16, decimal_places=2)
OUTSTANDING = ExpressionWrapper(F("amount") - F("paid_amount"), output_field=MONEY)
# The order in which a unit's bills are settled: the oldest due first.
OLDEST_FIRST = ("due_date", "period_start", "fee_item_id", "pk")


def in_zones(queryset: QuerySet[Bill], zone_ids: Iterable[int] | None) -> QuerySet[Bill]:
    return queryset if zone_ids is None else queryset.filter(unit__zone_id__in=list(zone_ids))


def fen(value: object) -> Decimal:
    """An aggregate back to two places (SQLite may hand back a float-like value)."""
    return money.round_to_fen(Decimal(str(value))) if value is not None else ZERO


# -- Fee items, prices, readings, runs --------------------------------------------------------


def fee_items_of(estate: Estate, *, with_prices: bool = False) -> QuerySet[FeeItem]:
    items = FeeItem.objects.filter(estate=estate)
    if with_prices:
        items = items.prefetch_related("standards", "tiers").order_by("code")
    return items


def standards_of(fee_item: FeeItem) -> QuerySet[FeeStandard]:
    return FeeStandard.objects.filter(fee_item=fee_item)


def price_history(fee_item: FeeItem) -> QuerySet[FeeStandard]:
    """The item's standards by house type, the latest first."""
    return fee_item.standards.order_by("house_type", "-valid_from")


def tiers_of(fee_item: FeeItem) -> QuerySet[WaterTier]:
    return fee_item.tiers.order_by("upper_bound")


def fee_item_of_estate(estate: Estate, fee_item_id: int) -> FeeItem:
    item = FeeItem.objects.filter(pk=fee_item_id, estate=estate).first()
    if item is None:
        raise DomainError(_("Choose a metered fee item of this estate."), field="fee_item_id")
    return item


def unit_of_estate(estate: Estate, unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id, estate=estate).first()
    if unit is None:
        raise DomainError(_("Choose a unit of this estate."), field="unit_id")
    return unit


def unit_with_code(estate: Estate, code: str) -> Unit:
    unit = Unit.objects.filter(estate=estate, code=code.strip()).first()
    if unit is None:
        raise DomainError(_("No unit with this code in the estate."), field="unit_code")
    return unit


def unit_ids_by_code(estate_id: int) -> dict[str, int]:
    return {code: pk for pk, code in Unit.objects.filter(estate_id=estate_id).values_list("pk", "code")}


def units_read_since(fee_item: FeeItem, period: datetime.date) -> set[int]:
    """The units with a reading of the item for `period` or a later month."""
    return set(MeterReading.objects.filter(fee_item=fee_item, period__gte=period).values_list("unit_id", flat=True))


def last_readings_before(fee_item: FeeItem, period: datetime.date) -> dict[int, Decimal]:
    """Each unit's latest reading of the item before `period`."""
    readings = MeterReading.objects.filter(fee_item=fee_item, period__lt=period).order_by("unit_id", "period")
    return dict(readings.values_list("unit_id", "reading"))


def recent_readings(estate: Estate) -> QuerySet[MeterReading]:
    readings = MeterReading.objects.filter(unit__estate=estate).select_related("unit", "fee_item")
    return readings.order_by("-recorded_at")[:30]


def readings_of(
    estate: Estate,
    *,
    period: datetime.date | None,
    fee_item_id: int | None,
    zone_ids: Iterable[int] | None,
    limit: int,
) -> list[MeterReading]:
    readings = MeterReading.objects.filter(unit__estate=estate)
    if period is not None:
        readings = readings.filter(period=period)
    if fee_item_id is not None:
        readings = readings.filter(fee_item_id=fee_item_id)
    if zone_ids is not None:
        readings = readings.filter(unit__zone_id__in=zone_ids)
    return list(readings.order_by("-period", "unit_id", "fee_item_id")[:limit])


def recent_runs(estate: Estate) -> QuerySet[BillingRun]:
    return BillingRun.objects.filter(estate=estate).order_by("-started_at", "-id")[:20]


class BillableUnit(TypedDict):
    """What a billing run needs of a unit, read once for every unit of the estate."""

    pk: int
    code: str
    area: Decimal | None
    house_type: str
    status: str
    delivery_date: datetime.date | None


def billable_units(estate: Estate) -> list[BillableUnit]:
    """The units a run bills, in a fixed order (so batches are the same on every run)."""
    rows = Unit.objects.filter(estate=estate).order_by("pk")
    fields = ("pk", "code", "area", "house_type", "status", "delivery_date")
    return [
        BillableUnit(pk=pk, code=code, area=area, house_type=house_type, status=status, delivery_date=delivery)
        for pk, code, area, house_type, status, delivery in rows.values_list(*fields)
    ]


# -- Bills -------------------------------------------------------------------------------------


def bills_of_period(estate_id: int, period_start: datetime.date, *, zone_ids: Iterable[int] | None = None):
    """The period's bills (those whose period starts in the month), reversed ones included."""
    queryset = Bill.objects.filter(estate_id=estate_id, period_start=period_start).select_related(
        "unit", "unit__zone", "fee_item"
    )
    return in_zones(queryset, zone_ids).order_by("unit__code", "fee_item__code")


def bills_of_estate(
    estate: Estate,
    *,
    period: datetime.date | None,
    unit_id: int | None,
    status: str | None,
    zone_ids: Iterable[int] | None,
    limit: int,
) -> list[Bill]:
    bills = Bill.objects.select_related("unit", "fee_item").filter(estate=estate)
    if period is not None:
        bills = bills.filter(period_start=period)
    if unit_id is not None:
        bills = bills.filter(unit_id=unit_id)
    if status:
        bills = bills.filter(status=status)
    if zone_ids is not None:
        bills = bills.filter(unit__zone_id__in=zone_ids)
    return list(bills.order_by("period_start", "unit__code", "fee_item__code")[:limit])


def bills_of(unit: Unit, *, limit: int | None = None) -> list[Bill]:
    """The unit's bills, the latest period first."""
    bills = Bill.objects.select_related("unit", "fee_item").filter(unit=unit)
    return list(bills.order_by("-period_start", "fee_item__code")[:limit])


def open_bills_of(unit: Unit) -> list[Bill]:
    """The unit's open bills in the order a payment settles them."""
    return list(unit.bills.filter(status=Bill.Status.OPEN).select_related("fee_item").order_by(*OLDEST_FIRST))


def open_bills_due(estate: Estate, as_of: datetime.date, *, zone_ids: Iterable[int] | None) -> QuerySet[Bill]:
    """The open bills due on `as_of` (what is in arrears), every payer."""
    return in_zones(Bill.objects.filter(estate=estate, status=Bill.Status.OPEN, due_date__lte=as_of), zone_ids)


def bills_in_arrears(estate: Estate, as_of: datetime.date, *, zone_ids: Iterable[int] | None) -> QuerySet[Bill]:
    """`open_bills_due` one by one, by zone, unit and due date, for the arrears workbook."""
    bills = open_bills_due(estate, as_of, zone_ids=zone_ids).select_related("unit", "unit__zone", "fee_item")
    return bills.order_by("unit__zone__code", "unit__code", "due_date")


def total_outstanding(bills: Iterable[Bill]) -> Decimal:
    return sum((bill.outstanding for bill in bills), ZERO)


# -- What a unit owes and has paid ahead --------------------------------------------------------


def unallocated(payment: Payment) -> Decimal:
    """What of the payment settles no bill (yet): its part of the unit's prepaid balance."""
    spent = payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount - spent


def prepaid_balance(unit: Unit) -> Decimal:
    """Prepaid (预收) = valid payments − what they settled. Computed from the ledger."""
    paid = Payment.objects.filter(unit=unit, status=Payment.Status.VALID).aggregate(total=Sum("amount"))["total"]
    spent = Allocation.objects.filter(payment__unit=unit, payment__status=Payment.Status.VALID).aggregate(
        total=Sum("amount")
    )["total"]
    return (paid or ZERO) - (spent or ZERO)


def units_with_prepaid(estate: Estate) -> list[Unit]:
    """Units of the estate with a valid payment not wholly allocated, in id order."""
    unit_ids = (
        Payment.objects.filter(estate=estate, status=Payment.Status.VALID)
        .annotate(spent=Coalesce(Sum("allocations__amount"), ZERO, output_field=MONEY))
        .filter(amount__gt=F("spent"))
        .values_list("unit_id", flat=True)
        .distinct()
    )
    return list(Unit.objects.filter(pk__in=list(unit_ids)).order_by("pk"))


def bills_of_order(order: PaymentOrder) -> list[Bill]:
    """The bills an online order was opened for (none: it settles the unit's oldest first)."""
    bills = Bill.objects.filter(unit_id=order.unit_id, pk__in=order.bill_ids or []).select_related("fee_item")
    return list(bills.order_by(*OLDEST_FIRST))


def outstanding_of(unit: Unit) -> Decimal:
    """What the unit owes on its open owner bills, due or not."""
    total = Bill.objects.filter(unit=unit, status=Bill.Status.OPEN, payer=Bill.Payer.OWNER).aggregate(
        total=Sum(F("amount") - F("paid_amount"))
    )["total"]
    return money.round_to_fen(Decimal(str(total))) if total is not None else ZERO


def owed_on(unit: Unit, bill_ids: list[int]) -> Decimal | None:
    """What those of the chosen bills still open owe together; None when none is open."""
    total = Bill.objects.filter(pk__in=bill_ids, unit=unit, status=Bill.Status.OPEN).aggregate(
        total=Sum(F("amount") - F("paid_amount"))
    )["total"]
    return Decimal(str(total)) if total is not None else None


def owed_by_owner(unit_id: int, as_of: datetime.date) -> Decimal | None:
    """What the unit's owner has due and unpaid on `as_of`; None when nothing is open."""
    owed = (
        Bill.objects.filter(unit_id=unit_id, status=Bill.Status.OPEN, due_date__lte=as_of)
        .exclude(payer=Bill.Payer.DEVELOPER)
        .aggregate(total=Sum(F("amount") - F("paid_amount")))
    )
    return owed["total"]


def owner_arrears_by_unit(
    estate: Estate, as_of: datetime.date, *, zone_ids: Iterable[int] | None
) -> QuerySet[Bill, dict[str, Any]]:
    """{unit_id, unit__code, total} of each unit with owner bills due and open on `as_of`."""
    bills = Bill.objects.filter(estate=estate, status=Bill.Status.OPEN, payer=Bill.Payer.OWNER, due_date__lte=as_of)
    if zone_ids is not None:
        bills = bills.filter(unit__zone_id__in=list(zone_ids))
    return bills.values("unit_id", "unit__code").annotate(total=Sum(F("amount") - F("paid_amount"))).order_by("unit_id")


class UnitLedger(TypedDict):
    bills: list[Bill]
    payments: list[Payment]
    owed: Decimal
    prepaid: Decimal


def unit_ledger(unit: Unit) -> UnitLedger:
    """A unit's bills and payments, what it owes and what it has paid ahead."""
    bills = bills_of(unit)
    owed = total_outstanding(bills)
    return {"bills": bills, "payments": payments_of(unit), "owed": owed, "prepaid": prepaid_balance(unit)}


DUE = "due"  # 待缴: open, its due date not yet passed
ARREARS = "arrears"  # 欠费: open after its due date


def owner_status(bill: Bill, today: datetime.date) -> str:
    """How an open bill is labelled for the owner: 待缴 up to and on its due date, 欠费 from the
    day after (the owner has the whole due day to pay)."""
    return ARREARS if bill.due_date < today else DUE


def owed_by_units(unit_ids: Iterable[int], today: datetime.date) -> tuple[Decimal, Decimal]:
    """(what the units' owner bills still owe, the part of it in arrears: past the due date),
    the same split as the 待缴/欠费 labels (owner_status)."""
    bills = Bill.objects.filter(unit_id__in=list(unit_ids), status=Bill.Status.OPEN, payer=Bill.Payer.OWNER)
    outstanding = F("amount") - F("paid_amount")
    totals = bills.aggregate(
        owed=Sum(outstanding),
        arrears=Sum(outstanding, filter=Q(due_date__lt=today)),
    )
    return (
        money.round_to_fen(Decimal(str(totals["owed"] or 0))),
        money.round_to_fen(Decimal(str(totals["arrears"] or 0))),
    )


def portal_ledgers(person_id: int) -> list[dict[str, Any]]:
    """The ledger of each unit the person lives in now, with its open and latest paid bills;
    each open bill carries its owner_status (待缴 or 欠费)."""
    today = timezone.localdate()
    residencies = (
        Residency.objects.filter(person_id=person_id, ended__isnull=True)
        .select_related("unit", "unit__estate")
        .order_by("unit__estate__name", "unit__code")
    )
    entries = []
    for residency in residencies:
        ledger = unit_ledger(residency.unit)
        for bill in ledger["bills"]:
            if bill.status == Bill.Status.OPEN:
                bill.owner_status = owner_status(bill, today)  # type: ignore[attr-defined]
        entries.append(
            {
                "unit": residency.unit,
                "open_bills": [b for b in ledger["bills"] if b.status == Bill.Status.OPEN],
                "paid_bills": [b for b in ledger["bills"] if b.status == Bill.Status.PAID][:12],
                **ledger,
            }
        )
    return entries


# -- Payments and reversals ---------------------------------------------------------------------


def payments_of(unit: Unit, *, limit: int | None = None) -> list[Payment]:
    """The unit's payments, the latest first."""
    payments = unit.payments.select_related("received_by").order_by("-received_at", "-pk")
    return list(payments[:limit])


def allocations_of(payment: Payment) -> QuerySet[Allocation]:
    return payment.allocations.select_related("bill", "bill__fee_item").order_by("bill__period_start")


def payments_between(estate_id: int, date_from: datetime.date, date_to: datetime.date) -> QuerySet[Payment]:
    """Payments received from `date_from` to `date_to` (local dates, inclusive), reversed ones
    included, in receipt-number order."""
    start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min))
    return (
        Payment.objects.filter(estate_id=estate_id, received_at__gte=start, received_at__lt=end)
        .select_related("unit", "received_by")
        .order_by("receipt_number")
    )


def reversals_of(payments: list[Payment]) -> dict[int, Reversal]:
    """payment id → its reversal, for those of `payments` that were reversed."""
    reversals = Reversal.objects.filter(payment__in=payments)
    return {reversal.payment_id: reversal for reversal in reversals if reversal.payment_id is not None}


def pending_reversal_of(payment: Payment) -> ReversalRequest | None:
    return payment.reversal_requests.filter(status=ReversalRequest.Status.PENDING).first()


def bills_awaiting_reversal(unit: Unit) -> set[int]:
    pending = ReversalRequest.objects.filter(bill__unit=unit, status=ReversalRequest.Status.PENDING)
    return set(pending.values_list("bill_id", flat=True))


def reversal_queue(estate: Estate) -> QuerySet[ReversalRequest]:
    """The estate's latest reversal requests, grouped by status, for the approval page."""
    requests = ReversalRequest.objects.filter(estate=estate).select_related(
        "payment", "payment__unit", "bill", "bill__unit", "bill__fee_item", "requested_by", "decided_by"
    )
    return requests.order_by("status", "-requested_at")[:100]


def reversal_requests_of(estate: Estate, *, status: str | None, limit: int) -> list[ReversalRequest]:
    requests = ReversalRequest.objects.filter(estate=estate)
    if status:
        requests = requests.filter(status=status)
    return list(requests[:limit])


# -- Collection -----------------------------------------------------------------------------------


def collection_log_of(unit: Unit, *, limit: int) -> list[CollectionLog]:
    """The unit's collection log (催缴记录), the latest first."""
    return list(CollectionLog.objects.filter(unit=unit).select_related("logged_by")[:limit])


def zone_names(estate: Estate) -> dict[int, str]:
    return dict(estate.zones.values_list("pk", "name"))


# -- The finance workbench --------------------------------------------------------------------


class FinanceToday(TypedDict):
    """The site finance's home: this period's run and bills, today's takings, reversals waiting."""

    period: datetime.date
    run: BillingRun | None
    bills: int
    billed: Decimal
    collected: Decimal
    receipts_today: int
    taken_today: Decimal
    by_method: list[tuple[str, int, Decimal]]
    payments_today: list[Payment]
    reversals_waiting: int
    waiting: list[ReversalRequest]


def local_day(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The day's start and the next day's, in the estate's time (Asia/Shanghai)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def finance_today(estate: Estate, today: datetime.date) -> FinanceToday:
    period = today.replace(day=1)
    run = BillingRun.objects.filter(estate=estate, period_start=period).order_by("-started_at", "-id").first()
    billed = (
        Bill.objects.filter(estate=estate, period_start=period)
        .exclude(status=Bill.Status.REVERSED)
        .aggregate(n=Count("*"), amount=Coalesce(Sum("amount"), ZERO), paid=Coalesce(Sum("paid_amount"), ZERO))
    )
    start, end = local_day(today)
    taken = Payment.objects.filter(
        estate=estate, status=Payment.Status.VALID, received_at__gte=start, received_at__lt=end
    )
    totals = taken.aggregate(n=Count("*"), amount=Coalesce(Sum("amount"), ZERO))
    labels = dict(Payment.Method.choices)
    by_method = [
        (str(labels.get(row["method"], row["method"])), row["n"], row["amount"])
        for row in taken.order_by().values("method").annotate(n=Count("*"), amount=Sum("amount")).order_by("method")
    ]
    pending = ReversalRequest.objects.filter(estate=estate, status=ReversalRequest.Status.PENDING)
    return {
        "period": period,
        "run": run,
        "bills": billed["n"],
        "billed": billed["amount"],
        "collected": billed["paid"],
        "receipts_today": totals["n"],
        "taken_today": totals["amount"],
        "by_method": by_method,
        "payments_today": list(taken.select_related("unit").order_by("-received_at")[:10]),
        "reversals_waiting": pending.count(),
        "waiting": list(
            pending.select_related(
                "payment", "payment__unit", "bill", "bill__unit", "bill__fee_item", "requested_by"
            ).order_by("requested_at")[:5]
        ),
    }
