"""The billing API: the flows, and every kind of bad input of the issue answered with a
clear message naming the field and nothing half-saved."""

import datetime
import io
import json
import uuid
from decimal import Decimal

import pytest
from openpyxl import Workbook

from guanjia.billing import actions, queries
from guanjia.billing.gateways import SandboxGateway
from guanjia.billing.models import Bill, CollectionLog, FeeStandard, MeterReading, Payment, ReversalRequest
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.billing.tests.test_payments import assert_ledger_consistent
from guanjia.core.models import Job
from guanjia.notifications.models import Notification

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)
API = "/api/v1"


@pytest.fixture
def fee(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    return item


@pytest.fixture
def billed(cast, fee):
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    return fee


@pytest.fixture
def water(cast):
    item = actions.create_fee_item(actor=cast.finance, estate=cast.estate, code="water", name="水费", kind="metered")
    actions.set_water_tiers(actor=cast.finance, fee_item=item, tiers=[("22", "3.45"), ("30", "4.83"), (None, "5.83")])
    return item


def send(client, method, path, body=None):
    # Money writes carry an idempotency key; a new one per request here (test_idempotency.py
    # sends the same one twice).
    headers = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {}
    return client.generic(method, API + path, json.dumps(body or {}), content_type="application/json", headers=headers)


def refused(response, field):
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["field"] == field and data["detail"], data
    return data


def test_a_zero_or_negative_price_is_refused(client_as, cast, fee, unchanged):
    client = client_as("finance")
    with unchanged():
        for price in ("0", "-2.50", "abc", "2.123456"):
            body = {"house_type": "high_rise", "unit_price": price, "valid_from": "2026-01-01"}
            refused(send(client, "POST", f"/fee-items/{fee.pk}/standards", body), "unit_price")
    ok = send(client, "POST", f"/fee-items/{fee.pk}/standards", {**body, "unit_price": "2.80"})
    assert ok.status_code == 201 and ok.json()["unit_price"] == "2.8000"
    assert FeeStandard.objects.get(fee_item=fee, valid_from=datetime.date(2025, 1, 1)).valid_to == datetime.date(
        2025, 12, 31
    )


def test_a_run_with_a_unit_missing_its_area_is_refused_before_it_is_queued(
    client_as, cast, fee, unchanged, monkeypatch
):
    real = queries.billable_units

    def with_a_missing_area(estate):
        rows = real(estate)
        for row in rows:
            if row["pk"] == cast.unit_b.pk:
                row["area"] = None  # the database refuses such a row; a legacy copy might not
        return rows

    monkeypatch.setattr(queries, "billable_units", with_a_missing_area)
    client = client_as("finance")
    with unchanged():  # no job, no run, no bill
        data = refused(
            send(client, "POST", f"/estates/{cast.estate.pk}/billing-runs", {"period_start": "2025-07-01"}), "area"
        )
    assert cast.unit_b.code in data["detail"]
    monkeypatch.setattr(queries, "billable_units", real)
    started = send(client, "POST", f"/estates/{cast.estate.pk}/billing-runs", {"period_start": "2025-07-01"})
    assert started.status_code == 202
    job_id = started.json()["id"]
    actions.run_billing_job(job_id=job_id)  # what the worker does
    polled = client.get(f"{API}/estates/{cast.estate.pk}/billing-runs/{job_id}").json()
    assert polled["status"] == Job.Status.SUCCEEDED and polled["percent"] == 100
    assert polled["result"]["lines_created"] == 2
    refused(
        send(client, "POST", f"/estates/{cast.estate.pk}/billing-runs", {"period_start": "2025-07-15"}), "period_start"
    )


def test_a_meter_reading_lower_than_the_last_is_refused(client_as, cast, water, unchanged):
    client = client_as("finance")
    body = {"unit_id": cast.unit_a.pk, "fee_item_id": water.pk, "period": "2025-06-01", "reading": "120.00"}
    first = send(client, "POST", f"/estates/{cast.estate.pk}/meter-readings", body)
    assert first.status_code == 201 and first.json()["consumption"] == "120.00"
    with unchanged():
        lower = send(
            client,
            "POST",
            f"/estates/{cast.estate.pk}/meter-readings",
            {**body, "period": "2025-07-01", "reading": "119.99"},
        )
        assert "119.99" in refused(lower, "reading")["detail"]
        refused(
            send(client, "POST", f"/estates/{cast.estate.pk}/meter-readings", {**body, "unit_id": cast.other_unit.pk}),
            "unit_id",
        )
    # 35 m³ in July: 22 × 3.45 + 8 × 4.83 + 5 × 5.83 = 75.90 + 38.64 + 29.15 = 143.69
    send(
        client,
        "POST",
        f"/estates/{cast.estate.pk}/meter-readings",
        {**body, "period": "2025-07-01", "reading": "155.00"},
    )
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert Bill.objects.get(unit=cast.unit_a, fee_item=water).amount == D("143.69")


def workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["房号", "读数", "初始读数"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "readings.xlsx"
    return buffer


def test_importing_readings_reports_every_problem_by_row_and_column_and_saves_nothing(
    client_as, cast, water, unchanged
):
    client = client_as("finance")
    actions.record_meter_reading(actor=cast.finance, unit=cast.unit_b, fee_item=water, period=JUNE, reading="50")
    url = f"{API}/fee-items/{water.pk}/meter-readings/import"
    with unchanged():
        bad = workbook(
            [
                [cast.unit_a.code, 10, None],
                ["9-9-9999", 5, None],
                [cast.unit_b.code, 40, None],
                [cast.unit_a.code, 11, None],
                [None, "abc", None],
            ]
        )
        response = client.post(url, {"file": bad, "period": "2025-07-01"})
        data = refused(response, "unit")
        rows = sorted((p["row"], p["field"]) for p in data["problems"])
        assert rows == [(3, "unit"), (4, "reading"), (5, "unit"), (6, "unit")]
        messages = {p["row"]: p["message"] for p in data["problems"]}
        assert "B" in messages[4] and "40" in messages[4] and "50" in messages[4]  # column B, lower than 50.00
    good = workbook([[cast.unit_a.code, 10, 2], [cast.unit_b.code, 62.5, None]])
    response = client.post(url, {"file": good, "period": "2025-07-01"})
    assert response.status_code == 201 and response.json() == {"saved": 2}
    consumption = {m.unit_id: m.consumption for m in MeterReading.objects.filter(period=JULY)}
    assert consumption == {cast.unit_a.pk: D("8.00"), cast.unit_b.pk: D("12.50")}
    not_a_workbook = io.BytesIO(b"not a workbook")
    not_a_workbook.name = "readings.xlsx"
    refused(client.post(url, {"file": not_a_workbook, "period": "2025-08-01"}), "file")


def test_paying_more_than_a_closed_bill_allows_is_refused(client_as, cast, billed, unchanged):
    client = client_as("finance")
    june = Bill.objects.get(unit=cast.unit_b, period_start=JUNE)
    july = Bill.objects.get(unit=cast.unit_b, period_start=JULY)
    paid = send(
        client,
        "POST",
        f"/units/{cast.unit_b.pk}/payments",
        {"amount": "300.00", "method": "cash", "bill_ids": [june.pk]},
    )
    assert paid.status_code == 201
    assert paid.json()["receipt_number"] == 1 and paid.json()["allocations"] == [
        {"bill_id": june.pk, "amount": "300.00"}
    ]
    with unchanged():
        refused(
            send(
                client,
                "POST",
                f"/units/{cast.unit_b.pk}/payments",
                {"amount": "1.00", "method": "cash", "bill_ids": [june.pk]},
            ),
            "bills",
        )
        refused(
            send(
                client,
                "POST",
                f"/units/{cast.unit_b.pk}/payments",
                {"amount": "300.01", "method": "cash", "bill_ids": [july.pk]},
            ),
            "amount",
        )
        refused(send(client, "POST", f"/units/{cast.unit_b.pk}/payments", {"amount": "-1", "method": "cash"}), "amount")
        refused(
            send(client, "POST", f"/units/{cast.unit_b.pk}/payments", {"amount": "1", "method": "cheque"}), "method"
        )
    # Without chosen bills an overpayment is welcome: it becomes prepaid.
    over = send(client, "POST", f"/units/{cast.unit_b.pk}/payments", {"amount": "350.00", "method": "pos"})
    assert over.status_code == 201 and over.json()["prepaid_left"] == "50.00"
    assert client.get(f"{API}/payments/{over.json()['id']}").json()["receipt_number"] == 2
    assert_ledger_consistent()


def test_online_payment_by_the_owner_duplicated_and_forged_callbacks(client, client_as, cast, billed, unchanged):
    owner = client_as("owner")
    june = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    created = send(owner, "POST", f"/units/{cast.unit_a.pk}/payment-orders", {"bill_ids": [june.pk]})
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["amount"] == "223.75" and order["redirect_url"] == f"/billing/sandbox/{order['order_number']}/"
    refused(send(owner, "POST", f"/units/{cast.unit_a.pk}/payment-orders", {"amount": "0"}), "amount")
    owner.logout()

    headers, body = SandboxGateway().notification(
        order_number=order["order_number"], transaction_id="ALI-77", amount="223.75"
    )
    callback = f"{API}/billing/gateways/sandbox/callback"
    first = client.post(callback, body, content_type="application/json", headers=headers)
    assert first.status_code == 200 and first.json()["code"] == "SUCCESS"
    with unchanged():
        again = client.post(callback, body, content_type="application/json", headers=headers)
        assert again.status_code == 200 and again.json()["code"] == "SUCCESS"
        forged = client.post(
            callback, body.replace(b"ALI-77", b"ALI-78"), content_type="application/json", headers=headers
        )
        assert forged.status_code == 403 and forged.json()["code"] == "FAIL"
    assert Payment.objects.filter(reference="ALI-77").count() == 1
    june.refresh_from_db()
    assert june.status == Bill.Status.PAID
    # The owner sees the payment and the bill as paid.
    owner = client_as("owner")
    bills = {b["id"]: b for b in owner.get(f"{API}/units/{cast.unit_a.pk}/bills").json()}
    assert bills[june.pk]["status"] == "paid" and bills[june.pk]["outstanding"] == "0.00"
    assert [p["reference"] for p in owner.get(f"{API}/units/{cast.unit_a.pk}/payments").json()] == ["ALI-77"]


def test_a_reversal_without_a_reason_is_refused_and_approval_is_by_another(client_as, cast, billed, unchanged):
    payment = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    finance = client_as("finance")
    with unchanged():
        refused(send(finance, "POST", "/reversal-requests", {"payment_id": payment.pk, "reason": "  "}), "reason")
        refused(send(finance, "POST", "/reversal-requests", {"reason": "没选"}), "target")
    created = send(finance, "POST", "/reversal-requests", {"payment_id": payment.pk, "reason": "重复收款"})
    assert created.status_code == 201 and created.json()["status"] == "pending"
    request_id = created.json()["id"]
    # Finance may not approve (404: no such right); the manager approves.
    assert send(finance, "POST", f"/reversal-requests/{request_id}/approve").status_code == 404
    manager = client_as("manager")
    approved = send(manager, "POST", f"/reversal-requests/{request_id}/approve", {"note": "核实无误"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REVERSED
    assert Bill.objects.get(unit=cast.unit_a, period_start=JUNE).paid_amount == D("0.00")
    refused(send(manager, "POST", f"/reversal-requests/{request_id}/reject"), "request")
    listed = manager.get(f"{API}/estates/{cast.estate.pk}/reversal-requests?status=approved").json()
    assert [r["id"] for r in listed] == [request_id]
    # The manager's own request goes to another approver: refused for the manager.
    own = actions.record_payment(actor=cast.manager, unit=cast.unit_b, amount="10", method="cash")
    mine = send(manager, "POST", "/reversal-requests", {"payment_id": own.pk, "reason": "录错"}).json()
    refused(send(manager, "POST", f"/reversal-requests/{mine['id']}/approve"), "request")
    assert ReversalRequest.objects.get(pk=mine["id"]).status == "pending"


def test_figures_and_the_butlers_zone(client_as, cast, billed):
    actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="300.00", method="cash")
    manager = client_as("manager")
    figures = manager.get(f"{API}/estates/{cast.estate.pk}/collection?period=2025-06-01").json()
    # 300.00 received of 223.75 + 300.00 = 523.75 → 0.5728
    assert figures["totals"]["receivable"] == "523.75" and figures["totals"]["collection_rate"] == "0.5728"
    butler = client_as("butler")
    mine = butler.get(f"{API}/estates/{cast.estate.pk}/collection?period=2025-06-01").json()
    assert mine["totals"]["receivable"] == "223.75" and [z["zone_code"] for z in mine["zones"]] == ["A"]
    bills = butler.get(f"{API}/estates/{cast.estate.pk}/bills").json()
    assert {b["unit_id"] for b in bills} == {cast.unit_a.pk}
    aging = butler.get(f"{API}/estates/{cast.estate.pk}/arrears?as_of=2025-07-31").json()
    # June (due 1 June: 60 days) in 31–90, July (30 days) in 0–30.
    assert aging[0]["buckets"]["31-90"] == "223.75" and aging[0]["buckets"]["0-30"] == "223.75"
    refused(manager.get(f"{API}/estates/{cast.estate.pk}/collection?period=2025-06-02"), "period")


def test_the_collection_log_and_reminder_notices(client_as, cast, billed, unchanged):
    butler = client_as("butler")
    url = f"/units/{cast.unit_a.pk}/collection-logs"
    with unchanged():
        refused(send(butler, "POST", url, {"contact": "phone", "outcome": "promised"}), "promised_date")
        refused(send(butler, "POST", url, {"contact": "pigeon", "outcome": "refused"}), "contact")
        refused(
            send(butler, "POST", url, {"contact": "phone", "outcome": "promised", "promised_date": "2020-01-01"}),
            "promised_date",
        )
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    logged = send(
        butler,
        "POST",
        url,
        {"contact": "phone", "outcome": "promised", "promised_date": str(tomorrow), "note": "月底前交"},
    )
    assert logged.status_code == 201 and logged.json()["logged_by_id"] == cast.butler.pk
    assert [e["note"] for e in butler.get(API + url).json()] == ["月底前交"]
    # Not the butler's zone: 404 for the butler, allowed for finance.
    assert (
        send(
            butler, "POST", f"/units/{cast.unit_b.pk}/collection-logs", {"contact": "visit", "outcome": "refused"}
        ).status_code
        == 404
    )
    # Reminder notices: the butler's go to zone A's owner only; once a month.
    sent = send(butler, "POST", f"/estates/{cast.estate.pk}/arrears-reminders", {})
    assert sent.status_code == 200 and sent.json() == {"sent": 1}
    notice = Notification.objects.get(recipient=cast.owner, dedupe_key__startswith="billing:arrears:")
    assert "447.50" in notice.body  # June + July, 223.75 each
    assert send(butler, "POST", f"/estates/{cast.estate.pk}/arrears-reminders", {}).json() == {"sent": 0}
    assert CollectionLog.objects.count() == 1
