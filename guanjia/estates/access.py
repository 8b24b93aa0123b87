"""Fetch-and-authorize for the registry. Missing and forbidden both raise Http404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Building, Estate, Unit, Zone


def access_estate(user: Any, estate_id: int, capability: str = Capability.VIEW_REGISTRY) -> Estate:
    if not scope_of(user).can(estate_id, capability):
        raise Http404
    try:
        return Estate.objects.select_related("company").get(pk=estate_id)
    except Estate.DoesNotExist:
        raise Http404 from None


def access_zone(user: Any, zone_id: int, *, write: bool = False) -> Zone:
    zone = Zone.objects.select_related("estate", "butler").filter(pk=zone_id).first()
    capability = Capability.MANAGE_STAFF if write else Capability.VIEW_REGISTRY
    if zone is None or not scope_of(user).can(zone.estate_id, capability):
        raise Http404
    return zone


def access_building(user: Any, building_id: int, *, write: bool = False) -> Building:
    building = Building.objects.select_related("estate").filter(pk=building_id).first()
    capability = Capability.EDIT_REGISTRY if write else Capability.VIEW_REGISTRY
    if building is None or not scope_of(user).can(building.estate_id, capability):
        raise Http404
    return building


def can_edit_unit(user: Any, unit: Unit) -> bool:
    scope = scope_of(user)
    if scope.can(unit.estate_id, Capability.EDIT_REGISTRY):
        return True
    return scope.can(unit.estate_id, Capability.EDIT_ZONE_REGISTRY) and unit.zone_id in scope.zone_ids


def owns_unit(user: Any, unit: Unit) -> bool:
    scope = scope_of(user)
    return (
        scope.person_id is not None and unit.residencies.filter(person_id=scope.person_id, ended__isnull=True).exists()
    )


def access_unit(user: Any, unit_id: int, *, write: bool = False) -> Unit:
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
