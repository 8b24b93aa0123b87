"""Alipay (支付宝): the signed checkout URL and verifying its asynchronous notifications (异步通知).

Both directions use RSA2, i.e. SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256), base64:
- the string signed is every parameter except `sign` and `sign_type`, with an empty value
  left out, sorted by name, written `key=value` (values as sent, URL-decoded) and joined by `&`;
- we sign our requests with the app's private key (应用私钥); Alipay signs its notifications
  with its key, checked with the Alipay public key (支付宝公钥) configured for the app.

A notification is a form POST: out_trade_no (our order number), trade_no (Alipay's
transaction), total_amount in yuan, trade_status (TRADE_SUCCESS or TRADE_FINISHED when paid)
and app_id, which must be ours. Alipay retries a notification for a day until it is answered
"success", so an old notification is not refused as such: the trade number makes a repeat
record nothing. Configured by settings.ALIPAY (see config/settings.py)."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

from guanjia.billing.gateways import keys
from guanjia.billing.gateways.base import (
    CallbackError,
    Checkout,
    ForgedCallback,
    GatewayUnavailable,
    Notification,
    Reply,
)

DEFAULT_GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
PAID_STATES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
SIGN_TYPE = "RSA2"
BEIJING = ZoneInfo("Asia/Shanghai")


def sign_content(params: Mapping[str, str]) -> str:
    """The string Alipay signs and checks: sorted key=value pairs, sign and sign_type left out."""
    return "&".join(
        f"{key}={value}" for key, value in sorted(params.items()) if key not in ("sign", "sign_type") and value != ""
    )


class AlipayGateway:
    name = "alipay"

    def __init__(self, config: Mapping[str, str] | None = None):
        self.config = dict(config if config is not None else getattr(settings, "ALIPAY", {}))

    def setting(self, name: str) -> str:
        return str(self.config.get(name) or "").strip()

    def checkout(self, *, order_number: str, amount: Decimal, subject: str) -> Checkout:
        """The phone-site payment (alipay.trade.wap.pay): a URL to Alipay carrying the order,
        signed with the app's private key. Nothing is sent from our server."""
        private = self.setting("app_private_key")
        if not self.setting("app_id") or not private:
            raise GatewayUnavailable("Alipay is not configured (app_id, app_private_key)")
        params = {
            "app_id": self.setting("app_id"),
            "method": "alipay.trade.wap.pay",
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": SIGN_TYPE,
            "timestamp": datetime.datetime.now(tz=BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "notify_url": self.setting("notify_url"),
            "return_url": self.setting("return_url"),
            "biz_content": json.dumps(
                {
                    "out_trade_no": order_number,
                    "total_amount": f"{amount:.2f}",
                    "subject": subject,
                    "product_code": "QUICK_WAP_WAY",
                },
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        }
        params = {key: value for key, value in params.items() if value}
        signature = keys.private_key(private).sign(sign_content(params).encode(), padding.PKCS1v15(), hashes.SHA256())
        params["sign"] = base64.b64encode(signature).decode()
        url = f"{self.setting('gateway_url') or DEFAULT_GATEWAY_URL}?{urlencode(params)}"
        return Checkout(order_number=order_number, amount=amount, redirect_url=url, qr_text=url)

    def verify(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        params = self.parameters(body)
        self.check_signature(params)
        return self.read(params)

    def parameters(self, body: bytes) -> dict[str, str]:
        """The form's fields, decoded in the charset the notification names (utf-8 by default)."""
        # Latin-1 maps each percent-decoded byte to one character, so the bytes survive until
        # the charset is known.
        text = body.decode("latin-1")
        raw = dict(parse_qsl(text, keep_blank_values=True, encoding="latin-1"))
        charset = raw.get("charset") or "utf-8"
        try:
            return {key: value.encode("latin-1").decode(charset) for key, value in raw.items()}
        except (LookupError, UnicodeDecodeError, UnicodeEncodeError) as error:
            raise CallbackError(str(error)) from None

    def check_signature(self, params: Mapping[str, str]) -> None:
        public = self.setting("alipay_public_key")
        if not public or params.get("sign_type", SIGN_TYPE) != SIGN_TYPE:
            raise ForgedCallback  # unconfigured, or the weaker RSA (SHA1) we do not accept
        try:
            signature = base64.b64decode(params.get("sign", ""), validate=True)
            charset = params.get("charset") or "utf-8"
            keys.public_key(public).verify(
                signature, sign_content(params).encode(charset), padding.PKCS1v15(), hashes.SHA256()
            )
        except (binascii.Error, ValueError, LookupError, InvalidSignature, GatewayUnavailable):
            raise ForgedCallback from None

    def read(self, params: Mapping[str, str]) -> Notification:
        if params.get("app_id") != self.setting("app_id"):
            raise CallbackError("the notification is for another app")
        try:
            amount = Decimal(params["total_amount"])
            return Notification(
                order_number=params["out_trade_no"],
                transaction_id=params["trade_no"].strip(),
                amount=amount,
                paid=params.get("trade_status") in PAID_STATES,
            )
        except (KeyError, InvalidOperation) as error:
            raise CallbackError(f"the notification lacks {error}") from None

    def reply(self, *, accepted: bool, message: str = "") -> Reply:
        """Alipay stops retrying when it reads the word "success" and nothing else."""
        return Reply(status=200, content_type="text/plain", body=b"success" if accepted else b"fail")
