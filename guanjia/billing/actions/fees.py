"""Fee items and their prices: a standard per house type from a date on, or price tiers for a
metered fee (water)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing import money
from guanjia.billing.actions.checks import NumberInput, parse_decimal, parse_price
from guanjia.billing.models import FeeItem, FeeStandard, WaterTier
from guanjia.core.audit import plain, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.estates.models import Estate, Unit

HOUSE_TYPES = frozenset(Unit.HouseType.values)


@transaction.atomic
def create_fee_item(
    *,
    actor: User | None,
    estate: Estate,
    code: str,
    name: str,
    kind: str,
    cycle: str = FeeItem.Cycle.MONTHLY,
    vacant_rate: NumberInput = money.DEFAULT_VACANT_RATE,
) -> FeeItem:
    problems = Problems()
    if kind not in FeeItem.Kind.values:
        problems.add("kind", _("Choose a kind of fee from the list."))
    if cycle not in FeeItem.Cycle.values:
        problems.add("cycle", _("Choose a billing cycle from the list."))
    if kind == FeeItem.Kind.METERED and cycle != FeeItem.Cycle.MONTHLY:
        problems.add("cycle", _("A metered fee is billed monthly."))
    if not name.strip():
        problems.add("name", _("Enter a name for the fee item."))
    rate = parse_decimal(
        vacant_rate, field="vacant_rate", places=4, message=_("Vacant-unit rate must be a number such as 0.70.")
    )
    if not 0 <= rate <= 1:
        problems.add("vacant_rate", _("Vacant-unit rate must be between 0 and 1 (0.70 is 70%)."))
    problems.raise_if_any(_("Please correct the fee item."))
    try:
        with transaction.atomic():
            item = FeeItem.objects.create(
                estate=estate, code=code, name=name.strip(), kind=kind, cycle=cycle, vacant_rate=rate
            )
    except IntegrityError:
        raise DomainError(_("A fee item with this code already exists in the estate."), field="code") from None
    record_change(
        actor=actor,
        target=item,
        verb="create",
        estate_id=estate.pk,
        changes={"code": [None, code], "kind": [None, kind], "cycle": [None, cycle]},
    )
    return item


@transaction.atomic
def set_fee_standard(
    *,
    actor: User | None,
    fee_item: FeeItem,
    house_type: str,
    unit_price: NumberInput,
    valid_from: datetime.date,
) -> FeeStandard:
    """A new price for a house type from `valid_from` on. The standard in force until then
    is closed the day before; a standard may not start before one already on file."""
    price = parse_price(unit_price)
    if house_type not in HOUSE_TYPES:
        raise DomainError(_("Choose a house type from the list."), field="house_type")
    if fee_item.kind == FeeItem.Kind.METERED:
        raise DomainError(_("A metered fee is priced by tiers, not by a standard."), field="fee_item")
    if not isinstance(valid_from, datetime.date):
        raise DomainError(_("Valid from must be a date such as 2025-07-01."), field="valid_from")
    # Serialize changes to one item's standards: two clerks closing the same open standard
    # would otherwise leave two standards open at once.
    FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    close_open_standard(actor, fee_item, house_type, valid_from)
    standard = FeeStandard.objects.create(
        fee_item=fee_item, house_type=house_type, unit_price=price, valid_from=valid_from, created_by=actor
    )
    record_change(
        actor=actor,
        target=standard,
        verb="create",
        estate_id=fee_item.estate_id,
        changes={
            "house_type": [None, house_type],
            "unit_price": [None, str(price)],
            "valid_from": [None, str(valid_from)],
        },
    )
    return standard


def close_open_standard(actor: User | None, fee_item: FeeItem, house_type: str, valid_from: datetime.date) -> None:
    """Close the house type's standard in force the day before `valid_from`, refusing a date
    that does not come after every standard on file. The item is locked by the caller."""
    standards = FeeStandard.objects.filter(fee_item=fee_item, house_type=house_type)
    if standards.filter(valid_from__gte=valid_from).exists():
        raise DomainError(_("A standard starting on or after this date is already on file."), field="valid_from")
    if standards.filter(valid_to__gte=valid_from).exists():
        raise DomainError(_("This date falls inside an earlier standard's range."), field="valid_from")
    previous = standards.filter(valid_to__isnull=True).first()
    if previous is None:
        return
    previous.valid_to = valid_from - datetime.timedelta(days=1)
    previous.save(update_fields=["valid_to"])
    record_change(
        actor=actor,
        target=previous,
        verb="close",
        estate_id=fee_item.estate_id,
        changes={"valid_to": [None, plain(previous.valid_to)]},
    )


@transaction.atomic
def set_water_tiers(
    *, actor: User | None, fee_item: FeeItem, tiers: Iterable[tuple[NumberInput | None, NumberInput]]
) -> list[WaterTier]:
    """Replace a metered item's price tiers. `tiers` is (upper bound in m³ or None, price)
    pairs; exactly one, the last, has no upper bound. Bills already issued keep their
    own tier breakdown in `basis`, so replacing the tiers never changes a bill."""
    if fee_item.kind != FeeItem.Kind.METERED:
        raise DomainError(_("Only a metered fee has price tiers."), field="fee_item")
    parsed = parse_tiers(tiers)
    FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    old = [[plain(t.upper_bound), plain(t.price)] for t in fee_item.tiers.order_by("upper_bound")]
    WaterTier.objects.filter(fee_item=fee_item).delete()
    created = WaterTier.objects.bulk_create(
        WaterTier(fee_item=fee_item, upper_bound=bound, price=price) for bound, price in parsed
    )
    record_change(
        actor=actor,
        target=fee_item,
        verb="set_tiers",
        estate_id=fee_item.estate_id,
        changes={"tiers": [old, [[plain(b), plain(p)] for b, p in parsed]]},
    )
    return created


def parse_tiers(tiers: Iterable[tuple[NumberInput | None, NumberInput]]) -> list[tuple[Decimal | None, Decimal]]:
    """The tiers as (upper bound or None, price), checked: bounds rise, only the last is open."""
    parsed: list[tuple[Decimal | None, Decimal]] = []
    for upper, price in tiers:
        bound = None
        if upper is not None and str(upper).strip() != "":
            bound = parse_decimal(
                upper, field="upper_bound", places=2, message=_("Upper bound must be a number of m³.")
            )
            if bound <= 0:
                raise DomainError(_("Upper bound must be greater than zero."), field="upper_bound")
        parsed.append((bound, parse_price(price, field="price")))
    bounds = [bound for bound, _price in parsed]
    if not parsed or bounds[-1] is not None or None in bounds[:-1]:
        raise DomainError(_("The last tier, and only the last, has no upper bound."), field="upper_bound")
    finite = [bound for bound in bounds if bound is not None]
    if finite != sorted(set(finite)):
        raise DomainError(_("Upper bounds must rise from one tier to the next."), field="upper_bound")
    return parsed
