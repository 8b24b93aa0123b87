from __future__ import annotations

import datetime

from django.utils import timezone
from ninja import File, Router, Status
from ninja.files import UploadedFile

from guanjia.core.photos import photo_response
from guanjia.core.roles import Capability
from guanjia.core.schemas import ErrorOut
from guanjia.estates.access import access_estate
from guanjia.frontdesk import actions, queries
from guanjia.frontdesk.access import (
    access_authorization,
    access_check_in_unit,
    access_custody_photo,
    access_desk_parcel,
    access_desk_unit,
    access_handover,
    access_key,
    access_key_authorizations,
    access_my_instruction,
    access_my_key,
    access_my_pass,
    access_my_unit,
    access_parcel,
    access_visit,
    custodian_estate,
    resident_person,
    resident_unit_ids,
)
from guanjia.frontdesk.models import Parcel
from guanjia.frontdesk.schemas import (
    AdmitIn,
    AuthorizationIn,
    AuthorizationOut,
    CustodyPhotoOut,
    DeskHitOut,
    DeskSettingsIn,
    DeskSettingsOut,
    EventOut,
    HandoverIn,
    InstructionIn,
    InstructionOut,
    KeyIn,
    KeyOut,
    LendIn,
    LoanOut,
    MarkKeyIn,
    ParcelIn,
    ParcelOut,
    PassIn,
    PassOut,
    ShiftNoteIn,
    ShiftNoteOut,
    VisitIn,
    VisitOut,
)
from guanjia.people import actions as people_actions

router = Router(tags=["front desk"])


@router.get("/estates/{estate_id}/keys", response=list[KeyOut], operation_id="keys_list")
def list_keys(request, estate_id: int):
    return list(queries.keys_by_tag(custodian_estate(request.auth, estate_id).pk))


@router.post("/estates/{estate_id}/keys", response={201: KeyOut, 400: ErrorOut}, operation_id="keys_register")
def register_key(request, estate_id: int, payload: KeyIn):
    estate = custodian_estate(request.auth, estate_id)
    unit = access_desk_unit(request.auth, estate.pk, payload.unit_id) if payload.unit_id else None
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
    estate = custodian_estate(request.auth, estate_id)
    return list(queries.parcels_with_status(estate.pk, status)[:500])


@router.post("/estates/{estate_id}/parcels", response={201: ParcelOut, 400: ErrorOut}, operation_id="parcels_receive")
def receive(request, estate_id: int, payload: ParcelIn):
    # The busiest write of the desk: the estate and the unit are read in one query.
    unit = access_check_in_unit(request.auth, estate_id, payload.unit_id)
    parcel = actions.receive_parcel(actor=request.auth, unit=unit, **payload.dict(exclude={"unit_id"}))
    return Status(201, parcel)


@router.get("/parcels/{parcel_id}", response=ParcelOut, operation_id="parcels_get")
def get_parcel(request, parcel_id: int):
    return access_parcel(request.auth, parcel_id)


@router.post(
    "/parcels/{parcel_id}/handover", response={200: ParcelOut, 400: ErrorOut}, operation_id="parcels_hand_over"
)
def hand_over(request, parcel_id: int, payload: HandoverIn):
    parcel = access_desk_parcel(request.auth, parcel_id)
    return actions.hand_over_parcel(actor=request.auth, parcel=parcel, **payload.dict())


@router.get("/estates/{estate_id}/handovers", response=list[ShiftNoteOut], operation_id="handovers_list")
def list_handovers(request, estate_id: int):
    return list(queries.handovers_of_estate(custodian_estate(request.auth, estate_id).pk)[:50])


@router.post(
    "/estates/{estate_id}/handovers", response={201: ShiftNoteOut, 400: ErrorOut}, operation_id="handovers_write"
)
def write_handover(request, estate_id: int, payload: ShiftNoteIn):
    estate = custodian_estate(request.auth, estate_id)
    return Status(201, actions.write_handover(actor=request.auth, estate=estate, note=payload.note))


@router.post(
    "/handovers/{handover_id}/acknowledge",
    response={200: ShiftNoteOut, 400: ErrorOut},
    operation_id="handovers_acknowledge",
)
def acknowledge(request, handover_id: int):
    handover = access_handover(request.auth, handover_id)
    return actions.acknowledge_handover(actor=request.auth, handover=handover)


# Photos of keys and parcels -------------------------------------------------------------
# Listed by endpoints of their own rather than in KeyOut and ParcelOut: a list in ParcelOut
# would cost the parcel check-in (the desk's busiest write) a query for photos it cannot have.


