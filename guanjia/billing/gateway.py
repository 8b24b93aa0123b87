"""Online payment (线上支付): the gateway interface and its signed-callback test double.

A gateway is asked to open an order (an amount for a unit, possibly for chosen bills) and
answers with what the payer needs: a URL to redirect to and the text of a QR code. When the
payer has paid, the gateway calls us back with a body signed by HMAC-SHA256 under a secret
shared with it. Only a body whose signature checks out is believed; the callback's own
transaction id is the payment's `reference`, unique per estate, so a repeated callback finds
the payment on file and records nothing twice.

The secret comes from `settings.BILLING_GATEWAY_SECRET`: GUANJIA_GATEWAY_SECRET, or outside
production the random one the first run makes into var/secrets.json (config/local_secrets.py).
There is no fixed default anywhere, so nobody who has read the source can sign a callback;
production refuses to start without the secret, and without one every callback is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings

SIGNATURE_HEADER = "X-Gateway-Signature"
SUCCESS = "SUCCESS"


def gateway_secret(estate_id: int | None = None) -> bytes:
    """The shared secret for callbacks of an estate's orders. One per deployment today; a
    per-estate merchant account would derive or store its own here."""
    return str(getattr(settings, "BILLING_GATEWAY_SECRET", "")).encode()


def sign(body: bytes, secret: bytes | None = None) -> str:
    """Hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret or gateway_secret(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, signature: str, secret: bytes | None = None) -> bool:
    """Constant-time comparison, so the answer's timing tells a forger nothing."""
    if not signature or not (secret or gateway_secret()):
        return False  # no secret configured: nothing can be believed
    return hmac.compare_digest(sign(body, secret), signature.strip().lower())


@dataclass(frozen=True)
class Checkout:
    """What the payer is shown: where to go, or what to scan."""

    order_number: str
    amount: Decimal
    redirect_url: str
    qr_text: str


@dataclass(frozen=True)
class CallbackData:
    """The facts of a callback, once its signature has been checked."""

    order_number: str
    transaction_id: str
    amount: Decimal
    status: str


class Gateway(Protocol):
    def checkout(self, *, order_number: str, amount: Decimal, subject: str) -> Checkout: ...

    def parse_callback(self, body: bytes) -> CallbackData: ...


class CallbackError(ValueError):
    """A callback body that is signed but cannot be read."""


class TestGateway:
    """A stand-in for a real gateway (WeChat Pay, Alipay, a bank's aggregator): it makes the
    checkout data a real one would, and `callback` produces the signed body a real one would
    send, so the whole path through the callback endpoint can be exercised in tests."""

    __test__ = False  # not a pytest class
    base_url = "https://pay.example.test/checkout/"

    def checkout(self, *, order_number: str, amount: Decimal, subject: str) -> Checkout:
        url = f"{self.base_url}{order_number}?amount={amount}"
        return Checkout(order_number=order_number, amount=amount, redirect_url=url, qr_text=url)

    def callback(
        self, *, order_number: str, transaction_id: str, amount: Decimal | str, status: str = SUCCESS
    ) -> tuple[bytes, str]:
        """(body, signature) of the notification that the order was paid."""
        body = json.dumps(
            {"order_number": order_number, "transaction_id": transaction_id, "amount": str(amount), "status": status},
            separators=(",", ":"),
        ).encode()
        return body, sign(body)

    def parse_callback(self, body: bytes) -> CallbackData:
        try:
            data: Any = json.loads(body.decode())
            return CallbackData(
                order_number=str(data["order_number"]),
                transaction_id=str(data["transaction_id"]).strip(),
                amount=Decimal(str(data["amount"])),
                status=str(data.get("status", SUCCESS)),
            )
        except (ValueError, KeyError, TypeError, ArithmeticError, UnicodeDecodeError) as error:
            raise CallbackError(str(error)) from None


def current_gateway() -> TestGateway:
    """The gateway in use. Only the test double exists so far; a real adapter implements the
    same two methods and is chosen here from settings."""
    return TestGateway()
