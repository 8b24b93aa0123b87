"""Billing pages: what they show, what they write, and bad input shown under its field with
nothing saved."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from guanjia.billing import actions, exports, queries, reports
from guanjia.billing.models import (
    Bill,
    CollectionLog,
    FeeItem,
    FeeStandard,
    MeterReading,
    Payment,
    PaymentOrder,
    ReversalRequest,
    WaterTier,
)
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.models import Change, Job

D = Decimal
THIS_MONTH = timezone.localdate().replace(day=1)
LAST_MONTH = (THIS_MONTH - datetime.timedelta(days=1)).replace(day=1)


@pytest.fixture
def fee(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2020, 1, 1))
    return item


@pytest.fixture
def billed(cast, fee):
    """Last month and this month billed: unit A 223.75 a month, unit B 300.00 a month."""
    for period in (LAST_MONTH, THIS_MONTH):
        actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=period)
    return fee


def error_under(response, field: str) -> str:
    """The error text shown under a form field (the form row holding the field's input)."""
    html = response.content.decode()
    # The kit's form rows (templates/billing/_form.html): errors beside the field.
    match = re.search(
        rf'class="[^"]*\bform-row-{field}\b[^"]*"(.*?)(?=class="[^"]*\bform-row-|<button|</form>)', html, re.S
    )
    assert match, f"no form row for {field}"
    errors = re.findall(r'<div class="invalid-feedback d-block">(.*?)</div>', match.group(1), re.S)
    return " ".join(errors)


# -- fee items, standards, tiers, readings ---------------------------------------------------


def test_finance_creates_a_fee_item_and_sets_its_price(cast, client_as):
    client = client_as("finance")
    response = client.post(
        reverse("billing:fees", args=[cast.estate.pk]),
        {"code": "parking", "name": "停车费", "kind": "fixed_monthly", "cycle": "monthly", "vacant_rate": "1"},
    )
    item = FeeItem.objects.get(estate=cast.estate, code="parking")
    assert response.status_code == 302 and response.url == reverse("billing:fee_item", args=[item.pk])
    response = client.post(
        reverse("billing:fee_item", args=[item.pk]),
        {"house_type": "high_rise", "unit_price": "150.00", "valid_from": "2025-01-01"},
    )
    assert response.status_code == 302
    assert FeeStandard.objects.get(fee_item=item).unit_price == D("150.0000")
    page = client.get(reverse("billing:fees", args=[cast.estate.pk])).content.decode()
    assert "停车费" in page and "150.00 元/月" in page  # a price with its unit


@pytest.mark.parametrize(("price", "message"), [("-2.50", "大于零"), ("0", "大于零"), ("abc", "2.35")])
def test_a_bad_price_is_shown_under_the_price_and_nothing_is_saved(cast, client_as, fee, price, message):
    before = list(FeeStandard.objects.values_list())
    response = client_as("finance").post(
        reverse("billing:fee_item", args=[fee.pk]),
        {"house_type": "high_rise", "unit_price": price, "valid_from": "2026-01-01"},
    )
    assert response.status_code == 400
    assert message in error_under(response, "unit_price")
    assert list(FeeStandard.objects.values_list()) == before


def test_water_tiers_are_set_from_lines_and_a_bad_tier_saves_nothing(cast, client_as):
    water = FeeItemFactory(estate=cast.estate, code="water", name="水费", kind=FeeItem.Kind.METERED)
    client = client_as("finance")
    response = client.post(reverse("billing:fee_item", args=[water.pk]), {"tiers": "15 3.50\n25 4.55\n- 6.00"})
    assert response.status_code == 302
    assert list(WaterTier.objects.filter(fee_item=water).order_by("price").values_list("upper_bound", "price")) == [
        (D("15.00"), D("3.5000")),
        (D("25.00"), D("4.5500")),
        (None, D("6.0000")),
    ]
    response = client.post(reverse("billing:fee_item", args=[water.pk]), {"tiers": "15 -3.50\n- 6.00"})
    assert response.status_code == 400 and "大于零" in error_under(response, "tiers")
    assert WaterTier.objects.filter(fee_item=water).count() == 3


def test_a_meter_reading_lower_than_the_last_is_refused_under_the_reading(cast, client_as):
    water = FeeItemFactory(estate=cast.estate, code="water", name="水费", kind=FeeItem.Kind.METERED)
    client = client_as("finance")
    url = reverse("billing:readings", args=[cast.estate.pk])
    body = {"unit_code": cast.unit_a.code, "fee_item": water.pk, "period": "2025-06", "reading": "120.00"}
    assert client.post(url, body).status_code == 302
    before = list(MeterReading.objects.values_list())
    response = client.post(url, body | {"period": "2025-07", "reading": "110.00"})
    assert response.status_code == 400
    assert "110.00" in error_under(response, "reading") and "120.00" in error_under(response, "reading")
    assert list(MeterReading.objects.values_list()) == before
    response = client.post(url, body | {"unit_code": "9-9-9999", "period": "2025-07"})
    assert response.status_code == 400 and error_under(response, "unit_code")
    assert list(MeterReading.objects.values_list()) == before


# -- the billing run -------------------------------------------------------------------------


def test_the_run_page_refuses_a_unit_without_area_before_queuing_anything(cast, client_as, fee, monkeypatch):
    # The database refuses a unit without area; an imported or legacy row might still lack one.
    real = queries.billable_units

    def with_a_missing_area(estate):
        rows = real(estate)
        for row in rows:
            if row["pk"] == cast.unit_b.pk:
                row["area"] = None
        return rows

    monkeypatch.setattr(queries, "billable_units", with_a_missing_area)
    response = client_as("finance").post(reverse("billing:run", args=[cast.estate.pk]), {"period_start": "2025-07"})
    assert response.status_code == 400
    message = error_under(response, "period_start")
    assert cast.unit_b.code in message
    assert not Job.objects.filter(kind=actions.BILLING_JOB).exists()
    assert not Bill.objects.exists()


def test_the_run_page_queues_the_job_and_its_progress_bar_polls_until_done(cast, client_as, fee):
    client = client_as("finance")
    response = client.post(reverse("billing:run", args=[cast.estate.pk]), {"period_start": "2025-07", "confirm": "1"})
    job = Job.objects.get(kind=actions.BILLING_JOB)
    assert response.status_code == 302 and response.url == reverse("billing:run_job", args=[cast.estate.pk, job.pk])
    progress_url = reverse("billing:run_progress", args=[cast.estate.pk, job.pk])
    page = client.get(response.url).content.decode()
    assert f'hx-get="{progress_url}"' in page and 'role="progressbar"' in page
    actions.run_billing_job(job_id=job.pk)  # what the worker does
    fragment = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in fragment  # finished: no more polling
    assert 'aria-valuenow="100"' in fragment
    assert Bill.objects.filter(period_start=datetime.date(2025, 7, 1)).count() == 2


# -- cashier, receipts, reversals ------------------------------------------------------------


def test_the_cashier_records_a_payment_for_chosen_bills_and_opens_its_receipt(cast, client_as, billed):
    client = client_as("finance")
    this_month_a = Bill.objects.get(unit=cast.unit_a, period_start=THIS_MONTH)
    page = client.get(reverse("billing:cashier", args=[cast.unit_a.pk])).content.decode()
    assert "447.50" in page  # two months owed
    response = client.post(
        reverse("billing:cashier", args=[cast.unit_a.pk]),
        {
            "method": "cash",
            "amount": "223.75",
            "bills": [str(this_month_a.pk)],
            "reference": "",
            "note": "",
            "idempotency_key": "k1",
        },
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("billing:payment", args=[payment.pk]) + "?new=1"
    this_month_a.refresh_from_db()
    assert this_month_a.status == Bill.Status.PAID
    page = client.get(response.url).content.decode()
    assert (
        "00000001" in page and "贰佰贰拾叁元柒角伍分" in page and reverse("billing:receipt", args=[payment.pk]) in page
    )
    first = client.post(reverse("billing:receipt", args=[payment.pk]))
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")
    assert client.post(reverse("billing:receipt", args=[payment.pk])).status_code == 200
    copies = Change.objects.filter(verb="print_receipt", object_id=payment.pk).order_by("pk")
    assert [change.changes["copy"][1] for change in copies] == [1, 2]  # the second is a reprint


def test_a_payment_with_a_bad_amount_is_refused_under_the_amount(cast, client_as, billed):
    before = (list(Payment.objects.values_list()), list(Bill.objects.values_list("pk", "paid_amount", "status")))
    client = client_as("finance")
    for amount in ("0", "-10", "abc", "1.005"):
        form = {"method": "cash", "amount": amount, "idempotency_key": f"k-{amount}"}
        response = client.post(reverse("billing:cashier", args=[cast.unit_a.pk]), form)
        assert response.status_code == 400 and error_under(response, "amount"), amount
    assert (
        list(Payment.objects.values_list()),
        list(Bill.objects.values_list("pk", "paid_amount", "status")),
    ) == before


def test_a_reversal_needs_a_reason_and_another_persons_approval(cast, client_as, billed):
    payment = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="223.75", method="cash")
    client = client_as("finance")
    url = reverse("billing:request_reversal", args=[payment.pk])
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400 and "原因" in error_under(response, "reason")
    assert not ReversalRequest.objects.exists()
    assert client.post(url, {"reason": "金额录错"}).status_code == 302
    request = ReversalRequest.objects.get()
    assert request.status == ReversalRequest.Status.PENDING
    # The one who asked cannot approve (and finance may not approve at all: 404).
    assert client.post(reverse("billing:approve_reversal", args=[request.pk])).status_code == 404
    manager = client_as("manager")
    page = manager.get(reverse("billing:reversals", args=[cast.estate.pk])).content.decode()
    assert "金额录错" in page and reverse("billing:approve_reversal", args=[request.pk]) in page
    assert manager.post(reverse("billing:approve_reversal", args=[request.pk]), {"note": "同意"}).status_code == 302
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REVERSED
    assert "已红冲" in manager.get(reverse("billing:payment", args=[payment.pk])).content.decode()


# -- arrears, collection rate, exports -------------------------------------------------------


def test_the_collection_page_shows_the_ledgers_rate_in_its_element(cast, client_as, billed):
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="300.00", method="cash")
    response = client_as("manager").get(
        reverse("billing:collection", args=[cast.estate.pk]), {"month": f"{LAST_MONTH:%Y-%m}"}
    )
    html = response.content.decode()
    rate = reports.period_totals(cast.estate.pk, LAST_MONTH)["collection_rate"]
    # 223.75 received of 523.75 receivable
    assert rate == D("0.4272")
    match = re.search(r'id="collection-rate" data-rate="([^"]*)">([^<]*)<', html)
    assert match and D(match.group(1)) == rate and match.group(2) == "42.72%"
    assert "周管家" in html  # the butler of zone A, in the by-butler table
    content = (
        client_as("manager")
        .get(reverse("billing:export_receivables", args=[cast.estate.pk]), {"month": f"{LAST_MONTH:%Y-%m}"})
        .content
    )
    assert exports.read_collection_rate(content) == rate


