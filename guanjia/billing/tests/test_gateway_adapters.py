"""The WeChat Pay v3 and Alipay adapters, against notifications made here with the algorithms
their documentation gives: an RSA key generated for the test stands for the gateway's key,
signing as the gateway signs (SHA256withRSA), and WeChat's resource is encrypted with
AEAD_AES_256_GCM under the merchant's APIv3 key. Each valid notification pays once; a tampered
one, one signed by another key, a stale one, one for another merchant or for another amount
is refused with nothing changed."""

import base64
import datetime
import json
import secrets
import time
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guanjia.billing import actions
from guanjia.billing.gateways import AlipayGateway, WechatPayGateway, alipay, wechat
from guanjia.billing.models import Bill, Payment, PaymentOrder
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.billing.tests.test_payments import assert_ledger_consistent
from guanjia.core.errors import DomainError

D = Decimal
JUNE = datetime.date(2025, 6, 1)
API = "/api/v1/billing/gateways"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sha256_rsa(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


@pytest.fixture(scope="module")
def gateway_key():
    """The gateway's own key (WeChat's platform key, Alipay's key)."""
    return new_key()


@pytest.fixture(scope="module")
def other_key():
    return new_key()


@pytest.fixture
def order(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    june = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    created, _checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, bill_ids=[june.pk])
    assert created.amount == D("223.75")
    return created


def assert_paid_once(order, reference):
    order.refresh_from_db()
    payment = Payment.objects.get()
    assert order.status == PaymentOrder.Status.PAID and order.payment == payment
    assert (payment.method, payment.reference, payment.amount) == ("online", reference, D("223.75"))
    assert Bill.objects.get(pk=order.bill_ids[0]).status == Bill.Status.PAID
    assert_ledger_consistent()


# -- WeChat Pay v3 ---------------------------------------------------------------------------

MCHID = "1900000001"
APPID = "wxd678efh567hg6787"
APIV3_KEY = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"  # 32 characters, as the merchant platform sets it
SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"


@pytest.fixture
def wechat_settings(settings, gateway_key):
    settings.WECHATPAY = {
        "mchid": MCHID,
        "appid": APPID,
        "apiv3_key": APIV3_KEY,
        "platform_public_key": public_pem(gateway_key),
        "platform_serial": SERIAL,
    }
    return settings.WECHATPAY


def wechat_transaction(order, **changes):
    """The plain resource of a TRANSACTION.SUCCESS notification, as documented."""
    transaction = {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": order.order_number,
        "transaction_id": "4200000000202512021234567890",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": "2025-12-02T10:00:00+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 22375, "payer_total": 22375, "currency": "CNY", "payer_currency": "CNY"},
    }
    transaction.update(changes)
    return transaction


