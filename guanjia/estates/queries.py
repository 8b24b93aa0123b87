"""Reads of the estate registry."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from guanjia.core.display import natural_key
from guanjia.core.errors import DomainError
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Building, Estate, Unit, Zone


def estates_for(user: AbstractBaseUser | AnonymousUser, capability: str = Capability.VIEW_REGISTRY) -> QuerySet[Estate]:
    return (
        Estate.objects.filter(pk__in=scope_of(user).estates_with(capability)).select_related("company").order_by("name")
    )


def zones_of(estate: Estate) -> list[Zone]:
    zones = estate.zones.select_related("butler").annotate(unit_count=Count("units"))
    return sorted(zones, key=lambda each: natural_key(each.code))


def buildings_of(estate: Estate) -> list[Building]:
    """The estate's buildings with their unit counts, 1, 2, 10 (not 1, 10, 2)."""
    return sorted(estate.buildings.annotate(unit_count=Count("units")), key=lambda each: natural_key(each.code))


def zones_in_order(estate: Estate) -> QuerySet[Zone]:
    return estate.zones.order_by("code")


def buildings_in_order(estate: Estate) -> list[Building]:
    return sorted(estate.buildings.all(), key=lambda each: natural_key(each.code))


def in_natural_order(units: QuerySet[Unit], estate: Estate) -> QuerySet[Unit]:
    """Units as people count them: building 2 before 10, then entrance, floor and room, each
    compared as a number where it is one (1-1-201 before 1-1-1001). The buildings' order is
    worked out here (an estate has tens of them); the rest is ordered by the database, so a
    page of a large estate still reads only its own rows."""
    buildings = buildings_in_order(estate)
    ranks = [When(building_id=building.pk, then=Value(rank)) for rank, building in enumerate(buildings)]
    building_rank = Case(*ranks, default=Value(len(ranks)), output_field=IntegerField()) if ranks else Value(0)
    return units.annotate(building_rank=building_rank).order_by(
        "building_rank", Length("entrance"), "entrance", "floor", Length("number"), "number", "code"
    )


def zones_looked_after(estate: Estate, user: AbstractBaseUser | AnonymousUser) -> list[Zone]:
    """The estate's zones in the user's charge (a butler's), by code."""
    return list(estate.zones.filter(pk__in=scope_of(user).zone_ids).order_by("code"))


def units_of(
    estate: Estate, *, zone_id: int | None = None, building_id: int | None = None, status: str | None = None
) -> QuerySet[Unit]:
    units = Unit.objects.filter(estate=estate).select_related("building", "zone")
    if zone_id:
        units = units.filter(zone_id=zone_id)
    if building_id:
        units = units.filter(building_id=building_id)
    if status:
        units = units.filter(status=status)
    return in_natural_order(units, estate)


def status_counts(estate: Estate) -> dict[str, int]:
    rows = Unit.objects.filter(estate=estate).values("status").annotate(n=Count("*")).values_list("status", "n")
    counts = dict.fromkeys(Unit.Status.values, 0)
    counts.update(dict(rows))
    return counts


def login_with_id(user_id: int, *, field: str) -> AbstractBaseUser:
    """The login with this id, whoever it is; a DomainError naming `field` (where the caller
    took the id from) when there is none."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise DomainError(_("No such user."), field=field)
    return user
