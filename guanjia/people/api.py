from __future__ import annotations

from django.http import Http404
from ninja import Router, Status

from guanjia.core.audit import history_of
from guanjia.core.roles import Capability
from guanjia.core.schemas import ErrorOut, page
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate, access_unit
from guanjia.estates.schemas import ChangeOut
from guanjia.people import actions, queries
from guanjia.people.access import access_estate_for_new_person, access_person, access_personal_data
from guanjia.people.schemas import (
    LinkIn,
    PersonIn,
    PersonOut,
    PersonPatch,
    ResidencyOut,
    RevealIn,
    RevealOut,
    SearchOut,
    VehicleIn,
    VehicleOut,
)

router = Router(tags=["people"])


@router.get("/estates/{estate_id}/people", response=list[PersonOut], operation_id="people_list")
def list_people(request, estate_id: int, offset: int = 0, limit: int = 50):
    access_estate(request.auth, estate_id)
    return page(queries.people_of_estate(estate_id), offset, limit, most=500)


@router.get("/estates/{estate_id}/search", response={200: SearchOut, 429: ErrorOut}, operation_id="frontdesk_search")
def search(request, estate_id: int, q: str = ""):
    access_estate(request.auth, estate_id, Capability.FRONT_DESK_SEARCH)
    try:
        return actions.search_people(actor=request.auth, estate_id=estate_id, query=q[:50], channel="api")
    except actions.TooManySearches as refusal:
        return Status(429, refusal.as_dict())


@router.post("/estates/{estate_id}/people", response={201: PersonOut, 400: ErrorOut}, operation_id="people_create")
def create_person(request, estate_id: int, payload: PersonIn):
    estate = access_estate_for_new_person(request.auth, estate_id)
    return Status(201, actions.create_person(actor=request.auth, estate=estate, **payload.dict()))


@router.get("/people/{person_id}", response=PersonOut, operation_id="people_get")
def get_person(request, person_id: int):
    return access_person(request.auth, person_id)


@router.patch("/people/{person_id}", response={200: PersonOut, 400: ErrorOut}, operation_id="people_update")
def update_person(request, person_id: int, payload: PersonPatch):
    person = access_person(request.auth, person_id, write=True)
    # Every field is text: null clears it like "" (a cleared name is then refused, naming it).
    values = {field: "" if value is None else value for field, value in payload.dict(exclude_unset=True).items()}
    return actions.update_person(actor=request.auth, person=person, **values)


@router.post("/people/{person_id}/units", response={201: ResidencyOut, 400: ErrorOut}, operation_id="people_link_unit")
def link_unit(request, person_id: int, payload: LinkIn):
    person = access_person(request.auth, person_id, write=True)
    unit = access_unit(request.auth, payload.unit_id, write=True)
    residency = actions.link_person_to_unit(
        actor=request.auth, person=person, unit=unit, relation=payload.relation, since=payload.since
    )
    return Status(201, residency)


@router.post(
    "/people/{person_id}/vehicles", response={201: VehicleOut, 400: ErrorOut}, operation_id="people_add_vehicle"
)
def add_vehicle(request, person_id: int, payload: VehicleIn):
    person = access_person(request.auth, person_id, write=True)
    return Status(201, actions.add_vehicle(actor=request.auth, person=person, **payload.dict()))


@router.post("/people/{person_id}/reveal", response=RevealOut, operation_id="people_reveal")
def reveal(request, person_id: int, payload: RevealIn):
    """The clear phone and ID number. Needs the capability; every call is logged."""
    person = access_personal_data(request.auth, person_id)
    return actions.reveal_personal_data(actor=request.auth, person=person, purpose=payload.purpose, channel="api")


@router.get("/people/{person_id}/history", response=list[ChangeOut], operation_id="people_history")
def person_history(request, person_id: int):
    person = access_person(request.auth, person_id)
    if not scope_of(request.auth).can(person.estate_id, Capability.VIEW_HISTORY):
        raise Http404
    return list(history_of(person)[:200])
