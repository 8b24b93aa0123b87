"""Online payment through the gateway's signed callback: recorded exactly once, forgeries refused."""

import datetime
import hashlib
import hmac
import json
import threading
from decimal import Decimal

import pytest
from django.db import connection

from guanjia.billing import actions, gateway, queries
from guanjia.billing.models import Bill, Payment, PaymentOrder
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.billing.tests.test_payments import assert_ledger_consistent
from guanjia.core.errors import DomainError

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)
CALLBACK = "/api/v1/billing/gateway/callback"


@pytest.fixture
def billed(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    return item


def post_callback(client, body: bytes, signature: str):
    return client.post(CALLBACK, body, content_type="application/json", headers={gateway.SIGNATURE_HEADER: signature})


def test_an_order_for_chosen_bills_is_paid_once_through_the_callback(client, cast, billed, unchanged):
    july = Bill.objects.get(unit=cast.unit_a, period_start=JULY)
    order, checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, bill_ids=[july.pk])
    assert order.amount == D("223.75") and order.status == PaymentOrder.Status.PENDING
    assert checkout.redirect_url.startswith("https://") and order.order_number in checkout.qr_text

    body, signature = gateway.TestGateway().callback(
        order_number=order.order_number, transaction_id="WX-0001", amount="223.75"
    )
    response = post_callback(client, body, signature)  # no session: the signature is the credential
    assert response.status_code == 200, response.content
    assert response.json()["duplicate"] is False
    july.refresh_from_db()
    june = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    assert july.status == Bill.Status.PAID and june.paid_amount == D("0.00")  # the chosen bill, not the oldest
    payment = Payment.objects.get()
    assert (payment.method, payment.reference, payment.amount) == ("online", "WX-0001", D("223.75"))
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID and order.payment == payment

    # The gateway repeats its callback: answered OK, nothing recorded twice.
    with unchanged():
        again = post_callback(client, body, signature)
        assert again.status_code == 200 and again.json() == {**response.json(), "duplicate": True}
    assert_ledger_consistent()


def test_a_forged_or_tampered_callback_is_refused_and_changes_nothing(client, cast, billed, unchanged):
    order, _checkout = actions.create_payment_order(actor=cast.finance, unit=cast.unit_a, amount="100.00")
    double = gateway.TestGateway()
    body, signature = double.callback(order_number=order.order_number, transaction_id="WX-1", amount="100.00")
    tampered = body.replace(b"100.00", b"999.00")
    forged_secret = gateway.sign(body, b"not-the-secret")
    with unchanged():
        for sent_body, sent_signature in ((body, ""), (body, forged_secret), (tampered, signature), (body, "zz")):
            response = post_callback(client, sent_body, sent_signature)
            assert response.status_code == 403, response.content
        # Signed but unreadable, or naming no order: 400, nothing recorded.
        for bad in (
            b"{not json",
            json.dumps({"order_number": "GJ-none", "transaction_id": "x", "amount": "1"}).encode(),
        ):
            response = post_callback(client, bad, gateway.sign(bad))
            assert response.status_code == 400 and response.json()["detail"]


# Fixed strings a forger would try first: the secret the embedded setup once shipped with in
# its source, the empty string, and the usual guesses.
FIXED_SECRETS = (b"guanjia-development-gateway-secret", b"dev-only-not-secret-guanjia-key", b"", b"secret", b"guanjia")


def test_a_callback_signed_with_any_fixed_string_is_refused(client, cast, billed, unchanged, settings):
    """The embedded setup's gateway secret is its own, made at random on the first run: a
    callback signed with the secret once printed in the source marks nothing paid."""
    assert settings.BILLING_GATEWAY_SECRET.encode() not in FIXED_SECRETS
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="223.75")
    body, _signature = gateway.TestGateway().callback(
        order_number=order.order_number, transaction_id="WX-FORGED", amount="223.75"
    )
    with unchanged():
        for fixed in FIXED_SECRETS:
            forged = hmac.new(fixed, body, hashlib.sha256).hexdigest()
            assert post_callback(client, body, forged).status_code == 403, fixed
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING and not Payment.objects.exists()


def test_the_secret_comes_from_settings(client, cast, billed, settings):
    order, _checkout = actions.create_payment_order(actor=cast.finance, unit=cast.unit_a, amount="10")
    body, old_signature = gateway.TestGateway().callback(
        order_number=order.order_number, transaction_id="WX-S", amount="10"
    )
    settings.BILLING_GATEWAY_SECRET = "production-secret"
    assert post_callback(client, body, old_signature).status_code == 403
    assert post_callback(client, body, gateway.sign(body, b"production-secret")).status_code == 200
    assert Payment.objects.get().reference == "WX-S"


def test_a_paid_amount_other_than_the_order_settles_oldest_first(cast, billed):
    july = Bill.objects.get(unit=cast.unit_a, period_start=JULY)
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, bill_ids=[july.pk])
    body, signature = gateway.TestGateway().callback(
        order_number=order.order_number, transaction_id="WX-2", amount="500.00"
    )
    result = actions.handle_gateway_callback(body=body, signature=signature)
    assert result.created and result.payment.amount == D("500.00")
    # Recorded as received: June and July paid, 52.50 prepaid.
    assert queries.prepaid_balance(cast.unit_a) == D("52.50")
    assert_ledger_consistent()


def test_orders_refuse_bad_input(cast, billed):
    paid_june = Bill.objects.get(unit=cast.unit_b, period_start=JUNE)
    actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="300", method="cash", bill_ids=[paid_june.pk])
    foreign = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    for kwargs, field in (
        ({"amount": "0"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"bill_ids": [paid_june.pk]}, "bills"),
        ({"bill_ids": [foreign.pk]}, "bills"),
    ):
        with pytest.raises(DomainError) as error:
            actions.create_payment_order(actor=cast.finance, unit=cast.unit_b, **kwargs)
        assert error.value.field == field
    assert not PaymentOrder.objects.exists()
    # With neither bills nor amount: everything the unit owes (July 300.00).
    order, _checkout = actions.create_payment_order(actor=cast.finance, unit=cast.unit_b)
    assert order.amount == D("300.00")


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_same_callback_at_once_record_one_payment(cast, billed):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="223.75")
    body, signature = gateway.TestGateway().callback(
        order_number=order.order_number, transaction_id="WX-RACE", amount="223.75"
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def deliver():
        try:
            barrier.wait()
            results.append(actions.handle_gateway_callback(body=body, signature=signature).created)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sorted(results) == [False, True]
    assert Payment.objects.count() == 1
    assert_ledger_consistent()


def test_without_a_configured_secret_no_callback_is_believed(settings):
    from guanjia.billing import gateway

    body = b'{"order": "x"}'
    good = gateway.sign(body)
    settings.BILLING_GATEWAY_SECRET = ""  # production without GUANJIA_GATEWAY_SECRET
    assert not gateway.signature_valid(body, good)
    assert not gateway.signature_valid(body, gateway.sign(body, b""))
