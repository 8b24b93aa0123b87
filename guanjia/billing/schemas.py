"""Input and output shapes of the billing API. Money is a string of yuan with two places
("223.75"), never a float; prices have four places."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema

from guanjia.billing.models import (
    BillingRun,
    CollectionLog,
    FeeItem,
    FeeStandard,
    MeterReading,
    Payment,
    PaymentOrder,
    ReversalRequest,
    WaterTier,
)
from guanjia.billing.queries import unallocated
from guanjia.core.schemas import RowId, column


class FeeItemIn(Schema):
    code: Annotated[str, column(FeeItem, "code")]
    name: Annotated[str, column(FeeItem, "name")]
    kind: Annotated[str, column(FeeItem, "kind")]
    cycle: Annotated[str, column(FeeItem, "cycle")] = "monthly"
    vacant_rate: Annotated[Decimal, column(FeeItem, "vacant_rate", positive=True)] = Decimal("0.70")


class FeeItemOut(Schema):
    id: int
    estate_id: int
    code: str
    name: str
    kind: str
    cycle: str
    vacant_rate: Decimal
    active: bool


class FeeStandardIn(Schema):
    house_type: Annotated[str, column(FeeStandard, "house_type")]
    unit_price: Annotated[Decimal, column(FeeStandard, "unit_price", positive=True)]
    valid_from: Annotated[datetime.date, column(FeeStandard, "valid_from")]


class FeeStandardOut(Schema):
    id: int
    fee_item_id: int
    house_type: str
    unit_price: Decimal
    valid_from: datetime.date
    valid_to: datetime.date | None


class TierIn(Schema):
    upper_bound: Annotated[Decimal, column(WaterTier, "upper_bound", positive=True)] | None = None
    price: Annotated[Decimal, column(WaterTier, "price", positive=True)]


class TiersIn(Schema):
    tiers: list[TierIn]


class TierOut(Schema):
    upper_bound: Decimal | None
    price: Decimal


class MeterReadingIn(Schema):
    unit_id: RowId
    fee_item_id: RowId
    period: Annotated[datetime.date, column(MeterReading, "period")]
    reading: Annotated[Decimal, column(MeterReading, "reading", positive=True)]
    initial_reading: Annotated[Decimal, column(MeterReading, "previous", positive=True)] = Decimal("0")


class MeterReadingOut(Schema):
    id: int
    unit_id: int
    fee_item_id: int
    period: datetime.date
    reading: Decimal
    previous: Decimal
    consumption: Decimal


class ImportedReadingsOut(Schema):
    saved: int


class BillingRunIn(Schema):
    period_start: Annotated[datetime.date, column(BillingRun, "period_start")]


class JobOut(Schema):
    id: int
    kind: str
    status: str
    stage: str
    done: int
    total: int
    percent: int
    finished: bool
    message: str
    result: dict[str, Any]


class BillOut(Schema):
    id: int
    estate_id: int
    unit_id: int
    unit_code: str
    fee_item_id: int
    fee_item_name: str
    period_start: datetime.date
    period_end: datetime.date
    due_date: datetime.date
    payer: str
    amount: Decimal
    paid_amount: Decimal
    outstanding: Decimal
    status: str
    basis: dict[str, Any]

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_fee_item_name(obj) -> str:
        return obj.fee_item.name


class PaymentIn(Schema):
    amount: Annotated[Decimal, column(Payment, "amount", positive=True)]
    method: Annotated[str, column(Payment, "method")]
    bill_ids: list[RowId] | None = None
    reference: Annotated[str, column(Payment, "reference")] = ""
    note: Annotated[str, column(Payment, "note")] = ""


class AllocationOut(Schema):
    bill_id: int
    amount: Decimal


class PaymentOut(Schema):
    id: int
    estate_id: int
    unit_id: int
    method: str
    amount: Decimal
    receipt_number: int
    status: str
    reference: str
    note: str
    received_at: datetime.datetime
    allocations: list[AllocationOut]
    prepaid_left: Decimal

    @staticmethod
    def resolve_allocations(obj) -> list:
        return list(obj.allocations.order_by("pk"))

    @staticmethod
    def resolve_prepaid_left(obj) -> Decimal:
        return unallocated(obj) if obj.status == "valid" else Decimal("0.00")


class PaymentOrderIn(Schema):
    bill_ids: list[RowId] | None = None
    amount: Annotated[Decimal, column(PaymentOrder, "amount", positive=True)] | None = None


class PaymentOrderOut(Schema):
    id: int
    order_number: str
    unit_id: int
    amount: Decimal
    bill_ids: list[int]
    status: str
    redirect_url: str = ""
    qr_text: str = ""


class ReversalRequestIn(Schema):
    payment_id: RowId | None = None
    bill_id: RowId | None = None
    reason: Annotated[str, column(ReversalRequest, "reason")] = ""


class DecisionIn(Schema):
    note: Annotated[str, column(ReversalRequest, "decision_note")] = ""


class ReversalRequestOut(Schema):
    id: int
    estate_id: int
    payment_id: int | None
    bill_id: int | None
    reason: str
    status: str
    requested_by_id: int
    requested_at: datetime.datetime
    decided_by_id: int | None
    decided_at: datetime.datetime | None
    decision_note: str
    reversal_id: int | None


class AgingRowOut(Schema):
    zone_id: int | None
    zone_code: str | None
    zone_name: str | None
    buckets: dict[str, Decimal]
    total: Decimal


class PeriodTotalsOut(Schema):
    lines: int
    receivable: Decimal
    received: Decimal
    outstanding: Decimal
    collection_rate: Decimal | None


class ZoneCollectionOut(Schema):
    zone_id: int | None
    zone_code: str | None
    butler_id: int | None
    receivable: Decimal
    received: Decimal
    collection_rate: Decimal | None


class CollectionOut(Schema):
    period_start: datetime.date
    totals: PeriodTotalsOut
    zones: list[ZoneCollectionOut]


class RecoveryOut(Schema):
    period_start: datetime.date
    period_end: datetime.date
    arrears_at_start: Decimal
    arrears_received: Decimal
    recovery_rate: Decimal | None


class RemindersIn(Schema):
    as_of: datetime.date | None = None


class RemindersOut(Schema):
    sent: int


class CollectionLogIn(Schema):
    contact: Annotated[str, column(CollectionLog, "contact")]
    outcome: Annotated[str, column(CollectionLog, "outcome")]
    promised_date: Annotated[datetime.date, column(CollectionLog, "promised_date")] | None = None
    note: Annotated[str, column(CollectionLog, "note")] = ""


class CollectionLogOut(Schema):
    id: int
    unit_id: int
    contact: str
    outcome: str
    promised_date: datetime.date | None
    note: str
    logged_by_id: int
    logged_at: datetime.datetime
    reminded_at: datetime.datetime | None
