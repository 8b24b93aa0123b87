"""What every online payment gateway adapter provides, and the facts it hands to the app.

An adapter does three things:
- `checkout`: open an order with the gateway and tell the payer where to go (a URL) or what
  to scan (QR text);
- `verify`: read the gateway's notification that an order was paid. The adapter checks the
  signature over the raw request (headers and body) BEFORE reading anything from it, and
  answers only with facts it has verified; a notification that fails the check raises
  ForgedCallback, one that is signed but unreadable raises CallbackError;
- `reply`: the answer the gateway expects (WeChat Pay wants JSON and a status code, Alipay the
  word "success"), so that it stops retrying once the money is on file.

The app (guanjia.billing.actions.online) does the rest the same way for every gateway: the
order's row lock, the amount check, one payment per gateway transaction id."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

# How far a notification's own timestamp may be from our clock: an older one is a replay.
MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Checkout:
    """What the payer is shown: where to go, or what to scan."""

    order_number: str
    amount: Decimal
    redirect_url: str
    qr_text: str


@dataclass(frozen=True)
class Notification:
    """The facts of a verified notification: which order, the gateway's transaction id (the
    payment's reference), the amount paid in yuan, and whether it says the order was paid."""

    order_number: str
    transaction_id: str
    amount: Decimal
    paid: bool


@dataclass(frozen=True)
class Reply:
    """The HTTP answer a gateway expects to a notification."""

    status: int
    content_type: str
    body: bytes


class ForgedCallback(Exception):
    """A notification whose signature (or signer, or timestamp) does not check out: refused,
    nothing recorded."""


class CallbackError(ValueError):
    """A notification that is signed but cannot be read (or is not for this merchant)."""


class GatewayUnavailable(RuntimeError):
    """The gateway is not configured here (no keys), or not allowed (the sandbox in production)."""


class Gateway(Protocol):
    name: str

    def checkout(self, *, order_number: str, amount: Decimal, subject: str) -> Checkout: ...

    def verify(self, *, headers: Mapping[str, str], body: bytes) -> Notification: ...

    def reply(self, *, accepted: bool, message: str = "") -> Reply: ...


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, whatever the case of its name (Django's request.headers ignores case;
    a plain dict from a test or the sandbox does not)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value).strip()
    return ""


def fresh(timestamp: str, now: datetime.datetime | None = None) -> bool:
    """Whether a notification's Unix timestamp is within MAX_CLOCK_SKEW of our clock."""
    try:
        sent = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        return False
    now = now or datetime.datetime.now(tz=datetime.UTC)
    return abs(now - sent) <= MAX_CLOCK_SKEW


def yuan_from_fen(fen: object) -> Decimal:
    """WeChat Pay counts in fen (分), whole numbers; we count in yuan with two places."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise CallbackError("amount is not a whole number of fen")
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def fen_from_yuan(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())
