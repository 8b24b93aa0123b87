"""Every write to the estate registry. `actor` None is the system (the demo loader)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.roles import Post
from guanjia.core.scope import forget_scope, scope_of
from guanjia.estates.models import Building, Company, Estate, Unit, Zone

UNIT_FIELDS = ("floor", "area", "house_type", "status", "delivery_date", "zone", "note")
# Built once: Choices.values makes a new list on every call, and imports check 100,000 rows.
HOUSE_TYPES = frozenset(Unit.HouseType.values)
UNIT_STATUSES = frozenset(Unit.Status.values)


def parse_area(value: Any) -> Decimal:
    """A building area in m², two places. Raises DomainError naming the field."""
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Building area must be a number of square metres, e.g. 89.50."), field="area") from None
    if not area.is_finite() or area <= 0:
        raise DomainError(_("Building area must be greater than zero."), field="area")
    if area != area.quantize(Decimal("0.01")):
        raise DomainError(_("Building area has at most two decimal places."), field="area")
    if area >= Decimal("10000000"):
        raise DomainError(_("Building area is too large."), field="area")
    return area.quantize(Decimal("0.01"))


def check_unit_values(values: dict[str, Any], estate: Estate | None) -> Problems:
    """The unit's own rules; the zone is checked against `estate` (None: the caller checked it)."""
    problems = Problems()
    if values.get("house_type") not in HOUSE_TYPES:
        problems.add("house_type", _("Choose a house type from the list."))
    if values.get("status") not in UNIT_STATUSES:
        problems.add("status", _("Choose a status from the list."))
    zone = values.get("zone")
    if zone is not None and estate is not None and zone.estate_id != estate.pk:
        problems.add("zone", _("The zone belongs to another estate."))
    delivery = values.get("delivery_date")
    if delivery is not None and not isinstance(delivery, datetime.date):
        problems.add("delivery_date", _("Delivery date must be a date such as 2024-06-30."))
    floor = values.get("floor")
    if not isinstance(floor, int) or not -10 <= floor <= 200:
        problems.add("floor", _("Floor must be a whole number between -10 and 200."))
    return problems


@transaction.atomic
def create_company(*, actor: AbstractBaseUser | None, name: str, code: str) -> Company:
    company = Company.objects.create(name=name, code=code)
    record_change(actor=actor, target=company, verb="create", changes={"name": [None, name]})
    return company


@transaction.atomic
def create_estate(
    *, actor: AbstractBaseUser | None, company: Company, name: str, code: str, kind: str, address: str = ""
) -> Estate:
    if Estate.objects.filter(code=code).exists():
        raise DomainError(_("An estate with this code already exists."), field="code")
    estate = Estate.objects.create(company=company, name=name, code=code, kind=kind, address=address)
    record_change(actor=actor, target=estate, verb="create", estate_id=estate.pk, changes={"name": [None, name]})
    return estate


@transaction.atomic
def create_zone(
    *, actor: AbstractBaseUser | None, estate: Estate, code: str, name: str, butler: AbstractBaseUser | None = None
) -> Zone:
    butler_id = butler.pk if butler is not None else None
    try:
        with transaction.atomic():
            zone = Zone.objects.create(estate=estate, code=code, name=name, butler_id=butler_id)
    except IntegrityError:
        raise DomainError(_("A zone with this code already exists in the estate."), field="code") from None
    record_change(
        actor=actor,
        target=zone,
        verb="create",
        estate_id=estate.pk,
        changes={"name": [None, name], "butler": [None, butler_id]},
    )
    return zone


@transaction.atomic
def assign_zone_butler(*, actor: AbstractBaseUser, zone: Zone, butler: AbstractBaseUser | None) -> Zone:
    """Put `butler` in charge of the zone (None: nobody). Only a butler posted to the zone's
    estate now may be."""
    if butler is not None and Post.BUTLER not in scope_of(butler).posts.get(zone.estate_id, set()):
        raise DomainError(_("Only a butler posted to this estate can look after one of its zones."), field="butler")
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    changes = apply_changes(zone, {"butler": butler})
    if changes:
        zone.save(update_fields=["butler"])
        record_change(actor=actor, target=zone, verb="assign_butler", estate_id=zone.estate_id, changes=changes)
        if butler is not None:
            forget_scope(butler)  # their zones have changed
    return zone


@transaction.atomic
def create_building(
    *, actor: AbstractBaseUser | None, estate: Estate, code: str, name: str = "", floors: int | None = None
) -> Building:
    code = code.strip()
    if not code:
        raise DomainError(_("Enter the building number."), field="building")
    try:
        with transaction.atomic():
            building = Building.objects.create(estate=estate, code=code, name=name, floors=floors)
    except IntegrityError:
        raise DomainError(_("Building %(code)s already exists.") % {"code": code}, field="building") from None
    record_change(actor=actor, target=building, verb="create", estate_id=estate.pk, changes={"code": [None, code]})
    return building


@transaction.atomic
def create_unit(
    *, actor: AbstractBaseUser | None, building: Building, number: str, entrance: str = "", **values: Any
) -> Unit:
    estate = building.estate
    number, entrance = number.strip(), entrance.strip()
    if not number:
        raise DomainError(_("Enter the room number."), field="number")
    values["area"] = parse_area(values.get("area"))
    values.setdefault("status", Unit.Status.UNDELIVERED)
    values.setdefault("note", "")
    problems = check_unit_values(values, estate)
    problems.raise_if_any(_("Please correct the unit's details."))
    code = Unit.make_code(building.code, entrance, number)
    if Unit.objects.filter(estate=estate, code=code).exists():
        raise DomainError(_("Unit %(code)s already exists in this estate.") % {"code": code}, field="number")
    try:
        with transaction.atomic():
            unit = Unit.objects.create(
                estate=estate,
                building=building,
                entrance=entrance,
                number=number,
                code=code,
                **{k: values.get(k) for k in UNIT_FIELDS},
            )
    except IntegrityError:
        raise DomainError(_("Unit %(code)s already exists in this estate.") % {"code": code}, field="number") from None
    record_change(
        actor=actor,
        target=unit,
        verb="create",
        estate_id=estate.pk,
        changes={"code": [None, code], "area": [None, str(unit.area)]},
    )
    return unit


@transaction.atomic
def update_unit(*, actor: AbstractBaseUser, unit: Unit, **values: Any) -> Unit:
    unknown = set(values) - set(UNIT_FIELDS)
    if unknown:
        raise DomainError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    unit = Unit.objects.select_for_update().select_related("estate").get(pk=unit.pk)
    if "area" in values:
        values["area"] = parse_area(values["area"])
    merged = {name: getattr(unit, name) for name in UNIT_FIELDS} | values
    check_unit_values(merged, unit.estate).raise_if_any(_("Please correct the unit's details."))
    changes = apply_changes(unit, values)
    if changes:
        unit.save(update_fields=list(changes))
        record_change(actor=actor, target=unit, verb="update", estate_id=unit.estate_id, changes=changes)
    return unit