@router.post("/keys/{key_id}/photos", response={201: CustodyPhotoOut, 400: ErrorOut}, operation_id="keys_add_photo")
def add_key_photo(request, key_id: int, photo: File[UploadedFile]):
    """A JPEG, PNG or WebP photo of the key (checked by its content), at most three."""
    key = access_key(request.auth, key_id)
    return Status(201, actions.add_key_photo(actor=request.auth, key=key, upload=photo))


@router.get("/keys/{key_id}/photos", response=list[CustodyPhotoOut], operation_id="keys_photos")
def key_photos(request, key_id: int):
    return list(queries.photos_of(access_key(request.auth, key_id)))


@router.post(
    "/parcels/{parcel_id}/photos", response={201: CustodyPhotoOut, 400: ErrorOut}, operation_id="parcels_add_photo"
)
def add_parcel_photo(request, parcel_id: int, photo: File[UploadedFile]):
    """A photo of the parcel as it came in, by the desk, while it waits; at most three."""
    parcel = access_desk_parcel(request.auth, parcel_id)
    return Status(201, actions.add_parcel_photo(actor=request.auth, parcel=parcel, upload=photo))


@router.get("/parcels/{parcel_id}/photos", response=list[CustodyPhotoOut], operation_id="parcels_photos")
def parcel_photos(request, parcel_id: int):
    """The desk staff of the estate, or the people of the parcel's unit."""
    return list(queries.photos_of(access_parcel(request.auth, parcel_id)))


@router.get("/custody-photos/{photo_id}", operation_id="custody_photo_file")
def custody_photo_file(request, photo_id: int):
    """The photo itself: a key's for the desk, a parcel's also for the people of its unit."""
    return photo_response(access_custody_photo(request.auth, photo_id))


# Keys: lost or damaged, the owner's authorizations --------------------------------------


@router.post("/keys/{key_id}/mark", response={200: KeyOut, 400: ErrorOut}, operation_id="keys_mark")
def mark(request, key_id: int, payload: MarkKeyIn):
    key = access_key(request.auth, key_id)
    return actions.mark_key(actor=request.auth, key=key, **payload.dict())


@router.get("/keys/{key_id}/authorizations", response=list[AuthorizationOut], operation_id="keys_authorizations")
def list_authorizations(request, key_id: int):
    """The desk staff of the estate, or the people of the key's unit."""
    key = access_key_authorizations(request.auth, key_id)
    return list(queries.live_authorizations(key, timezone.localdate()))


@router.post(
    "/my/keys/{key_id}/authorizations",
    response={201: AuthorizationOut, 400: ErrorOut},
    operation_id="my_keys_authorize",
)
def my_authorize(request, key_id: int, payload: AuthorizationIn):
    person = resident_person(request.auth)
    key = access_my_key(request.auth, key_id)
    authorization = actions.authorize_borrower(actor=request.auth, key=key, granted_by=person, **payload.dict())
    return Status(201, authorization)


@router.put(
    "/authorizations/{authorization_id}",
    response={200: AuthorizationOut, 400: ErrorOut},
    operation_id="authorizations_update",
)
def update_authorization(request, authorization_id: int, payload: AuthorizationIn):
    authorization = access_authorization(request.auth, authorization_id)
    return actions.update_authorization(actor=request.auth, authorization=authorization, **payload.dict())


@router.post(
    "/authorizations/{authorization_id}/revoke",
    response={200: AuthorizationOut, 400: ErrorOut},
    operation_id="authorizations_revoke",
)
def revoke_authorization(request, authorization_id: int):
    authorization = access_authorization(request.auth, authorization_id)
    return actions.revoke_authorization(actor=request.auth, authorization=authorization)


# Parcels for the owner -----------------------------------------------------------------------


@router.get("/my/parcels", response=list[ParcelOut], operation_id="my_parcels")
def my_parcels(request):
    resident_person(request.auth)
    return list(queries.parcels_of_units(resident_unit_ids(request.auth))[:100])


# Visitors -------------------------------------------------------------------------------------


