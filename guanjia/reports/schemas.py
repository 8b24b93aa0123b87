"""The API's shapes of figures: the same numbers as the workbenches. Rates are fractions
(0.9235 is 92.35 %), null when nothing was counted; money in yuan."""

from __future__ import annotations

import datetime
from decimal import Decimal

from ninja import Schema


class FiguresOut(Schema):
    receivable: Decimal
    received: Decimal
    arrears: Decimal
    collection_rate: Decimal | None
    rated: int
    satisfied: int
    satisfaction_rate: Decimal | None
    opened: int
    complaints: int
    open_now: int
    overdue_now: int
    return_visits_due: int
    approvals_waiting: int
    respond_on_time: int
    respond_total: int
    respond_rate: Decimal | None
    arrive_on_time: int
    arrive_total: int
    arrive_rate: Decimal | None
    resolve_on_time: int
    resolve_total: int
    resolve_rate: Decimal | None
    on_time_rate: Decimal | None


class CurrentFiguresOut(FiguresOut):
    collection_rate_ytd: Decimal | None


class TrendMonthOut(Schema):
    month: datetime.date
    known: bool
    collection_rate: Decimal | None = None
    satisfaction_rate: Decimal | None = None
    respond_rate: Decimal | None = None
    arrive_rate: Decimal | None = None
    resolve_rate: Decimal | None = None
    on_time_rate: Decimal | None = None
    overdue_now: int | None = None
    complaints: int | None = None
    approvals_waiting: int | None = None


class TargetsOut(Schema):
    collection_rate: Decimal
    satisfaction_rate: Decimal
    on_time_rate: Decimal


class ZoneFiguresOut(FiguresOut):
    zone_id: int
    zone_name: str


class PersonFiguresOut(FiguresOut):
    user_id: int
    name: str


class EstateFiguresOut(Schema):
    estate_id: int
    month: datetime.date
    refreshed_at: datetime.datetime | None
    figures: CurrentFiguresOut
    targets: TargetsOut
    trend: list[TrendMonthOut]
    zones: list[ZoneFiguresOut]
    people: list[PersonFiguresOut]


class CompanyEstateOut(FiguresOut):
    estate_id: int
    estate_name: str
    targets: TargetsOut


class CompanyFiguresOut(Schema):
    month: datetime.date
    figures: CurrentFiguresOut
    estates: list[CompanyEstateOut]
    trend: list[TrendMonthOut]
