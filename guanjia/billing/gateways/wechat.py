"""WeChat Pay API v3 (微信支付 APIv3): verifying its payment notifications (支付结果通知).

WeChat signs every notification with its platform key (平台证书, or the newer 微信支付公钥):
- headers Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature (base64) and
  Wechatpay-Serial (which of WeChat's keys signed: it must be the one configured);
- the signature is SHA256withRSA (RSASSA-PKCS1-v1_5) over "timestamp\\nnonce\\nbody\\n";
- the body's `resource` is encrypted with AEAD_AES_256_GCM under the merchant's APIv3 key
  (32 bytes): ciphertext (base64, the 16-byte tag at its end), nonce and associated_data;
- the plain resource is the transaction: out_trade_no (our order number), transaction_id,
  trade_state SUCCESS, amount.total in fen, mchid and appid (ours).

A notification older than five minutes is refused as a replay (WeChat signs each delivery
afresh, so its retries are fresh). Configured by settings.WECHATPAY (see config/settings.py):
without the platform key or the APIv3 key every notification is refused.

Opening an order (the Native/JSAPI "下单" call, a signed request from our server to WeChat) is
not built yet: checkout raises GatewayUnavailable."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from guanjia.billing.gateways import keys
from guanjia.billing.gateways.base import (
    CallbackError,
    Checkout,
    ForgedCallback,
    GatewayUnavailable,
    Notification,
    Reply,
    fresh,
    header,
    yuan_from_fen,
)

TIMESTAMP_HEADER = "Wechatpay-Timestamp"
NONCE_HEADER = "Wechatpay-Nonce"
SIGNATURE_HEADER = "Wechatpay-Signature"
SERIAL_HEADER = "Wechatpay-Serial"
ALGORITHM = "AEAD_AES_256_GCM"
PAID = "SUCCESS"


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def decrypt_resource(resource: Mapping[str, Any], apiv3_key: bytes) -> bytes:
    """The plain text of a notification's resource. A resource that does not decrypt under our
    APIv3 key (wrong key, altered ciphertext or associated data) was not made by WeChat for us."""
    if resource.get("algorithm") != ALGORITHM:
        raise CallbackError(f"unknown resource algorithm {resource.get('algorithm')!r}")
    try:
        ciphertext = base64.b64decode(str(resource["ciphertext"]), validate=True)
        nonce = str(resource["nonce"]).encode()
        associated = str(resource.get("associated_data") or "").encode()
        return AESGCM(apiv3_key).decrypt(nonce, ciphertext, associated or None)
    except (KeyError, binascii.Error, ValueError) as error:
        raise CallbackError(f"the resource cannot be read: {error}") from None
    except InvalidTag:
        raise ForgedCallback from None


class WechatPayGateway:
    name = "wechat"

    def __init__(self, config: Mapping[str, str] | None = None):
        self.config = dict(config if config is not None else getattr(settings, "WECHATPAY", {}))

    def setting(self, name: str) -> str:
        return str(self.config.get(name) or "").strip()

    def checkout(self, *, order_number: str, amount: Decimal, subject: str) -> Checkout:
        raise GatewayUnavailable("opening WeChat Pay orders is not built yet; only notifications are verified")

    def verify(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        self.check_signature(headers, body)
        return self.read(body)

    def check_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        """The signature of WeChat's key over the timestamp, nonce and raw body, by the key
        configured (its serial), sent within the last five minutes; else ForgedCallback."""
        platform_key = self.setting("platform_public_key")
        serial = self.setting("platform_serial")
        timestamp, nonce = header(headers, TIMESTAMP_HEADER), header(headers, NONCE_HEADER)
        if not platform_key or not serial or not timestamp or not nonce:
            raise ForgedCallback
        if header(headers, SERIAL_HEADER) != serial:
            raise ForgedCallback  # signed by a key we do not hold, or claims to be
        try:
            signature = base64.b64decode(header(headers, SIGNATURE_HEADER), validate=True)
            keys.public_key(platform_key).verify(
                signature, signed_message(timestamp, nonce, body), padding.PKCS1v15(), hashes.SHA256()
            )
        except (binascii.Error, ValueError, InvalidSignature, GatewayUnavailable):
            raise ForgedCallback from None
        if not fresh(timestamp):
            raise ForgedCallback  # a notification recorded earlier and sent again

    def read(self, body: bytes) -> Notification:
        """The transaction in a notification whose signature has been checked."""
        apiv3_key = self.setting("apiv3_key").encode()
        if len(apiv3_key) != 32:
            raise ForgedCallback  # without our APIv3 key nothing can be read or believed
        try:
            envelope: Any = json.loads(body.decode())
            resource = envelope["resource"]
            if not isinstance(resource, Mapping):
                raise TypeError("resource is not an object")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise CallbackError(str(error)) from None
        plain = decrypt_resource(resource, apiv3_key)
        try:
            transaction: Any = json.loads(plain.decode())
            amount = transaction["amount"]
            if str(transaction["mchid"]) != self.setting("mchid"):
                raise CallbackError("the notification is for another merchant")
            if self.setting("appid") and str(transaction.get("appid", "")) != self.setting("appid"):
                raise CallbackError("the notification is for another app")
            if amount.get("currency", "CNY") != "CNY":
                raise CallbackError("the amount is not in yuan")
            return Notification(
                order_number=str(transaction["out_trade_no"]),
                transaction_id=str(transaction["transaction_id"]).strip(),
                amount=yuan_from_fen(amount["total"]),
                paid=transaction.get("trade_state") == PAID,
            )
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
            raise CallbackError(str(error)) from None

    def reply(self, *, accepted: bool, message: str = "") -> Reply:
        """200 with SUCCESS stops WeChat's retries; a 4xx/5xx with FAIL makes it try again later."""
        body = {"code": "SUCCESS" if accepted else "FAIL", "message": message or ("成功" if accepted else "失败")}
        return Reply(
            status=200 if accepted else 400,
            content_type="application/json",
            body=json.dumps(body, ensure_ascii=False).encode(),
        )