def test_a_butler_sees_the_arrears_and_rate_of_own_zones_only(cast, client_as, billed):
    client = client_as("butler")
    as_of = (THIS_MONTH + datetime.timedelta(days=40)).isoformat()
    html = client.get(reverse("billing:arrears", args=[cast.estate.pk]), {"as_of": as_of}).content.decode()
    assert cast.unit_a.code in html and cast.unit_b.code not in html
    assert 'id="arrears-total">¥447.50<' in html
    content = client.get(reverse("billing:export_arrears", args=[cast.estate.pk]), {"as_of": as_of}).content
    sheet = load_workbook(io.BytesIO(content))["按区域"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["A", "合计"]
    html = client.get(reverse("billing:collection", args=[cast.estate.pk])).content.decode()
    assert 'id="receivable">¥223.75<' in html
    assert client.get(reverse("billing:export_journal", args=[cast.estate.pk])).status_code == 404


def test_finding_a_unit_by_code_opens_its_bills(cast, client_as, billed):
    client = client_as("finance")
    response = client.get(reverse("billing:collection", args=[cast.estate.pk]), {"unit": cast.unit_b.code})
    assert response.status_code == 302 and response.url == reverse("billing:unit", args=[cast.unit_b.pk])
    html = client.get(response.url).content.decode()
    assert "600.00" in html and reverse("billing:cashier", args=[cast.unit_b.pk]) in html


# -- the owner's portal ----------------------------------------------------------------------


def test_the_owner_sees_own_bills_and_receipts_and_pays_online(cast, client_as, billed):
    mine = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    theirs = actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="100.00", method="cash")
    client = client_as("owner")
    portal = client.get(reverse("accounts:portal")).content.decode()
    assert reverse("billing:portal") in portal
    html = client.get(reverse("billing:portal")).content.decode()
    assert cast.unit_a.code in html and cast.unit_b.code not in html
    assert "347.50" in html  # 447.50 owed less 100.00 paid
    assert reverse("billing:receipt", args=[mine.pk]) in html
    assert reverse("billing:pay_online", args=[cast.unit_a.pk]) in html
    assert client.post(reverse("billing:receipt", args=[mine.pk])).status_code == 200
    assert client.post(reverse("billing:receipt", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("billing:pay_online", args=[cast.unit_a.pk]), {"idempotency_key": "k1"})
    order = PaymentOrder.objects.get()
    assert order.amount == Decimal("347.50")
    assert response.status_code == 302 and response.url == reverse("billing:sandbox_pay", args=[order.order_number])
    assert (
        client.post(reverse("billing:pay_online", args=[cast.unit_b.pk]), {"idempotency_key": "k2"}).status_code == 404
    )


# -- collection log and reminders ------------------------------------------------------------


def test_the_zone_butler_logs_a_promise_and_a_promise_without_a_date_saves_nothing(cast, client_as, billed):
    client = client_as("butler")
    url = reverse("billing:log_collection", args=[cast.unit_a.pk])
    response = client.post(url, {"contact": "phone", "outcome": "promised", "note": "下周付"})
    assert response.status_code == 400
    assert gettext("Enter the date the payer promised to pay.") in error_under(response, "promised_date")
    assert not CollectionLog.objects.exists()
    promised = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    response = client.post(
        url, {"contact": "phone", "outcome": "promised", "promised_date": promised, "note": "下周付"}
    )
    assert response.status_code == 302
    entry = CollectionLog.objects.get()
    assert (entry.unit, entry.logged_by, str(entry.promised_date)) == (cast.unit_a, cast.butler, promised)
    assert "下周付" in client.get(reverse("billing:unit", args=[cast.unit_a.pk])).content.decode()
    # The owner reads the unit's bills, never the collection log.
    owner_page = client_as("owner").get(reverse("billing:unit", args=[cast.unit_a.pk])).content.decode()
    assert "下周付" not in owner_page and reverse("billing:log_collection", args=[cast.unit_a.pk]) not in owner_page


def test_reminder_notices_go_to_the_owners_in_arrears(cast, client_as, billed):
    from guanjia.notifications.models import Notification

    response = client_as("finance").post(reverse("billing:send_reminders", args=[cast.estate.pk]))
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=cast.owner).count() == 1


