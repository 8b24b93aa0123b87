"""Excel exports of billing, written by guanjia.core.xlsx: receivables of a period, the receipt
journal of a date range, arrears by zone with aging. Every figure comes from the ledger through
guanjia.billing.reports, the same functions the pages use.

Where the collection rate is (a stable place for tests and for anyone reading the file):
the receivables workbook has a sheet named SUMMARY_SHEET ("汇总") whose cell
COLLECTION_RATE_CELL ("B4") holds 当期收缴率 = reports.period_totals(...)["collection_rate"] as
a number (a fraction: 0.9235 is 92.35 %, shown as a percentage), or is empty when nothing is
receivable. Cell C4 holds the same value as exact text ("0.9235"), and
`read_collection_rate(content)` reads it back as a Decimal (or None). B2 and B3 hold the
receivable and the received amount of the period.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from openpyxl import load_workbook

from guanjia.billing import queries, reports
from guanjia.billing.models import Bill, Payment
from guanjia.core import xlsx
from guanjia.estates.models import Estate

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_SHEET = "汇总"
COLLECTION_RATE_CELL = "B4"
COLLECTION_RATE_TEXT_CELL = "C4"
MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"
AGING_LABELS = {"0-30": "0–30天", "31-90": "31–90天", "91-180": "91–180天", "181-365": "181–365天", "365+": "一年以上"}


def _layout(title: str, columns: list[tuple[str, int]], money: Iterable[str] = ()) -> xlsx.Layout:
    """A sheet of (header, width) columns; the headers in `money` show money ("#,##0.00")."""
    money = set(money)
    return xlsx.Layout(
        title,
        tuple(
            xlsx.Column(header, f"column{index}", width=width, number_format=MONEY_FORMAT if header in money else None)
            for index, (header, width) in enumerate(columns)
        ),
    )


SUMMARY = xlsx.Layout(
    SUMMARY_SHEET,
    (xlsx.Column("", "label", width=14), xlsx.Column("", "value", width=18), xlsx.Column("", "text")),
    header=False,
)
RECEIVABLES = _layout(
    "应收",
    [
        ("房屋", 12),
        ("区域", 8),
        ("收费项目", 16),
        ("计费开始", 12),
        ("计费结束", 12),
        ("应收日", 12),
        ("付款方", 8),
        ("应收金额", 12),
        ("已收金额", 12),
        ("欠费金额", 12),
        ("状态", 8),
    ],  # fmt: skip
    money=("应收金额", "已收金额", "欠费金额"),
)
JOURNAL = _layout(
    "收款日记账",
    [
        ("收据号", 10),
        ("收款时间", 18),
        ("房屋", 12),
        ("金额", 12),
        ("收款方式", 12),
        ("收款人", 10),
        ("状态", 8),
        ("红冲原因", 24),
        ("红冲时间", 18),
        ("参考号", 20),
    ],  # fmt: skip
    money=("金额",),
)
ARREARS = _layout(
    "按区域",
    [("区域编号", 10), ("区域", 12), *((label, 12) for label in AGING_LABELS.values()), ("合计", 14)],
    money=(*AGING_LABELS.values(), "合计"),
)
ARREARS_DETAIL = _layout(
    "明细",
    [
        ("房屋", 12),
        ("区域", 8),
        ("收费项目", 16),
        ("计费开始", 12),
        ("应收日", 12),
        ("逾期天数", 10),
        ("账龄", 12),
        ("欠费金额", 12),
    ],  # fmt: skip
    money=("欠费金额",),
)
RECEIVABLE_COLUMNS = RECEIVABLES.headers
JOURNAL_COLUMNS = JOURNAL.headers
ARREARS_COLUMNS = ARREARS.headers
ARREARS_DETAIL_COLUMNS = ARREARS_DETAIL.headers


def _save(sheets: list[tuple[xlsx.Layout, Iterable[Sequence[Any]]]]) -> bytes:
    """The workbook's bytes, written by xlsx.write_workbook: fee item names, reasons and
    references that people typed stay text, never formulas."""
    buffer = io.BytesIO()
    xlsx.write_workbook(buffer, sheets)
    return buffer.getvalue()


def _status_label(bill: Bill) -> str:
    return {"open": "未缴清", "paid": "已缴清", "reversed": "已红冲"}.get(bill.status, bill.status)


def receivables_workbook(
    estate: Estate, period_start: datetime.date, *, zone_ids: Iterable[int] | None = None
) -> bytes:
    """应收明细: the period's bills (reversed ones listed as such), and the summary sheet with
    the period's receivable, received and collection rate (see the module's docstring)."""
    zone_ids = None if zone_ids is None else list(zone_ids)
    totals = reports.period_totals(estate.pk, period_start, zone_ids=zone_ids)
    rate = totals["collection_rate"]
    summary: list[list[Any]] = [
        ["小区", estate.name, f"{period_start:%Y-%m}"],
        ["应收合计", xlsx.Styled(totals["receivable"], MONEY_FORMAT)],
        ["实收合计", xlsx.Styled(totals["received"], MONEY_FORMAT)],
        ["当期收缴率", xlsx.Styled(rate, RATE_FORMAT), "" if rate is None else str(rate)],
        ["应收笔数", totals["lines"]],
    ]
    bills = (
        [
            bill.unit.code,
            bill.unit.zone.code if bill.unit.zone is not None else "",
            bill.fee_item.name,
            bill.period_start,
            bill.period_end,
            bill.due_date,
            bill.get_payer_display(),
            bill.amount,
            bill.paid_amount,
            bill.outstanding,
            _status_label(bill),
        ]
        for bill in queries.bills_of_period(estate.pk, period_start, zone_ids=zone_ids)
    )
    return _save([(SUMMARY, summary), (RECEIVABLES, bills)])


def read_collection_rate(content: bytes) -> Decimal | None:
    """The collection rate written by `receivables_workbook`, exactly, from its text cell."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    value = workbook[SUMMARY_SHEET][COLLECTION_RATE_TEXT_CELL].value
    workbook.close()
    return Decimal(value) if value else None


