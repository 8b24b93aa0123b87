"""The arithmetic of a bill line: pure functions, no database.

Money is yuan as `Decimal` with two places (fen). Inside a line every step is exact
(`fractions.Fraction`: a 17/30 share of a month stays 17/30), and the line is rounded to
the fen exactly once, half up (四舍五入), after the whole line is computed. Rounding each
factor on the way would make the same unit's fee differ by a fen depending on the order of
multiplication; rounding once makes it a function of the inputs alone.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation
from fractions import Fraction
from typing import Any

FEN = Decimal("0.01")
FULL_RATE = Decimal("1")
DEFAULT_VACANT_RATE = Decimal("0.70")
CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
VACANT_STATUSES = frozenset({"vacant", "entrusted_vacant"})
UNDELIVERED = "undelivered"


EXACT = Context(prec=100, rounding=ROUND_HALF_UP, traps=[Inexact, InvalidOperation])
# Rounding itself is inexact by nature: only invalid operations trap here.
EXACT_ROUNDING = Context(prec=100, rounding=ROUND_HALF_UP, traps=[InvalidOperation])


def round_half_up(value: Decimal | Fraction, places: int) -> Decimal:
    """Round an exact value to `places` decimal places, half up (四舍五入).

    Half up means away from zero, for a negative value too (-12.345 → -12.35)."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=EXACT_ROUNDING)
    scaled = abs(value) * 10**places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-places)


def exact_product(*factors: Decimal | Fraction) -> Decimal | Fraction:
    """Multiply without any rounding. Decimals multiply exactly given enough digits (the
    context traps any inexact step); a share of a month such as 17/30 has no finite
    decimal form, so then the product is a Fraction. The Decimal path is only faster."""
    decimals = [factor for factor in factors if isinstance(factor, Decimal)]
    if len(decimals) == len(factors):
        result = Decimal(1)
        for decimal_factor in decimals:
            result = EXACT.multiply(result, decimal_factor)
        return result
    exact = Fraction(1)
    for factor in factors:
        exact *= Fraction(factor)
    return exact


def round_to_fen(amount: Decimal | Fraction) -> Decimal:
    """Round to the fen, half up: 12.345 → 12.35, 12.3449 → 12.34, 111.875 → 111.88."""
    return round_half_up(amount, 2)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def is_cycle_start(period_start: datetime.date, cycle: str) -> bool:
    """Quarterly items are billed in January, April, July and October; yearly items in
    January; monthly items every month. Cycles follow the calendar."""
    months = CYCLE_MONTHS[cycle]
    return period_start.day == 1 and (period_start.month - 1) % months == 0


def cycle_period(period_start: datetime.date, cycle: str) -> tuple[datetime.date, datetime.date] | None:
    """The period an item bills when the run is for `period_start`: (first day, last day),
    or None when the item's cycle does not start in that month.

    Billing is in advance: a quarterly item run in April bills 1 April – 30 June."""
    if not is_cycle_start(period_start, cycle):
        return None
    end = add_months(period_start, CYCLE_MONTHS[cycle]) - datetime.timedelta(days=1)
    return period_start, end


@dataclass(frozen=True)
class BilledTime:
    """How much of a period a unit is billed for: `months` is exact (e.g. 15/30 of a month),
    `days` lists (billed days, days in month) for each month that was prorated."""

    months: Fraction
    prorated: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def is_zero(self) -> bool:
        return self.months == 0


def billed_time(start: datetime.date, end: datetime.date, delivery_date: datetime.date | None) -> BilledTime:
    """The months of [start, end] that fall on or after the delivery date.

    A unit delivered before the period (or with no delivery date on file) is billed every
    month in full. In the month of delivery the unit pays by actual days: the delivery day
    itself is a billed day, and the denominator is the number of days in that month. So a
    unit delivered on 16 June pays 15/30 of June (16th to 30th). Months wholly before the
    delivery are not billed to the owner."""
    months = Fraction(0)
    prorated: list[tuple[str, int, int]] = []
    month = month_start(start)
    while month <= end:
        last = month_end(month)
        days_in_month = last.day
        if delivery_date is None or delivery_date <= month:
            months += 1
        elif delivery_date <= last:
            days = days_in_month - delivery_date.day + 1
            months += Fraction(days, days_in_month)
            prorated.append((month.strftime("%Y-%m"), days, days_in_month))
        month = add_months(month, 1)
    return BilledTime(months=months, prorated=prorated)