@router.get("/estates/{estate_id}/visits", response=list[VisitOut], operation_id="visits_list")
def list_visits(request, estate_id: int, day: datetime.date | None = None):
    """One day's visitor log (today by default), newest first."""
    estate = custodian_estate(request.auth, estate_id)
    first = datetime.datetime.combine(
        day or timezone.localdate(), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    return list(queries.visits_between(estate.pk, first, first + datetime.timedelta(days=1))[:500])


@router.post("/estates/{estate_id}/visits", response={201: VisitOut, 400: ErrorOut}, operation_id="visits_check_in")
def check_in(request, estate_id: int, payload: VisitIn):
    estate = custodian_estate(request.auth, estate_id)
    unit = access_desk_unit(request.auth, estate.pk, payload.unit_id)
    visit = actions.check_in_visitor(actor=request.auth, unit=unit, **payload.dict(exclude={"unit_id"}))
    return Status(201, visit)


@router.post("/estates/{estate_id}/visits/admit", response={201: VisitOut, 400: ErrorOut}, operation_id="visits_admit")
def admit(request, estate_id: int, payload: AdmitIn):
    estate = custodian_estate(request.auth, estate_id)
    return Status(201, actions.admit_with_pass(actor=request.auth, estate=estate, token=payload.token))


@router.post("/visits/{visit_id}/check-out", response={200: VisitOut, 400: ErrorOut}, operation_id="visits_check_out")
def check_out(request, visit_id: int):
    visit = access_visit(request.auth, visit_id)
    return actions.check_out_visitor(actor=request.auth, visit=visit)


@router.get("/my/passes", response=list[PassOut], operation_id="my_passes")
def my_passes(request):
    resident_person(request.auth)
    return list(queries.passes_of_units(resident_unit_ids(request.auth))[:100])


@router.post("/my/passes", response={201: PassOut, 400: ErrorOut}, operation_id="my_passes_issue")
def issue_pass(request, payload: PassIn):
    person = resident_person(request.auth)
    unit = access_my_unit(request.auth, payload.unit_id)
    values = payload.dict(exclude={"unit_id"})
    return Status(201, actions.issue_visitor_pass(person=person, unit=unit, **values))


@router.post("/my/passes/{pass_id}/revoke", response={200: PassOut, 400: ErrorOut}, operation_id="my_passes_revoke")
def revoke_pass(request, pass_id: int):
    person = resident_person(request.auth)
    visitor_pass = access_my_pass(request.auth, pass_id)
    return actions.revoke_visitor_pass(person=person, visitor_pass=visitor_pass)


@router.get("/my/do-not-admit", response=list[InstructionOut], operation_id="my_do_not_admit")
def my_instructions(request):
    resident_person(request.auth)
    return list(queries.instructions_of_units(resident_unit_ids(request.auth)))


@router.post("/my/do-not-admit", response={201: InstructionOut, 400: ErrorOut}, operation_id="my_do_not_admit_add")
def add_instruction(request, payload: InstructionIn):
    person = resident_person(request.auth)
    unit = access_my_unit(request.auth, payload.unit_id)
    return Status(201, actions.add_do_not_admit(person=person, unit=unit, name=payload.name, note=payload.note))


@router.post(
    "/my/do-not-admit/{instruction_id}/lift",
    response={200: InstructionOut, 400: ErrorOut},
    operation_id="my_do_not_admit_lift",
)
def lift_instruction(request, instruction_id: int):
    person = resident_person(request.auth)
    instruction = access_my_instruction(request.auth, instruction_id)
    return actions.lift_do_not_admit(person=person, instruction=instruction)


# The ledger, the one box, the settings --------------------------------------------------------


@router.get("/estates/{estate_id}/custody-events", response=list[EventOut], operation_id="custody_events")
def list_events(request, estate_id: int, unit_id: int | None = None, kind: str = ""):
    estate = custodian_estate(request.auth, estate_id)
    unit = access_desk_unit(request.auth, estate.pk, unit_id) if unit_id else None
    return list(queries.event_log(estate.pk, unit=unit, kind=kind)[:500])


@router.get(
    "/estates/{estate_id}/desk-search", response={200: list[DeskHitOut], 429: ErrorOut}, operation_id="desk_search"
)
def search(request, estate_id: int, q: str = ""):
    estate = custodian_estate(request.auth, estate_id)
    if not q.strip():
        return []
    try:
        found = people_actions.search_people(actor=request.auth, estate_id=estate.pk, query=q[:50], channel="api")
    except people_actions.TooManySearches as refusal:
        return Status(429, refusal.as_dict())
    return queries.desk_search(estate.pk, q[:50], timezone.now(), found=found)


@router.get("/estates/{estate_id}/desk-settings", response=DeskSettingsOut, operation_id="desk_settings_get")
def get_settings(request, estate_id: int):
    return queries.settings_of(custodian_estate(request.auth, estate_id).pk)


@router.put(
    "/estates/{estate_id}/desk-settings",
    response={200: DeskSettingsOut, 400: ErrorOut},
    operation_id="desk_settings_update",
)
def update_settings(request, estate_id: int, payload: DeskSettingsIn):
    estate = access_estate(request.auth, estate_id, Capability.MANAGE_SERVICE_LEVELS)
    return actions.configure_desk(actor=request.auth, estate=estate, **payload.dict())