def journal_workbook(estate: Estate, date_from: datetime.date, date_to: datetime.date) -> bytes:
    """收款日记账: every receipt of the range; a reversed one stays, marked 已红冲 with its reason.
    The last row totals the valid payments only."""
    payments = list(queries.payments_between(estate.pk, date_from, date_to))
    reversals = queries.reversals_of(payments)
    valid_total = Decimal("0.00")
    rows: list[list[Any]] = []
    for payment in payments:
        reversal = reversals.get(payment.pk)
        if payment.status == Payment.Status.VALID:
            valid_total += payment.amount
        rows.append(
            [
                f"{payment.receipt_number:08d}",
                timezone.localtime(payment.received_at).strftime("%Y-%m-%d %H:%M"),
                payment.unit.code,
                payment.amount,
                payment.get_method_display(),
                str(payment.received_by) if payment.received_by_id else "",
                "已红冲" if payment.status == Payment.Status.REVERSED else "有效",
                reversal.reason if reversal else "",
                timezone.localtime(reversal.reversed_at).strftime("%Y-%m-%d %H:%M") if reversal else "",
                payment.reference,
            ]
        )
    rows.append(["有效合计", "", "", valid_total])
    return _save([(JOURNAL, rows)])


def arrears_workbook(estate: Estate, as_of: datetime.date, *, zone_ids: Iterable[int] | None = None) -> bytes:
    """欠费账龄: outstanding per zone and age bucket (reports.arrears_aging), and the open bills
    behind it, one row each."""
    zone_ids = None if zone_ids is None else list(zone_ids)
    rows = reports.arrears_aging(estate.pk, as_of, zone_ids=zone_ids)
    by_zone: list[list[Any]] = [
        [row["zone_code"] or "", row["zone_name"] or "", *(row["buckets"][k] for k in AGING_LABELS), row["total"]]
        for row in rows
    ]
    totals, grand = reports.aging_totals(rows)
    by_zone.append(["合计", "", *(totals[k] for k in AGING_LABELS), grand])
    detail = []
    for bill in queries.bills_in_arrears(estate, as_of, zone_ids=zone_ids):
        days = (as_of - bill.due_date).days
        detail.append(
            [
                bill.unit.code,
                bill.unit.zone.code if bill.unit.zone is not None else "",
                bill.fee_item.name,
                bill.period_start,
                bill.due_date,
                days,
                AGING_LABELS[aging_bucket(days)],
                bill.outstanding,
            ]
        )
    return _save([(ARREARS, by_zone), (ARREARS_DETAIL, detail)])


def aging_bucket(days: int) -> str:
    """The label of reports.AGING_BUCKETS that `days` overdue falls in."""
    for label, fewest, most in reports.AGING_BUCKETS:
        if days >= fewest and (most is None or days <= most):
            return label
    return reports.AGING_BUCKETS[0][0]


def export_filename(estate: Estate, kind: str, label: str) -> str:
    return f"{kind}-{estate.code}-{label}.xlsx"
