"""Checks of the input that billing's actions share: numbers of yuan, prices, the first day of
a month, a reason, a choice from a list. Each refuses with a DomainError naming the field, so
that a page shows it under its input and the API names it."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from guanjia.core.errors import DomainError, Problems

# Amounts and prices arrive as text from pages and the API, as Decimal from the code itself.
NumberInput = Decimal | int | str
MAX_PRICE = Decimal("100000000")


def parse_decimal(value: object, *, field: str, places: int, message: str) -> Decimal:
    """A finite Decimal with at most `places` decimal places, or DomainError naming `field`."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(message, field=field) from None
    if not number.is_finite():
        raise DomainError(message, field=field)
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        raise DomainError(_("Use at most %(places)d decimal places.") % {"places": places}, field=field)
    return number.quantize(quantum)


def parse_price(value: object, *, field: str = "unit_price") -> Decimal:
    price = parse_decimal(value, field=field, places=4, message=_("Price must be a number of yuan, e.g. 2.35."))
    if price <= 0:
        raise DomainError(_("Price must be greater than zero."), field=field)
    if price >= MAX_PRICE:
        raise DomainError(_("Price is too large."), field=field)
    return price


def check_period_start(period_start: object, *, field: str = "period_start") -> datetime.date:
    if not isinstance(period_start, datetime.date) or isinstance(period_start, datetime.datetime):
        raise DomainError(_("Period must be a date such as 2025-07-01."), field=field)
    if period_start.day != 1:
        raise DomainError(_("A billing period starts on the first day of a month."), field=field)
    return period_start


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the reversal."), field="reason")
    return reason[:300]


def check_choice(value: str, choices: list[str], *, field: str, message: str) -> str:
    if value not in choices:
        raise DomainError(message, field=field)
    return value


def refuse_problems(problems: Problems) -> None:
    """Refuse with the first problem as the message (and how many more), all of them listed."""
    if problems:
        first = problems.items[0]
        summary = first.message
        if len(problems.items) > 1:
            summary = _("%(first)s (and %(more)d more problems)") % {
                "first": first.message,
                "more": len(problems.items) - 1,
            }
        raise DomainError(summary, field=first.field, problems=list(problems.items))
