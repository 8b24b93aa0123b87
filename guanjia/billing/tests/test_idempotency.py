"""A money request is carried out once per idempotency key: the cashier's form and the owner's
"pay online" button render a fresh key each time they are shown, the API takes it in the
Idempotency-Key header. A repeat (a double click, a resend, two at once) gets the first
result back and records nothing; the same key with other values is refused."""

import datetime
import json
import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from guanjia.billing import actions
from guanjia.billing.models import Bill, IdempotencyKey, Payment, PaymentOrder, ReceiptCounter
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.billing.tests.test_payments import assert_ledger_consistent

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)
API = "/api/v1"
KEY_INPUT = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


@pytest.fixture
def billed(cast):
    """Unit A owes 223.75 for June and for July."""
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    return item


def ledger():
    """Everything a payment writes: payments, bills' paid amounts, the receipt counters."""
    return (
        list(Payment.objects.values_list("pk", "amount", "status").order_by("pk")),
        list(Bill.objects.values_list("pk", "paid_amount", "status").order_by("pk")),
        list(ReceiptCounter.objects.values_list("estate_id", "next_number").order_by("pk")),
    )


def form_key(client, url):
    """The one-time key the form renders, as a browser would send it back."""
    found = KEY_INPUT.findall(client.get(url).content.decode())
    assert found, "the form has no idempotency key"
    return found[0]


def post_payment(client, key, **body):
    return client.post(
        f"{API}/units/{body.pop('unit_id')}/payments",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key} if key is not None else {},
    )


# -- the cashier's page ----------------------------------------------------------------------


def test_the_cashier_form_sent_twice_with_no_bills_ticked_records_the_cash_once(cast, client_as, billed):
    client = client_as("finance")
    url = reverse("billing:cashier", args=[cast.unit_a.pk])
    # The form's default: no bill ticked (the oldest are settled first).
    form = {"method": "cash", "amount": "300.00", "reference": "", "note": "", "idempotency_key": form_key(client, url)}
    first = client.post(url, form)
    assert first.status_code == 302
    payment = Payment.objects.get()
    assert first.url == reverse("billing:payment", args=[payment.pk]) + "?new=1"
    before = ledger()
    second = client.post(url, form)
    assert second.status_code == 302 and second.url == reverse("billing:payment", args=[payment.pk])
    assert ledger() == before and Payment.objects.count() == 1
    receipt = client.get(second.url).content.decode()
    assert "已记录，未重复收款" in receipt and "00000001" in receipt
    assert_ledger_consistent()


def test_the_cashier_form_shows_a_fresh_key_each_time(cast, client_as, billed):
    client = client_as("finance")
    url = reverse("billing:cashier", args=[cast.unit_a.pk])
    first, second = form_key(client, url), form_key(client, url)
    assert first != second
    refused = client.post(url, {"method": "cash", "amount": "abc", "idempotency_key": first})
    assert refused.status_code == 400
    again = KEY_INPUT.findall(refused.content.decode())
    assert again and again[0] not in (first, second)


def test_the_same_form_key_with_another_amount_is_refused_and_changes_nothing(cast, client_as, billed, unchanged):
    client = client_as("finance")
    url = reverse("billing:cashier", args=[cast.unit_a.pk])
    key = form_key(client, url)
    assert client.post(url, {"method": "cash", "amount": "300.00", "idempotency_key": key}).status_code == 302
    with unchanged():
        response = client.post(url, {"method": "cash", "amount": "30.00", "idempotency_key": key})
        assert response.status_code == 400
        assert "已用于另一笔" in response.content.decode()
    assert list(Payment.objects.values_list("amount", flat=True)) == [D("300.00")]


def test_a_cashier_form_without_its_key_records_nothing(cast, client_as, billed, unchanged):
    client = client_as("finance")
    with unchanged():
        response = client.post(reverse("billing:cashier", args=[cast.unit_a.pk]), {"method": "cash", "amount": "10"})
        assert response.status_code == 400 and "表单已过期" in response.content.decode()


def test_the_owner_pressing_pay_online_twice_opens_one_order(cast, client_as, billed):
    client = client_as("owner")
    key = form_key(client, reverse("billing:portal"))
    url = reverse("billing:pay_online", args=[cast.unit_a.pk])
    first = client.post(url, {"idempotency_key": key})
    second = client.post(url, {"idempotency_key": key})
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert PaymentOrder.objects.count() == 1
    assert client.post(url, {}).status_code == 302 and PaymentOrder.objects.count() == 1  # no key: refused


# -- the API ---------------------------------------------------------------------------------


