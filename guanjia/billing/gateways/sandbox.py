"""The sandbox gateway (模拟支付): served by the app itself, for the demo and the tests.

Its checkout sends the payer to our own page (billing:sandbox_pay) showing the order with
"pay" and "cancel". "Pay" makes the notification a real gateway would send — signed the way
WeChat Pay v3 signs, with HMAC-SHA256 under the deployment's gateway secret instead of an RSA
key — and hands it to the same handler as the callback endpoint. So the demo exercises the
whole path (signature, order lock, amount check, one payment per transaction, receipt) and
never sends a payer to a host that does not exist.

Refused in production (GatewayUnavailable): there, its "pay" button would mark bills paid
without any money."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse

from guanjia.billing.gateways.base import (
    CallbackError,
    Checkout,
    ForgedCallback,
    Notification,
    Reply,
    fresh,
    header,
)

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
NONCE_HEADER = "X-Sandbox-Nonce"
SIGNATURE_HEADER = "X-Sandbox-Signature"
SUCCESS = "SUCCESS"
CANCELLED = "CANCELLED"


def secret() -> bytes:
    """The deployment's gateway secret (GUANJIA_GATEWAY_SECRET, or the random one of the
    first run outside production): never a fixed string, so nobody who read the source can
    sign a notification. Empty means nothing can be believed."""
    return str(getattr(settings, "BILLING_GATEWAY_SECRET", "")).encode()


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What is signed: the same layout as WeChat Pay v3 ("timestamp\\nnonce\\nbody\\n")."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def sign(timestamp: str, nonce: str, body: bytes, key: bytes | None = None) -> str:
    """Hex HMAC-SHA256 of the signed message."""
    return hmac.new(
        secret() if key is None else key, signed_message(timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


class SandboxGateway:
    name = "sandbox"

    def checkout(self, *, order_number: str, amount: Decimal, subject: str) -> Checkout:
        url = reverse("billing:sandbox_pay", kwargs={"order_number": order_number})
        site = str(getattr(settings, "SITE_URL", "")).rstrip("/")
        return Checkout(order_number=order_number, amount=amount, redirect_url=url, qr_text=f"{site}{url}")

    def notification(
        self,
        *,
        order_number: str,
        transaction_id: str,
        amount: Decimal | str,
        status: str = SUCCESS,
        timestamp: int | None = None,
        key: bytes | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """(headers, body) of the notification the sandbox sends when the payer presses "pay"."""
        body = json.dumps(
            {"order_number": order_number, "transaction_id": transaction_id, "amount": str(amount), "status": status},
            separators=(",", ":"),
        ).encode()
        sent_at = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16)
        headers = {
            TIMESTAMP_HEADER: sent_at,
            NONCE_HEADER: nonce,
            SIGNATURE_HEADER: sign(sent_at, nonce, body, key),
        }
        return headers, body

    def verify(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        timestamp = header(headers, TIMESTAMP_HEADER)
        nonce = header(headers, NONCE_HEADER)
        signature = header(headers, SIGNATURE_HEADER).lower()
        if not secret() or not signature or not nonce:
            raise ForgedCallback
        # Constant-time comparison, so the answer's timing tells a forger nothing.
        if not hmac.compare_digest(sign(timestamp, nonce, body), signature):
            raise ForgedCallback
        if not fresh(timestamp):
            raise ForgedCallback  # a notification recorded earlier and sent again
        try:
            data: Any = json.loads(body.decode())
            return Notification(
                order_number=str(data["order_number"]),
                transaction_id=str(data["transaction_id"]).strip(),
                amount=Decimal(str(data["amount"])),
                paid=data.get("status") == SUCCESS,
            )
        except (ValueError, KeyError, TypeError, ArithmeticError, UnicodeDecodeError) as error:
            raise CallbackError(str(error)) from None

    def reply(self, *, accepted: bool, message: str = "") -> Reply:
        body = json.dumps({"code": SUCCESS if accepted else "FAIL", "message": message}, ensure_ascii=False)
        return Reply(status=200 if accepted else 400, content_type="application/json", body=body.encode())