def time_before_delivery(start: datetime.date, end: datetime.date, delivery_date: datetime.date | None) -> BilledTime:
    """The months of [start, end] before the delivery date: the developer's share (开发商承担).

    The complement of `billed_time` within each month: a unit delivered on 16 June leaves
    15/30 of June (1st to 15th) to the developer, and the owner's 15/30 (16th to 30th) plus
    these make the whole month. Months wholly before the delivery month are the developer's
    in full. No delivery date on file: nothing (the unit counts as delivered)."""
    months = Fraction(0)
    prorated: list[tuple[str, int, int]] = []
    if delivery_date is None:
        return BilledTime(months=months)
    month = month_start(start)
    while month <= end:
        last = month_end(month)
        if delivery_date > last:
            months += 1
        elif delivery_date > month:
            days = delivery_date.day - 1
            months += Fraction(days, last.day)
            prorated.append((month.strftime("%Y-%m"), days, last.day))
        month = add_months(month, 1)
    return BilledTime(months=months, prorated=prorated)


@dataclass(frozen=True)
class Line:
    """A computed bill line: the rounded amount, who pays, and what it was computed from."""

    amount: Decimal
    payer: str
    basis: dict[str, Any]


def payer_and_rate(*, status: str, vacant_rate: Decimal, area_based: bool) -> tuple[str, Decimal, str]:
    """Who pays and at what share, from the unit's status.

    - An undelivered unit (未交付) is billed to the developer, at the full rate, for the whole
      period: the owner has not yet received it.
    - A vacant or entrusted-vacant unit pays `vacant_rate` of the property fee (空置房, 70 % by
      default, set per fee item). Other fees are not reduced for vacancy.
    - Every other unit pays the full rate."""
    if status == UNDELIVERED:
        return "developer", FULL_RATE, "undelivered"
    if area_based and status in VACANT_STATUSES:
        return "owner", vacant_rate, "vacant"
    return "owner", FULL_RATE, "full"


def periodic_line(
    *,
    kind: str,
    unit_price: Decimal,
    area: Decimal | None,
    start: datetime.date,
    end: datetime.date,
    status: str,
    delivery_date: datetime.date | None,
    vacant_rate: Decimal = DEFAULT_VACANT_RATE,
) -> Line | None:
    """A property fee or a fixed monthly fee for one unit and one period.

    Property fee (物业服务费) = unit price (¥/m²/month) × building area × billed months × rate.
    Fixed monthly fee = unit price (¥/month) × billed months × rate.
    Billed months come from `billed_time` (proration by actual days from the delivery date),
    except that an undelivered unit's developer pays the whole period. Rounded once to the fen.
    Returns None when nothing is billed (the unit is delivered after the period)."""
    area_based = kind == "property_fee"
    if area_based and (area is None or area <= 0):
        raise ValueError("area")
    payer, rate, rule = payer_and_rate(status=status, vacant_rate=vacant_rate, area_based=area_based)
    # The developer pays for the whole period of a unit not yet handed over.
    time = billed_time(start, end, None if payer == "developer" else delivery_date)
    if time.is_zero:
        return None
    months: Decimal | Fraction = Decimal(time.months.numerator) if time.months.denominator == 1 else time.months
    factors: list[Decimal | Fraction] = [unit_price, months, rate]
    if area_based and area is not None:
        factors.append(area)
    exact = exact_product(*factors)
    basis: dict[str, Any] = {
        "rule": rule,
        "unit_price": str(unit_price),
        "months": str(time.months),
        "rate": str(rate),
    }
    if area_based:
        basis["area"] = str(area)
    if time.prorated:
        basis["days"] = [{"month": m, "days": d, "of": n} for m, d, n in time.prorated]
    return Line(amount=round_to_fen(exact), payer=payer, basis=basis)


@dataclass(frozen=True)
class Tier:
    upper_bound: Decimal | None
    price: Decimal