def wechat_notification(
    transaction, *, key, apiv3_key=APIV3_KEY, serial=SERIAL, timestamp=None, associated_data="transaction"
):
    """(headers, body) as WeChat sends them: the resource sealed with AEAD_AES_256_GCM under
    the APIv3 key, the body signed with SHA256withRSA over "timestamp\\nnonce\\nbody\\n"."""
    nonce = secrets.token_hex(6)  # 12 characters
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(transaction, ensure_ascii=False).encode(), associated_data.encode()
    )
    body = json.dumps(
        {
            "id": "EV-2018022511223320873",
            "create_time": "2025-12-02T10:00:01+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(sealed).decode(),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        },
        ensure_ascii=False,
    ).encode()
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    header_nonce = secrets.token_urlsafe(24)
    message = f"{sent_at}\n{header_nonce}\n".encode() + body + b"\n"
    headers = {
        "Wechatpay-Timestamp": sent_at,
        "Wechatpay-Nonce": header_nonce,
        "Wechatpay-Signature": sha256_rsa(key, message),
        "Wechatpay-Serial": serial,
    }
    return headers, body


def post_wechat(client, headers, body):
    return client.post(f"{API}/wechat/callback", body, content_type="application/json", headers=headers)


def test_a_wechat_notification_pays_the_order_once(client, order, wechat_settings, gateway_key, unchanged):
    headers, body = wechat_notification(wechat_transaction(order), key=gateway_key)
    response = post_wechat(client, headers, body)
    assert response.status_code == 200, response.content
    assert response.json()["code"] == "SUCCESS"
    assert_paid_once(order, "4200000000202512021234567890")
    with unchanged():
        # WeChat retries until answered: the same one, and the same transaction signed afresh.
        assert post_wechat(client, headers, body).json()["code"] == "SUCCESS"
        again = post_wechat(client, *wechat_notification(wechat_transaction(order), key=gateway_key))
        assert again.status_code == 200


def test_wechat_notifications_that_do_not_check_out_are_refused(
    client, order, wechat_settings, gateway_key, other_key, unchanged
):
    good_headers, good_body = wechat_notification(wechat_transaction(order), key=gateway_key)
    forged = [
        (good_headers, good_body.replace(b'"summary": "', b'"summary": "x')),  # body changed after signing
        ({**good_headers, "Wechatpay-Timestamp": str(int(time.time()) + 1)}, good_body),
        ({**good_headers, "Wechatpay-Signature": "bm90IGEgc2lnbmF0dXJl"}, good_body),
        ({**good_headers, "Wechatpay-Signature": "%%%"}, good_body),
        ({**good_headers, "Wechatpay-Serial": "0000"}, good_body),  # claims another key of WeChat's
        wechat_notification(wechat_transaction(order), key=other_key),  # signed by a key not WeChat's
        wechat_notification(wechat_transaction(order), key=gateway_key, timestamp=int(time.time()) - 600),  # replay
        wechat_notification(wechat_transaction(order), key=gateway_key, apiv3_key="b" * 32),  # not sealed for us
        ({k: v for k, v in good_headers.items() if k != "Wechatpay-Nonce"}, good_body),
    ]
    unreadable = [
        wechat_notification(wechat_transaction(order, mchid="1900000002"), key=gateway_key),  # another merchant
        wechat_notification(wechat_transaction(order, appid="wx0000000000000000"), key=gateway_key),
        wechat_notification(
            wechat_transaction(order, amount={"total": 100, "currency": "CNY"}), key=gateway_key
        ),  # another amount
        wechat_notification(wechat_transaction(order, amount={"total": "22375"}), key=gateway_key),
        wechat_notification(wechat_transaction(order, out_trade_no="GJ-none"), key=gateway_key),
    ]
    with unchanged():
        for headers, body in forged:
            response = post_wechat(client, headers, body)
            assert response.status_code == 403, response.content
            assert response.json()["code"] == "FAIL"
        for headers, body in unreadable:
            response = post_wechat(client, headers, body)
            assert response.status_code == 400, response.content
            assert response.json()["code"] == "FAIL"
        # A transaction that is not paid (closed, say) is acknowledged and records nothing.
        closed = wechat_notification(wechat_transaction(order, trade_state="CLOSED"), key=gateway_key)
        assert post_wechat(client, *closed).status_code == 200
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING


def test_without_wechat_keys_every_notification_is_refused(client, order, settings, gateway_key, unchanged):
    settings.WECHATPAY = {"mchid": MCHID}
    with unchanged():
        response = post_wechat(client, *wechat_notification(wechat_transaction(order), key=gateway_key))
        assert response.status_code == 403


def test_the_wechat_resource_decrypts_as_documented():
    """AEAD_AES_256_GCM: key = the APIv3 key's 32 bytes, nonce and associated data as text,
    the ciphertext with its 16-byte tag appended, base64."""
    sealed = AESGCM(APIV3_KEY.encode()).encrypt(b"0123456789ab", b'{"a":1}', b"transaction")
    resource = {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "nonce": "0123456789ab",
        "associated_data": "transaction",
    }
    assert wechat.decrypt_resource(resource, APIV3_KEY.encode()) == b'{"a":1}'
    with pytest.raises(wechat.ForgedCallback):
        wechat.decrypt_resource({**resource, "associated_data": "certificate"}, APIV3_KEY.encode())


def test_opening_a_wechat_order_is_not_offered_yet(cast, order, settings, wechat_settings):
    settings.BILLING_GATEWAY = "wechat"
    with pytest.raises(DomainError):
        actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="10")
    assert PaymentOrder.objects.count() == 1
    assert WechatPayGateway().name == "wechat"


# -- Alipay ----------------------------------------------------------------------------------

APP_ID = "2021000000000001"


@pytest.fixture(scope="module")
def app_key():
    """The app's private key (应用私钥), with which we sign our requests."""
    return new_key()


