"""Online payment through the sandbox gateway: its pay page, its signed notification through
the callback endpoint, recorded exactly once, forgeries and wrong amounts refused."""

import datetime
import hashlib
import hmac
import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from guanjia.billing import actions, gateways
from guanjia.billing.gateways import sandbox
from guanjia.billing.gateways.sandbox import SandboxGateway
from guanjia.billing.models import Bill, Payment, PaymentOrder
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.billing.tests.test_payments import assert_ledger_consistent
from guanjia.core.errors import DomainError

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)
CALLBACK = "/api/v1/billing/gateways/sandbox/callback"


@pytest.fixture
def billed(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    return item


def post_callback(client, headers: dict, body: bytes):
    return client.post(CALLBACK, body, content_type="application/json", headers=headers)


def notify(order, transaction_id="WX-0001", amount=None, **kwargs):
    return SandboxGateway().notification(
        order_number=order.order_number, transaction_id=transaction_id, amount=amount or order.amount, **kwargs
    )


def test_an_order_for_chosen_bills_is_paid_once_through_the_callback(client, cast, billed, unchanged):
    july = Bill.objects.get(unit=cast.unit_a, period_start=JULY)
    order, checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, bill_ids=[july.pk])
    assert order.amount == D("223.75") and order.status == PaymentOrder.Status.PENDING
    # The demo's payer goes to the app's own sandbox page, never to an unreachable host.
    assert checkout.redirect_url == reverse("billing:sandbox_pay", kwargs={"order_number": order.order_number})
    assert checkout.qr_text.endswith(checkout.redirect_url)

    headers, body = notify(order)
    response = post_callback(client, headers, body)  # no session: the signature is the credential
    assert response.status_code == 200, response.content
    assert response.json()["code"] == "SUCCESS"
    july.refresh_from_db()
    june = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    assert july.status == Bill.Status.PAID and june.paid_amount == D("0.00")  # the chosen bill, not the oldest
    payment = Payment.objects.get()
    assert (payment.method, payment.reference, payment.amount) == ("online", "WX-0001", D("223.75"))
    assert payment.receipt_number == 1
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID and order.payment == payment

    # The gateway repeats its notification: answered OK (so it stops), nothing recorded twice.
    with unchanged():
        again = post_callback(client, headers, body)
        assert again.status_code == 200 and again.json()["code"] == "SUCCESS"
        # And a fresh delivery of the same transaction, newly signed: still once.
        assert post_callback(client, *notify(order)).status_code == 200
    assert_ledger_consistent()


def test_a_forged_tampered_or_replayed_callback_is_refused_and_changes_nothing(client, cast, billed, unchanged):
    order, _checkout = actions.create_payment_order(actor=cast.finance, unit=cast.unit_a, amount="100.00")
    headers, body = notify(order, transaction_id="WX-1")
    signature = headers[sandbox.SIGNATURE_HEADER]
    stale = int(time.time()) - 3600
    stale_headers, stale_body = notify(order, transaction_id="WX-1", timestamp=stale)
    attempts = [
        ({**headers, sandbox.SIGNATURE_HEADER: ""}, body),
        ({**headers, sandbox.SIGNATURE_HEADER: "zz"}, body),
        ({**headers, sandbox.SIGNATURE_HEADER: signature[::-1]}, body),
        (headers, body.replace(b"100.00", b"999.00")),  # the amount changed after signing
        ({**headers, sandbox.NONCE_HEADER: "another-nonce"}, body),
        ({**headers, sandbox.TIMESTAMP_HEADER: str(int(time.time()) + 1)}, body),
        notify(order, transaction_id="WX-1", key=b"not-the-secret"),
        (stale_headers, stale_body),  # an old notification sent again: a replay
        ({}, body),
    ]
    with unchanged():
        for sent_headers, sent_body in attempts:
            response = post_callback(client, sent_headers, sent_body)
            assert response.status_code == 403, (sent_headers, response.content)
            assert response.json()["code"] == "FAIL"
        # Signed but unreadable, or naming no order: 400, nothing recorded.
        for bad in (
            b"{not json",
            json.dumps({"order_number": "GJ-none", "transaction_id": "x", "amount": "1"}).encode(),
        ):
            now, nonce = str(int(time.time())), "n1"
            signed = {
                sandbox.TIMESTAMP_HEADER: now,
                sandbox.NONCE_HEADER: nonce,
                sandbox.SIGNATURE_HEADER: sandbox.sign(now, nonce, bad),
            }
            response = post_callback(client, signed, bad)
            assert response.status_code == 400 and response.json()["message"]
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING


def test_a_paid_amount_other_than_the_order_is_refused_and_records_nothing(client, cast, billed, unchanged):
    july = Bill.objects.get(unit=cast.unit_a, period_start=JULY)
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, bill_ids=[july.pk])
    with unchanged():
        for amount in ("500.00", "0.01", "223.74"):
            response = post_callback(client, *notify(order, transaction_id=f"WX-{amount}", amount=amount))
            assert response.status_code == 400 and response.json()["code"] == "FAIL"
        with pytest.raises(DomainError) as refused:
            actions.handle_gateway_callback(
                gateway=SandboxGateway(), **dict(zip(("headers", "body"), notify(order, amount="1.00"), strict=True))
            )
        assert refused.value.field == "amount"
    july.refresh_from_db()
    assert july.status == Bill.Status.OPEN and not Payment.objects.exists()


