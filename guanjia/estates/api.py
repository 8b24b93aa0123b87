from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema, Status

from guanjia.core.audit import history_of
from guanjia.core.roles import Capability
from guanjia.core.schemas import ErrorOut, RowId, page
from guanjia.core.scope import scope_of
from guanjia.estates import actions, queries
from guanjia.estates.access import access_building, access_estate, access_unit, access_zone, zone_in_estate
from guanjia.estates.schemas import BuildingIn, BuildingOut, ChangeOut, EstateOut, UnitIn, UnitOut, UnitPatch, ZoneOut

router = Router(tags=["registry"])


@router.get("/estates", response=list[EstateOut], operation_id="estates_list")
def list_estates(request):
    return list(queries.estates_for(request.auth))


@router.get("/estates/{estate_id}", response=EstateOut, operation_id="estates_get")
def get_estate(request, estate_id: int):
    return access_estate(request.auth, estate_id)


@router.get("/estates/{estate_id}/zones", response=list[ZoneOut], operation_id="zones_list")
def list_zones(request, estate_id: int):
    return list(queries.zones_of(access_estate(request.auth, estate_id)))


@router.get("/estates/{estate_id}/buildings", response=list[BuildingOut], operation_id="buildings_list")
def list_buildings(request, estate_id: int):
    return list(queries.buildings_of(access_estate(request.auth, estate_id)))


@router.post(
    "/estates/{estate_id}/buildings", response={201: BuildingOut, 400: ErrorOut}, operation_id="buildings_create"
)
def create_building(request, estate_id: int, payload: BuildingIn):
    estate = access_estate(request.auth, estate_id, Capability.EDIT_REGISTRY)
    return Status(201, actions.create_building(actor=request.auth, estate=estate, **payload.dict()))


@router.get("/estates/{estate_id}/units", response=list[UnitOut], operation_id="units_list")
def list_units(
    request,
    estate_id: int,
    zone_id: RowId | None = None,
    building_id: RowId | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
):
    estate = access_estate(request.auth, estate_id)
    units = queries.units_of(estate, zone_id=zone_id, building_id=building_id, status=status)
    return page(units, offset, limit, most=500)


@router.post("/estates/{estate_id}/units", response={201: UnitOut, 400: ErrorOut}, operation_id="units_create")
def create_unit(request, estate_id: int, payload: UnitIn):
    estate = access_estate(request.auth, estate_id, Capability.VIEW_REGISTRY)
    building = access_building(request.auth, payload.building_id, write=True)
    if building.estate_id != estate.pk:
        raise Http404
    values = payload.dict(exclude={"building_id", "zone_id"})
    values["zone"] = None if payload.zone_id is None else zone_in_estate(estate.pk, payload.zone_id)
    return Status(201, actions.create_unit(actor=request.auth, building=building, **values))


@router.get("/units/{unit_id}", response=UnitOut, operation_id="units_get")
def get_unit(request, unit_id: int):
    return access_unit(request.auth, unit_id)


@router.patch("/units/{unit_id}", response={200: UnitOut, 400: ErrorOut}, operation_id="units_update")
def update_unit(request, unit_id: int, payload: UnitPatch):
    unit = access_unit(request.auth, unit_id, write=True)
    values = payload.dict(exclude_unset=True)
    if "zone_id" in values:
        zone_id = values.pop("zone_id")
        values["zone"] = None if zone_id is None else zone_in_estate(unit.estate_id, zone_id)
    return actions.update_unit(actor=request.auth, unit=unit, **values)


@router.get("/units/{unit_id}/history", response=list[ChangeOut], operation_id="units_history")
def unit_history(request, unit_id: int):
    unit = access_unit(request.auth, unit_id)
    if not scope_of(request.auth).can(unit.estate_id, Capability.VIEW_HISTORY):
        raise Http404
    return list(history_of(unit)[:200])


class ZoneButlerIn(Schema):
    butler_id: RowId | None


@router.put("/zones/{zone_id}/butler", response={200: ZoneOut, 400: ErrorOut}, operation_id="zones_assign_butler")
def assign_butler(request, zone_id: int, payload: ZoneButlerIn):
    """Put a butler in charge of a zone (分管区域); null leaves it without one."""
    zone = access_zone(request.auth, zone_id, write=True)
    butler = None if payload.butler_id is None else queries.login_with_id(payload.butler_id, field="butler_id")
    return actions.assign_zone_butler(actor=request.auth, zone=zone, butler=butler)