@pytest.fixture
def alipay_settings(settings, gateway_key, app_key):
    bare_public_key = base64.b64encode(
        gateway_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()  # as Alipay's console shows it: base64 without the PEM lines
    settings.ALIPAY = {
        "app_id": APP_ID,
        "app_private_key": app_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "alipay_public_key": bare_public_key,
        "gateway_url": "https://openapi.alipay.com/gateway.do",
        "notify_url": "https://guanjia.example.com/api/v1/billing/gateways/alipay/callback",
    }
    return settings.ALIPAY


def alipay_params(order, **changes):
    params = {
        "notify_time": "2025-12-02 10:00:05",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "app_id": APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": "2025120222001404111407770001",
        "out_trade_no": order.order_number,
        "buyer_logon_id": "159****5620",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "223.75",
        "receipt_amount": "223.75",
        "subject": "物业费 1-1-1201",
        "gmt_payment": "2025-12-02 10:00:04",
        "fund_bill_list": '[{"amount":"223.75","fundChannel":"ALIPAYACCOUNT"}]',
        "passback_params": "",
    }
    params.update(changes)
    return params


def alipay_body(params, *, key):
    """The form Alipay posts: every parameter but sign and sign_type, empty ones left out,
    sorted, key=value joined by &, signed SHA256withRSA, base64."""
    content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v != "")
    return urlencode({**params, "sign": sha256_rsa(key, content.encode())}).encode()


def post_alipay(client, body):
    return client.post(f"{API}/alipay/callback", body, content_type="application/x-www-form-urlencoded")


def test_an_alipay_notification_pays_the_order_once(client, order, alipay_settings, gateway_key, unchanged):
    response = post_alipay(client, alipay_body(alipay_params(order), key=gateway_key))
    assert (response.status_code, response.content) == (200, b"success")
    assert_paid_once(order, "2025120222001404111407770001")
    with unchanged():
        # Alipay retries until it reads "success", and later says the trade is finished.
        again = post_alipay(client, alipay_body(alipay_params(order), key=gateway_key))
        assert again.content == b"success"
        finished = alipay_body(alipay_params(order, trade_status="TRADE_FINISHED"), key=gateway_key)
        assert post_alipay(client, finished).content == b"success"


def test_alipay_notifications_that_do_not_check_out_are_refused(
    client, order, alipay_settings, gateway_key, other_key, unchanged
):
    good = alipay_body(alipay_params(order), key=gateway_key)
    refused = [
        good.replace(b"total_amount=223.75", b"total_amount=0.01"),  # the amount changed after signing
        good.replace(b"trade_status=TRADE_SUCCESS", b"trade_status=TRADE_CLOSED"),
        alipay_body(alipay_params(order), key=other_key),
        alipay_body(alipay_params(order, sign_type="RSA"), key=gateway_key),  # the SHA1 kind: not accepted
        alipay_body(alipay_params(order, app_id="2021000000000002"), key=gateway_key),  # another app's
        alipay_body(alipay_params(order, total_amount="100.00"), key=gateway_key),  # another amount
        alipay_body(alipay_params(order, out_trade_no="GJ-none"), key=gateway_key),
        urlencode(alipay_params(order)).encode(),  # not signed
    ]
    with unchanged():
        for body in refused:
            response = post_alipay(client, body)
            assert (response.status_code, response.content) == (200, b"fail"), body
        waiting = alipay_body(alipay_params(order, trade_status="WAIT_BUYER_PAY"), key=gateway_key)
        assert post_alipay(client, waiting).content == b"success"  # acknowledged, nothing recorded
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING


def test_the_alipay_checkout_is_a_url_signed_with_the_app_key(cast, order, settings, alipay_settings, app_key):
    settings.BILLING_GATEWAY = "alipay"
    new_order, checkout = actions.create_payment_order(actor=cast.owner, unit=cast.unit_a, amount="10.00")
    url = urlsplit(checkout.redirect_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://openapi.alipay.com/gateway.do"
    params = dict(parse_qsl(url.query))
    assert params["method"] == "alipay.trade.wap.pay" and params["sign_type"] == "RSA2"
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == new_order.order_number and biz["total_amount"] == "10.00"
    content = alipay.sign_content(params).encode()
    app_key.public_key().verify(base64.b64decode(params["sign"]), content, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        app_key.public_key().verify(
            base64.b64decode(params["sign"]), content.replace(b"10.00", b"1.00"), padding.PKCS1v15(), hashes.SHA256()
        )


def test_the_alipay_sign_content_is_sorted_without_sign_or_empty_values():
    params = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "c": "", "d": "中文"}
    assert alipay.sign_content(params) == "a=1&b=2&d=中文"
    assert AlipayGateway({}).name == "alipay"
