from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from guanjia.core.roles import Capability
from guanjia.core.schemas import ErrorOut
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate
from guanjia.estates.models import Unit
from guanjia.frontdesk import actions
from guanjia.frontdesk.access import access_handover, access_key, access_parcel
from guanjia.frontdesk.models import Handover, Key, Parcel
from guanjia.frontdesk.schemas import (
    AuthorizationIn,
    AuthorizationOut,
    HandoverIn,
    KeyIn,
    KeyOut,
    LendIn,
    LoanOut,
    ParcelIn,
    ParcelOut,
    ShiftNoteIn,
    ShiftNoteOut,
)

router = Router(tags=["front desk"])


def desk(user, estate_id: int):
    return access_estate(user, estate_id, Capability.HANDLE_CUSTODY)


@router.get("/estates/{estate_id}/keys", response=list[KeyOut], operation_id="keys_list")
def list_keys(request, estate_id: int):
    return list(Key.objects.filter(estate=desk(request.auth, estate_id)).order_by("tag"))


@router.post("/estates/{estate_id}/keys", response={201: KeyOut, 400: ErrorOut}, operation_id="keys_register")
def register_key(request, estate_id: int, payload: KeyIn):
    estate = desk(request.auth, estate_id)
    unit = get_object_or_404(Unit, pk=payload.unit_id, estate=estate) if payload.unit_id else None
    values = payload.dict(exclude={"unit_id"})
    return Status(201, actions.register_key(actor=request.auth, estate=estate, unit=unit, **values))


@router.post(
    "/keys/{key_id}/authorizations", response={201: AuthorizationOut, 400: ErrorOut}, operation_id="keys_authorize"
)
def authorize(request, key_id: int, payload: AuthorizationIn):
    key = access_key(request.auth, key_id)
    return Status(201, actions.authorize_borrower(actor=request.auth, key=key, **payload.dict()))


@router.post("/keys/{key_id}/lend", response={201: LoanOut, 400: ErrorOut}, operation_id="keys_lend")
def lend(request, key_id: int, payload: LendIn):
    key = access_key(request.auth, key_id)
    return Status(201, actions.lend_key(actor=request.auth, key=key, **payload.dict()))


@router.post("/keys/{key_id}/return", response={200: LoanOut, 400: ErrorOut}, operation_id="keys_return")
def give_back(request, key_id: int):
    return actions.return_key(actor=request.auth, key=access_key(request.auth, key_id))


@router.get("/estates/{estate_id}/parcels", response=list[ParcelOut], operation_id="parcels_list")
def list_parcels(request, estate_id: int, status: str = Parcel.Status.WAITING):
    estate = desk(request.auth, estate_id)
    parcels = Parcel.objects.filter(estate=estate, status=status).select_related("unit").order_by("-received_at")
    return list(parcels[:500])


@router.post("/estates/{estate_id}/parcels", response={201: ParcelOut, 400: ErrorOut}, operation_id="parcels_receive")
def receive(request, estate_id: int, payload: ParcelIn):
    estate = desk(request.auth, estate_id)
    unit = get_object_or_404(Unit, pk=payload.unit_id, estate=estate)
    parcel = actions.receive_parcel(actor=request.auth, unit=unit, **payload.dict(exclude={"unit_id"}))
    return Status(201, parcel)


@router.get("/parcels/{parcel_id}", response=ParcelOut, operation_id="parcels_get")
def get_parcel(request, parcel_id: int):
    return access_parcel(request.auth, parcel_id)


@router.post(
    "/parcels/{parcel_id}/handover", response={200: ParcelOut, 400: ErrorOut}, operation_id="parcels_hand_over"
)
def hand_over(request, parcel_id: int, payload: HandoverIn):
    parcel = access_parcel(request.auth, parcel_id)
    if not scope_of(request.auth).can(parcel.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return actions.hand_over_parcel(actor=request.auth, parcel=parcel, **payload.dict())


@router.get("/estates/{estate_id}/handovers", response=list[ShiftNoteOut], operation_id="handovers_list")
def list_handovers(request, estate_id: int):
    return list(Handover.objects.filter(estate=desk(request.auth, estate_id)).order_by("-written_at")[:50])


@router.post(
    "/estates/{estate_id}/handovers", response={201: ShiftNoteOut, 400: ErrorOut}, operation_id="handovers_write"
)
def write_handover(request, estate_id: int, payload: ShiftNoteIn):
    estate = desk(request.auth, estate_id)
    return Status(201, actions.write_handover(actor=request.auth, estate=estate, note=payload.note))


@router.post(
    "/handovers/{handover_id}/acknowledge",
    response={200: ShiftNoteOut, 400: ErrorOut},
    operation_id="handovers_acknowledge",
)
def acknowledge(request, handover_id: int):
    handover = access_handover(request.auth, handover_id)
    return actions.acknowledge_handover(actor=request.auth, handover=handover)
