"""Excel exports of billing (openpyxl): receivables of a period, the receipt journal of a date
range, arrears by zone with aging. Every figure comes from the ledger through
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
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from guanjia.billing import queries, reports
from guanjia.billing.models import Bill, Payment
from guanjia.estates.models import Estate

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_SHEET = "汇总"
COLLECTION_RATE_CELL = "B4"
COLLECTION_RATE_TEXT_CELL = "C4"
MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"

RECEIVABLE_COLUMNS = [
    "房屋",
    "区域",
    "收费项目",
    "计费开始",
    "计费结束",
    "应收日",
    "付款方",
    "应收金额",
    "已收金额",
    "欠费金额",
    "状态",
]
JOURNAL_COLUMNS = ["收据号", "收款时间", "房屋", "金额", "收款方式", "收款人", "状态", "红冲原因", "红冲时间", "参考号"]
AGING_LABELS = {"0-30": "0–30天", "31-90": "31–90天", "91-180": "91–180天", "181-365": "181–365天", "365+": "一年以上"}
ARREARS_COLUMNS = ["区域编号", "区域", *AGING_LABELS.values(), "合计"]
ARREARS_DETAIL_COLUMNS = ["房屋", "区域", "收费项目", "计费开始", "应收日", "逾期天数", "账龄", "欠费金额"]


def _workbook() -> Workbook:
    workbook = Workbook()
    for sheet in list(workbook.worksheets):
        workbook.remove(sheet)
    return workbook


def _sheet(workbook: Workbook, title: str, columns: list[str], widths: Iterable[int] | None = None) -> Worksheet:
    sheet = workbook.create_sheet(title)
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths or [14] * len(columns), start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    return sheet


def _money_columns(sheet: Worksheet, letters: str) -> None:
    for letter in letters:
        for cell in sheet[letter][1:]:
            cell.number_format = MONEY_FORMAT


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
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
    workbook = _workbook()
    summary = workbook.create_sheet(SUMMARY_SHEET)
    rate = totals["collection_rate"]
    summary.append(["小区", estate.name, f"{period_start:%Y-%m}"])
    summary.append(["应收合计", totals["receivable"]])
    summary.append(["实收合计", totals["received"]])
    summary.append(["当期收缴率", rate, "" if rate is None else str(rate)])
    summary.append(["应收笔数", totals["lines"]])
    summary["B2"].number_format = summary["B3"].number_format = MONEY_FORMAT
    summary[COLLECTION_RATE_CELL].number_format = RATE_FORMAT
    summary.column_dimensions["A"].width = 14
    summary.column_dimensions["B"].width = 18

    sheet = _sheet(workbook, "应收", RECEIVABLE_COLUMNS, [12, 8, 16, 12, 12, 12, 8, 12, 12, 12, 8])
    for bill in queries.bills_of_period(estate.pk, period_start, zone_ids=zone_ids):
        sheet.append(
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
        )
    _money_columns(sheet, "HIJ")
    return _save(workbook)


def read_collection_rate(content: bytes) -> Decimal | None:
    """The collection rate written by `receivables_workbook`, exactly, from its text cell."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    value = workbook[SUMMARY_SHEET][COLLECTION_RATE_TEXT_CELL].value
    workbook.close()
    return Decimal(value) if value else None


def journal_workbook(estate: Estate, date_from: datetime.date, date_to: datetime.date) -> bytes:
    """收款日记账: every receipt of the range; a reversed one stays, marked 已红冲 with its reason.
    The last row totals the valid payments only."""
    workbook = _workbook()
    sheet = _sheet(workbook, "收款日记账", JOURNAL_COLUMNS, [10, 18, 12, 12, 12, 10, 8, 24, 18, 20])
    payments = list(queries.payments_between(estate.pk, date_from, date_to))
    reversals = queries.reversals_of(payments)
    valid_total = Decimal("0.00")
    for payment in payments:
        reversal = reversals.get(payment.pk)
        if payment.status == Payment.Status.VALID:
            valid_total += payment.amount
        sheet.append(
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
    sheet.append(["有效合计", "", "", valid_total])
    _money_columns(sheet, "D")
    return _save(workbook)


def arrears_workbook(estate: Estate, as_of: datetime.date, *, zone_ids: Iterable[int] | None = None) -> bytes:
    """欠费账龄: outstanding per zone and age bucket (reports.arrears_aging), and the open bills
    behind it, one row each."""
    zone_ids = None if zone_ids is None else list(zone_ids)
    workbook = _workbook()
    sheet = _sheet(workbook, "按区域", ARREARS_COLUMNS, [10, 12, 12, 12, 12, 12, 12, 14])
    rows = reports.arrears_aging(estate.pk, as_of, zone_ids=zone_ids)
    for row in rows:
        sheet.append(
            [row["zone_code"] or "", row["zone_name"] or "", *(row["buckets"][k] for k in AGING_LABELS), row["total"]]
        )
    totals, grand = reports.aging_totals(rows)
    sheet.append(["合计", "", *(totals[k] for k in AGING_LABELS), grand])
    _money_columns(sheet, "CDEFGH")

    detail = _sheet(workbook, "明细", ARREARS_DETAIL_COLUMNS, [12, 8, 16, 12, 12, 10, 12, 12])
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
    _money_columns(detail, "H")
    return _save(workbook)


def aging_bucket(days: int) -> str:
    """The label of reports.AGING_BUCKETS that `days` overdue falls in."""
    for label, fewest, most in reports.AGING_BUCKETS:
        if days >= fewest and (most is None or days <= most):
            return label
    return reports.AGING_BUCKETS[0][0]


def export_filename(estate: Estate, kind: str, label: str) -> str:
    return f"{kind}-{estate.code}-{label}.xlsx"