def tiered_line(*, consumption: Decimal, tiers: list[Tier], status: str) -> Line:
    """A metered fee (water) for one month from the month's consumption.

    Consumption is split across the tiers in order of their upper bound: with tiers
    ≤ 22 m³ at 3.45, ≤ 30 m³ at 4.83 and above at 5.83, 35 m³ costs
    22 × 3.45 + 8 × 4.83 + 5 × 5.83. Bounds are cumulative monthly totals, not widths.
    The sum is rounded once to the fen. An undelivered unit's water is billed to the
    developer; vacancy does not reduce a metered fee (the water was used)."""
    if consumption < 0:
        raise ValueError("consumption")
    ordered = sorted(tiers, key=lambda tier: (tier.upper_bound is None, tier.upper_bound or 0))
    if not ordered or ordered[-1].upper_bound is not None:
        raise ValueError("tiers")
    payer = "developer" if status == UNDELIVERED else "owner"
    # Consumption, bounds and prices are finite decimals, so every width and product is an
    # exact Decimal (the EXACT context traps any inexact step); rounding happens once below.
    remaining = consumption
    lower = Decimal(0)
    exact = Decimal(0)
    steps = []
    for tier in ordered:
        upper = tier.upper_bound
        width = remaining if upper is None else min(remaining, max(EXACT.subtract(upper, lower), Decimal(0)))
        if width > 0:
            exact = EXACT.add(exact, EXACT.multiply(width, tier.price))
            # Consumption has two places and bounds have two places, so a width is exact.
            steps.append({"quantity": str(round_half_up(width, 2)), "price": str(tier.price)})
            remaining = EXACT.subtract(remaining, width)
        if upper is not None:
            lower = max(lower, upper)
        if remaining == 0:
            break
    basis = {"rule": "tiered", "consumption": str(consumption), "tiers": steps}
    return Line(amount=round_to_fen(exact), payer=payer, basis=basis)


def collection_rate(received: Decimal, receivable: Decimal) -> Decimal | None:
    """当期收缴率 = received for the period's bills ÷ the period's receivable, as a fraction
    rounded half up to four places (0.9235 is 92.35 %); None when nothing is receivable."""
    if receivable == 0:
        return None
    return round_half_up(Fraction(received) / Fraction(receivable), 4)


def periodic_lines(
    *,
    kind: str,
    unit_price: Decimal,
    area: Decimal | None,
    start: datetime.date,
    end: datetime.date,
    status: str,
    delivery_date: datetime.date | None,
    vacant_rate: Decimal = DEFAULT_VACANT_RATE,
) -> list[Line]:
    """Every line a periodic fee makes for one unit and one period: the owner's line of
    `periodic_line` and, for a unit delivered during or after the period, the developer's
    line for the days before delivery (decision 0004). The developer pays those days at the
    full rate (the unit is not yet anyone's home, so no vacancy rate), rounded once to the
    fen like any line. An undelivered unit has its one developer line from `periodic_line`."""
    lines: list[Line] = []
    owner = periodic_line(
        kind=kind,
        unit_price=unit_price,
        area=area,
        start=start,
        end=end,
        status=status,
        delivery_date=delivery_date,
        vacant_rate=vacant_rate,
    )
    if owner is not None:
        lines.append(owner)
    if status == UNDELIVERED:
        return lines
    time = time_before_delivery(start, end, delivery_date)
    if time.is_zero:
        return lines
    area_based = kind == "property_fee"
    months: Decimal | Fraction = Decimal(time.months.numerator) if time.months.denominator == 1 else time.months
    factors: list[Decimal | Fraction] = [unit_price, months]
    basis: dict[str, Any] = {
        "rule": "before_delivery",
        "unit_price": str(unit_price),
        "months": str(time.months),
        "rate": str(FULL_RATE),
    }
    if area_based and area is not None:
        factors.append(area)
        basis["area"] = str(area)
    if time.prorated:
        basis["days"] = [{"month": m, "days": d, "of": n} for m, d, n in time.prorated]
    lines.append(Line(amount=round_to_fen(exact_product(*factors)), payer="developer", basis=basis))
    return lines
