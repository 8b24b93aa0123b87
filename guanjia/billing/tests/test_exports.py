"""Excel exports read back: receivables with the collection rate where exports.py says it is,
the receipt journal with reversals, arrears by zone in aging buckets."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from guanjia.billing import actions, exports, reports
from guanjia.billing.models import Bill, FeeItem, Payment, Reversal
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)


def rows(content: bytes, sheet: str) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), data_only=True)
    return [tuple(row) for row in workbook[sheet].iter_rows(values_only=True)]


@pytest.fixture
def ledger(cast):
    """June and July billed: unit A (zone A) 223.75 a month, unit B (zone B) 300.00 a month.
    Unit A pays 300.00 (June settled, 76.25 on July); unit B pays 300.00 for July, then that
    payment is reversed."""
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    for period in (JUNE, JULY):
        actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=period)
    received = timezone.make_aware(datetime.datetime(2025, 7, 10, 9, 30))
    paid_a = actions.record_payment(
        actor=cast.finance, unit=cast.unit_a, amount="300.00", method="cash", received_at=received
    )
    july_b = Bill.objects.get(unit=cast.unit_b, period_start=JULY)
    paid_b = actions.record_payment(
        actor=cast.finance,
        unit=cast.unit_b,
        amount="300.00",
        method="pos",
        bill_ids=[july_b.pk],
        received_at=received + datetime.timedelta(hours=1),
    )
    actions.reverse_payment(actor=cast.manager, payment=paid_b, reason="刷错卡")
    return paid_a, paid_b


def test_receivables_list_the_periods_bills_and_the_collection_rate_of_the_ledger(cast, ledger):
    content = exports.receivables_workbook(cast.estate, JULY)
    bills = rows(content, "应收")
    assert bills[0] == tuple(exports.RECEIVABLE_COLUMNS)
    by_unit = {row[0]: row for row in bills[1:]}
    assert set(by_unit) == {cast.unit_a.code, cast.unit_b.code}
    a = by_unit[cast.unit_a.code]
    assert (a[1], a[2], a[3], a[6]) == ("A", "物业服务费", datetime.datetime(2025, 7, 1), "业主")
    assert (D(str(a[7])), D(str(a[8])), D(str(a[9])), a[10]) == (D("223.75"), D("76.25"), D("147.50"), "未缴清")
    b = by_unit[cast.unit_b.code]
    assert (D(str(b[7])), D(str(b[8])), b[10]) == (D("300.00"), D("0"), "未缴清")

    workbook = load_workbook(io.BytesIO(content), data_only=True)
    summary = workbook[exports.SUMMARY_SHEET]
    totals = reports.period_totals(cast.estate.pk, JULY)
    # 76.25 ÷ 523.75 = 0.14558… → 0.1456
    assert totals["collection_rate"] == D("0.1456")
    assert D(str(summary["B2"].value)) == totals["receivable"] == D("523.75")
    assert D(str(summary["B3"].value)) == totals["received"] == D("76.25")
    assert D(str(summary[exports.COLLECTION_RATE_CELL].value)) == D("0.1456")
    assert summary[exports.COLLECTION_RATE_CELL].number_format == exports.RATE_FORMAT
    assert exports.read_collection_rate(content) == totals["collection_rate"]


def test_receivables_of_a_butlers_zones_only_and_of_an_empty_period(cast, ledger):
    content = exports.receivables_workbook(cast.estate, JULY, zone_ids=[cast.zone_a.pk])
    assert [row[0] for row in rows(content, "应收")[1:]] == [cast.unit_a.code]
    # 76.25 ÷ 223.75 = 0.34078… → 0.3408
    assert exports.read_collection_rate(content) == D("0.3408")
    empty = exports.receivables_workbook(cast.estate, datetime.date(2025, 1, 1))
    assert rows(empty, "应收")[1:] == []
    assert exports.read_collection_rate(empty) is None


def test_receipt_journal_keeps_reversed_receipts_and_totals_the_valid_ones(cast, ledger):
    paid_a, paid_b = ledger
    content = exports.journal_workbook(cast.estate, datetime.date(2025, 7, 1), datetime.date(2025, 7, 31))
    journal = rows(content, "收款日记账")
    assert journal[0] == tuple(exports.JOURNAL_COLUMNS)
    first, second, total = journal[1:]
    assert first[:7] == ("00000001", "2025-07-10 09:30", cast.unit_a.code, 300, "现金", "郑财务", "有效")
    assert second[0] == "00000002" and second[6] == "已红冲" and second[7] == "刷错卡" and second[8]
    assert total[0] == "有效合计" and D(str(total[3])) == D("300.00")
    outside = exports.journal_workbook(cast.estate, datetime.date(2025, 7, 11), datetime.date(2025, 7, 31))
    assert rows(outside, "收款日记账")[1:] == [("有效合计", None, None, 0, None, None, None, None, None, None)]


def test_arrears_by_zone_fall_into_aging_buckets(cast, ledger):
    # On 2025-08-15: June (due 06-01) is 75 days overdue, July (due 07-01) 45 days.
    as_of = datetime.date(2025, 8, 15)
    content = exports.arrears_workbook(cast.estate, as_of)
    by_zone = rows(content, "按区域")
    assert by_zone[0] == tuple(exports.ARREARS_COLUMNS)
    zone_a, zone_b, total = by_zone[1:]
    money = lambda row: [D(str(value)) for value in row[2:]]  # noqa: E731
    # Unit A owes 147.50 of July; unit B owes 300.00 of June and 300.00 of July.
    assert zone_a[:2] == ("A", "A区") and money(zone_a) == [0, D("147.50"), 0, 0, 0, D("147.50")]
    assert zone_b[:2] == ("B", "B区") and money(zone_b) == [0, D("600.00"), 0, 0, 0, D("600.00")]
    assert total[0] == "合计" and money(total) == [0, D("747.50"), 0, 0, 0, D("747.50")]
    detail = rows(content, "明细")[1:]
    assert [(row[0], row[5], row[6], D(str(row[7]))) for row in detail] == [
        (cast.unit_a.code, 45, "31–90天", D("147.50")),
        (cast.unit_b.code, 75, "31–90天", D("300.00")),
        (cast.unit_b.code, 45, "31–90天", D("300.00")),
    ]
    own = exports.arrears_workbook(cast.estate, as_of, zone_ids=[cast.zone_a.pk])
    assert [row[0] for row in rows(own, "按区域")[1:]] == ["A", "合计"]
    assert [row[0] for row in rows(own, "明细")[1:]] == [cast.unit_a.code]


@pytest.mark.parametrize(
    ("days", "label"),
    [(0, "0-30"), (30, "0-30"), (31, "31-90"), (90, "31-90"), (91, "91-180"), (365, "181-365"), (366, "365+")],
)
def test_aging_bucket_edges_match_the_query(days, label):
    assert exports.aging_bucket(days) == label


def test_names_and_reasons_people_typed_are_exported_as_text_never_as_formulas(cast, ledger):
    """A fee item, a reversal reason and a payment reference that a spreadsheet would run."""
    FeeItem.objects.filter(estate=cast.estate).update(name='=HYPERLINK("http://x","y")')
    Reversal.objects.update(reason="@SUM(A1)")
    Payment.objects.filter(pk=ledger[0].pk).update(reference="-2+3")
    contents = [
        exports.receivables_workbook(cast.estate, JULY),
        exports.journal_workbook(cast.estate, datetime.date(2025, 7, 1), datetime.date(2025, 7, 31)),
        exports.arrears_workbook(cast.estate, datetime.date(2025, 12, 31)),
    ]
    for content in contents:
        workbook = load_workbook(io.BytesIO(content))
        cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
        assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert rows(contents[0], "应收")[1][2] == '=HYPERLINK("http://x","y")'
    journal = rows(contents[1], "收款日记账")
    assert {row[7] for row in journal[1:-1]} == {None, "@SUM(A1)"} and "-2+3" in {row[9] for row in journal[1:-1]}
    assert rows(contents[2], "明细")[1][2] == '=HYPERLINK("http://x","y")'