def test_a_notification_that_is_not_paid_records_nothing(client, cast, billed, unchanged):
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="223.75")
    with unchanged():
        response = post_callback(client, *notify(order, status=sandbox.CANCELLED))
        assert response.status_code == 200


# Fixed strings a forger would try first: the secret the embedded setup once shipped with in
# its source, the empty string, and the usual guesses.
FIXED_SECRETS = (b"guanjia-development-gateway-secret", b"dev-only-not-secret-guanjia-key", b"", b"secret", b"guanjia")


def test_a_callback_signed_with_any_fixed_string_is_refused(client, cast, billed, unchanged, settings):
    """The embedded setup's gateway secret is its own, made at random on the first run: a
    callback signed with the secret once printed in the source marks nothing paid."""
    assert settings.BILLING_GATEWAY_SECRET.encode() not in FIXED_SECRETS
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="223.75")
    headers, body = notify(order, transaction_id="WX-FORGED")
    with unchanged():
        for fixed in FIXED_SECRETS:
            message = sandbox.signed_message(headers[sandbox.TIMESTAMP_HEADER], headers[sandbox.NONCE_HEADER], body)
            forged = hmac.new(fixed, message, hashlib.sha256).hexdigest()
            assert post_callback(client, {**headers, sandbox.SIGNATURE_HEADER: forged}, body).status_code == 403
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING and not Payment.objects.exists()


def test_the_secret_comes_from_settings(client, cast, billed, settings):
    order, _checkout = actions.create_payment_order(actor=cast.finance, unit=cast.unit_a, amount="10")
    old_headers, body = notify(order, transaction_id="WX-S")
    settings.BILLING_GATEWAY_SECRET = "production-secret"
    assert post_callback(client, old_headers, body).status_code == 403
    assert post_callback(client, *notify(order, transaction_id="WX-S")).status_code == 200
    assert Payment.objects.get().reference == "WX-S"


def test_without_a_configured_secret_no_callback_is_believed(client, cast, billed, settings, unchanged):
    order, _checkout = actions.create_payment_order(actor=cast.finance, unit=cast.unit_a, amount="10")
    settings.BILLING_GATEWAY_SECRET = ""  # production without GUANJIA_GATEWAY_SECRET
    with unchanged():
        assert post_callback(client, *notify(order)).status_code == 403
        assert post_callback(client, *notify(order, key=b"")).status_code == 403


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


def test_the_sandbox_is_refused_in_production(client, cast, billed, settings, unchanged):
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="223.75")
    headers, body = notify(order)
    settings.PRODUCTION = True
    with pytest.raises(gateways.GatewayUnavailable):
        gateways.gateway_named("sandbox")
    with unchanged():
        assert post_callback(client, headers, body).status_code == 404
        with pytest.raises(DomainError):
            actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="10")
        with pytest.raises(DomainError):
            actions.pay_in_sandbox(order=order)
    with pytest.raises(gateways.GatewayUnavailable):
        gateways.gateway_named("paypal")


# -- the sandbox's pay page ------------------------------------------------------------------


def test_the_owner_pays_on_the_sandbox_page_once_however_often_pressed(client_as, cast, billed, unchanged):
    owner = client_as("owner")
    response = owner.post(reverse("billing:pay_online", args=[cast.unit_a.pk]), {"idempotency_key": "k-1"})
    order = PaymentOrder.objects.get()
    page = reverse("billing:sandbox_pay", kwargs={"order_number": order.order_number})
    assert response.status_code == 302 and response.url == page
    shown = owner.get(page)
    assert shown.status_code == 200 and "¥447.50" in shown.content.decode()

    paid = owner.post(page, {"decision": "pay"}, follow=True)
    assert paid.redirect_chain[-1][0] == reverse("billing:portal")
    payment = Payment.objects.get()
    assert payment.amount == D("447.50") and payment.reference == f"SBX-{order.order_number}"
    assert not Bill.objects.filter(unit=cast.unit_a, status=Bill.Status.OPEN).exists()
    assert f"{payment.receipt_number:08d}" in paid.content.decode()  # the receipt on the owner's bills
    with unchanged():
        again = owner.post(page, {"decision": "pay"})  # the back button and "pay" again
        assert again.status_code == 302
    assert Payment.objects.count() == 1
    assert_ledger_consistent()


def test_cancel_on_the_sandbox_page_changes_nothing_and_others_see_no_order(client_as, cast, billed, unchanged):
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="223.75")
    page = reverse("billing:sandbox_pay", kwargs={"order_number": order.order_number})
    owner = client_as("owner")
    with unchanged():
        cancelled = owner.post(page, {"decision": "cancel"})
        assert cancelled.status_code == 302 and cancelled.url == reverse("billing:portal")
        for name in ("butler", "assistant", "outsider"):
            outsider = client_as(name)
            assert outsider.get(page).status_code == 404
            assert outsider.post(page, {"decision": "pay"}).status_code == 404
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_same_callback_at_once_record_one_payment(cast, billed):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    order, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="223.75")
    headers, body = notify(order, transaction_id="WX-RACE")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def deliver():
        try:
            barrier.wait()
            result = actions.handle_gateway_callback(gateway=SandboxGateway(), headers=headers, body=body)
            results.append(result.created)
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
