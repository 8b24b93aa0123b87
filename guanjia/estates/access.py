"""Fetch-and-authorize for the registry. Missing and forbidden both raise Http404."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Building, Estate, Unit, Zone

AnyUser = AbstractBaseUser | AnonymousUser


def access_estate(user: AnyUser, estate_id: int, capability: str = Capability.VIEW_REGISTRY) -> Estate:
    if not scope_of(user).can(estate_id, capability):
        raise Http404
    try:
        return Estate.objects.select_related("company").get(pk=estate_id)
    except Estate.DoesNotExist:
        raise Http404 from None


def access_zone(user: AnyUser, zone_id: int, *, write: bool = False) -> Zone:
    zone = Zone.objects.select_related("estate", "butler").filter(pk=zone_id).first()
    capability = Capability.MANAGE_STAFF if write else Capability.VIEW_REGISTRY
    if zone is None or not scope_of(user).can(zone.estate_id, capability):
        raise Http404
    return zone


def access_building(user: AnyUser, building_id: int, *, write: bool = False) -> Building:
    building = Building.objects.select_related("estate").filter(pk=building_id).first()
    capability = Capability.EDIT_REGISTRY if write else Capability.VIEW_REGISTRY
    if building is None or not scope_of(user).can(building.estate_id, capability):
        raise Http404
    return building


def can_edit_unit(user: AnyUser, unit: Unit) -> bool:
    scope = scope_of(user)
    if scope.can(unit.estate_id, Capability.EDIT_REGISTRY):
        return True
    return scope.can(unit.estate_id, Capability.EDIT_ZONE_REGISTRY) and unit.zone_id in scope.zone_ids


def owns_unit(user: AnyUser, unit: Unit) -> bool:
    scope = scope_of(user)
    return (
        scope.person_id is not None and unit.residencies.filter(person_id=scope.person_id, ended__isnull=True).exists()
    )


def access_unit(user: AnyUser, unit_id: int, *, write: bool = False) -> Unit:
    unit = Unit.objects.select_related("estate", "building", "zone", "zone__butler").filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    if write:
        allowed = can_edit_unit(user, unit)
    else:
        allowed = scope_of(user).can(unit.estate_id, Capability.VIEW_REGISTRY) or owns_unit(user, unit)
    if not allowed:
        raise Http404
    return unit


def zone_in_estate(estate_id: int, zone_id: int) -> Zone:
    """A zone named in a request about an estate (whose access the caller has checked): it
    must be one of that estate's."""
    zone = Zone.objects.filter(pk=zone_id, estate_id=estate_id).first()
    if zone is None:
        raise Http404
    return zone