def test_the_api_records_a_payment_once_per_key_and_answers_the_repeat_alike(cast, client_as, billed):
    client = client_as("finance")
    key = str(uuid.uuid4())
    first = post_payment(client, key, unit_id=cast.unit_a.pk, amount="300", method="cash")
    assert first.status_code == 201, first.content
    before = ledger()
    second = post_payment(client, key, unit_id=cast.unit_a.pk, amount="300.00", method="cash")
    assert second.status_code == 201 and second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert ledger() == before
    record = IdempotencyKey.objects.get()
    assert (record.user, record.key, record.operation, record.object_id) == (
        cast.finance,
        key,
        "payment",
        first.json()["id"],
    )


def test_the_same_key_with_another_amount_is_refused_with_409(cast, client_as, billed, unchanged):
    client = client_as("finance")
    key = str(uuid.uuid4())
    assert post_payment(client, key, unit_id=cast.unit_a.pk, amount="300.00", method="cash").status_code == 201
    with unchanged():
        for body in (
            {"unit_id": cast.unit_a.pk, "amount": "301.00", "method": "cash"},
            {"unit_id": cast.unit_b.pk, "amount": "300.00", "method": "cash"},
            {"unit_id": cast.unit_a.pk, "amount": "300.00", "method": "pos"},
        ):
            response = post_payment(client, key, **body)
            assert response.status_code == 409, response.content
            assert response.json()["field"] == "Idempotency-Key" and response.json()["detail"]
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 101, "键"])
def test_a_payment_without_a_usable_key_is_refused_naming_the_header(cast, client_as, billed, unchanged, key):
    client = client_as("finance")
    with unchanged():
        response = post_payment(client, key, unit_id=cast.unit_a.pk, amount="10.00", method="cash")
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "Idempotency-Key"


def test_a_refused_payment_leaves_its_key_free_for_the_corrected_one(cast, client_as, billed):
    client = client_as("finance")
    key = str(uuid.uuid4())
    assert post_payment(client, key, unit_id=cast.unit_a.pk, amount="-1", method="cash").status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert post_payment(client, key, unit_id=cast.unit_a.pk, amount="10.00", method="cash").status_code == 201


def test_keys_belong_to_their_user(cast, client_as, billed):
    """Another user sending the same key records their own payment: a key never hands out
    someone else's result."""
    key = str(uuid.uuid4())
    mine = post_payment(client_as("finance"), key, unit_id=cast.unit_a.pk, amount="10.00", method="cash")
    theirs = post_payment(client_as("manager"), key, unit_id=cast.unit_a.pk, amount="10.00", method="cash")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"] and Payment.objects.count() == 2


def test_a_payment_order_is_opened_once_per_key(cast, client_as, billed):
    client = client_as("owner")
    key = str(uuid.uuid4())
    url = f"{API}/units/{cast.unit_a.pk}/payment-orders"
    body = json.dumps({"amount": "50.00"})
    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": key})
    second = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert PaymentOrder.objects.count() == 1
    other = client.post(
        url, json.dumps({"amount": "60.00"}), content_type="application/json", headers={"Idempotency-Key": key}
    )
    assert other.status_code == 409 and PaymentOrder.objects.count() == 1
    missing = client.post(url, body, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["field"] == "Idempotency-Key"


# -- two at once (PostgreSQL: SQLite serialises whole-database writes) -----------------------


def at_once(count, send):
    """Call send() from `count` threads released together; their answers."""
    barrier = threading.Barrier(count)
    answers = []

    def run():
        try:
            barrier.wait(timeout=10)
            answers.append(send())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_identical_requests_at_once_record_once(cast, billed):
    key = str(uuid.uuid4())

    def send():
        client = Client(raise_request_exception=False)
        client.force_login(cast.finance)
        response = post_payment(client, key, unit_id=cast.unit_a.pk, amount="300.00", method="cash")
        return response.status_code, response.json()

    answers = at_once(4, send)
    assert [status for status, _body in answers] == [201] * 4
    assert len({json.dumps(body, sort_keys=True) for _status, body in answers}) == 1
    assert Payment.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert_ledger_consistent()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_the_cashier_form_double_clicked_records_once(cast, billed):
    url = reverse("billing:cashier", args=[cast.unit_a.pk])
    setup = Client()
    setup.force_login(cast.finance)
    form = {"method": "cash", "amount": "300.00", "idempotency_key": form_key(setup, url)}

    def send():
        client = Client(raise_request_exception=False)
        client.force_login(cast.finance)
        response = client.post(url, form)
        return response.status_code, response.get("Location", "")

    answers = at_once(2, send)
    payment = Payment.objects.get()
    receipt = reverse("billing:payment", args=[payment.pk])
    assert sorted(answers) == [(302, receipt), (302, receipt + "?new=1")]
    assert_ledger_consistent()
