"""Reads of the estate registry."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Building, Estate, Unit, Zone


def estates_for(user: Any, capability: str = Capability.VIEW_REGISTRY) -> QuerySet[Estate]:
    return (
        Estate.objects.filter(pk__in=scope_of(user).estates_with(capability)).select_related("company").order_by("name")
    )


def zones_of(estate: Estate) -> QuerySet[Zone]:
    return estate.zones.select_related("butler").annotate(unit_count=Count("units")).order_by("code")


def buildings_of(estate: Estate) -> QuerySet[Building]:
    return estate.buildings.annotate(unit_count=Count("units")).order_by("code")


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
    return units.order_by("code")


def status_counts(estate: Estate) -> dict[str, int]:
    rows = Unit.objects.filter(estate=estate).values("status").annotate(n=Count("*")).values_list("status", "n")
    counts = dict.fromkeys(Unit.Status.values, 0)
    counts.update(dict(rows))
    return counts
