"""Values as people read them (ux.md "Values"): pure functions that pages, exports and messages
share. Money ¥12,345.67; rates 95.2 %; durations in 分钟/小时/天; times in Asia/Shanghai as
2026-12-01 14:30 (never ISO's T, never UTC); natural order 1, 2, 10."""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

EMPTY = "—"
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def as_decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value: object) -> str:
    """¥12,345.67; a negative amount -¥12.00; shown to the fen, half up (display only: the
    stored amount is already in fen)."""
    amount = as_decimal(value)
    if amount is None:
        return EMPTY
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def price(value: object, unit: str) -> str:
    """A unit price with its unit: 2.50 元/㎡·月 (as many places as it was set with, at least two)."""
    amount = as_decimal(value)
    if amount is None:
        return EMPTY
    places = max(2, -amount.normalize().as_tuple().exponent) if amount != 0 else 2  # type: ignore[operator]
    return f"{amount:,.{places}f} {unit}".strip()


def rate(value: object, places: int = 1) -> str:
    """A fraction (0.952) as 95.2 %."""
    fraction = as_decimal(value)
    if fraction is None:
        return EMPTY
    percent = (fraction * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{percent} %"


def duration(value: datetime.timedelta | int | float | None) -> str:
    """A span in the largest unit that reads well: 45 分钟, 3.5 小时, 2 天 4 小时."""
    if value is None:
        return EMPTY
    seconds = value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)
    sign = "-" if seconds < 0 else ""
    minutes = round(abs(seconds) / 60)
    if minutes < 60:
        text = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    elif minutes < 24 * 60:
        hours = Decimal(minutes) / 60
        shown = hours.quantize(TENTH, rounding=ROUND_HALF_UP).normalize()
        text = _("%(hours)s hours") % {"hours": f"{shown:f}"}
    else:
        days, rest = divmod(minutes, 24 * 60)
        hours_left = round(rest / 60)
        text = ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
        if hours_left:
            text += " " + _("%(hours)s hours") % {"hours": hours_left}
    return sign + text


def when(value: datetime.datetime | datetime.date | None, *, seconds: bool = False) -> str:
    """2026-12-01 14:30 in the estate's time (Asia/Shanghai); a date alone as 2026-12-01."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: object) -> tuple:
    """Sort key that puts 2 before 10 (buildings, units, slots): digits compare as numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(str(text)) if part != ""
    )