def test_a_bill_issued_in_error_is_reversed_after_a_request_with_a_reason(cast, client_as, billed):
    bill = Bill.objects.get(unit=cast.unit_b, period_start=THIS_MONTH)
    client = client_as("finance")
    url = reverse("billing:request_bill_reversal", args=[bill.pk])
    assert url in client.get(reverse("billing:unit", args=[cast.unit_b.pk])).content.decode()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and gettext("Give the reason for the reversal.") in error_under(
        response, "reason"
    )
    assert not ReversalRequest.objects.exists()
    assert client.post(url, {"reason": "面积登记错误"}).status_code == 302
    request = ReversalRequest.objects.get(bill=bill)
    client_as("manager").post(reverse("billing:approve_reversal", args=[request.pk]))
    bill.refresh_from_db()
    assert bill.status == Bill.Status.REVERSED
    # A reversed bill counts neither as receivable nor as owed.
    assert reports.period_totals(cast.estate.pk, THIS_MONTH, zone_ids=[cast.zone_b.pk])["receivable"] == D("0.00")


def workbook(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["房屋编号", "读数", "初始读数"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_month_of_readings_is_imported_and_a_lower_reading_in_the_file_saves_nothing(cast, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    water = FeeItemFactory(estate=cast.estate, code="water", name="水费", kind=FeeItem.Kind.METERED)
    client = client_as("finance")
    url = reverse("billing:readings", args=[cast.estate.pk])

    def upload(rows, period):
        file = SimpleUploadedFile("readings.xlsx", workbook(rows), content_type=exports.XLSX_CONTENT_TYPE)
        return client.post(url, {"fee_item": water.pk, "period": period, "file": file})

    response = upload([[cast.unit_a.code, 12, 0], [cast.unit_b.code, 30, 5]], "2025-06")
    assert response.status_code == 302
    assert sorted(MeterReading.objects.values_list("unit__code", "previous", "reading")) == [
        (cast.unit_a.code, D("0.00"), D("12.00")),
        (cast.unit_b.code, D("5.00"), D("30.00")),
    ]
    before = list(MeterReading.objects.values_list())
    response = upload([[cast.unit_a.code, 20], [cast.unit_b.code, 25]], "2025-07")  # B runs backwards
    assert response.status_code == 400
    html = response.content.decode()
    assert "25.00" in html and "30.00" in html and "alert alert-danger" in html
    assert list(MeterReading.objects.values_list()) == before
