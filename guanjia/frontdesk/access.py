"""Fetch-and-authorize for the custody ledger. Missing and forbidden both raise Http404."""

from __future__ import annotations

from django.http import Http404

from guanjia.accounts.models import User
from guanjia.core.roles import Capability
from guanjia.core.scope import holds, scope_of
from guanjia.estates.access import access_estate, access_unit
from guanjia.estates.models import Estate, Unit
from guanjia.frontdesk import queries
from guanjia.frontdesk.models import (
    CustodyPhoto,
    DoNotAdmit,
    Handover,
    Key,
    KeyAuthorization,
    Parcel,
    Visit,
    VisitorPass,
)
from guanjia.people.models import Person, Residency


def access_key(user: User, key_id: int) -> Key:
    key = Key.objects.select_related("estate", "unit").filter(pk=key_id).first()
    if key is None or not scope_of(user).can(key.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return key


def access_parcel(user: User, parcel_id: int) -> Parcel:
    """Desk staff of the estate, or a person living in the recipient unit (to see the code)."""
    parcel = Parcel.objects.select_related("estate", "unit").filter(pk=parcel_id).first()
    if parcel is None:
        raise Http404
    scope = scope_of(user)
    if scope.can(parcel.estate_id, Capability.HANDLE_CUSTODY):
        return parcel
    lives_there = (
        scope.person_id is not None
        and parcel.unit.residencies.filter(person_id=scope.person_id, ended__isnull=True).exists()
    )
    if not lives_there:
        raise Http404
    return parcel


def access_custody_photo(user: User, photo_id: int) -> CustodyPhoto:
    """Desk staff of the estate see every photo; the people living in a parcel's unit see that
    parcel's photos (what arrived for them). Key photos stay with the desk."""
    photo = CustodyPhoto.objects.select_related("parcel").filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    if scope_of(user).can(photo.estate_id, Capability.HANDLE_CUSTODY):
        return photo
    if photo.parcel is None or photo.parcel.unit_id not in resident_unit_ids(user):
        raise Http404
    return photo


def access_desk_parcel(user: User, parcel_id: int) -> Parcel:
    """A parcel for the desk staff of its estate only (hand it over, add a photo)."""
    parcel = Parcel.objects.select_related("estate", "unit").filter(pk=parcel_id).first()
    if parcel is None or not scope_of(user).can(parcel.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return parcel


def access_handover(user: User, handover_id: int) -> Handover:
    handover = Handover.objects.filter(pk=handover_id).first()
    if handover is None or not scope_of(user).can(handover.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return handover


def custodian_estate(user: User, estate_id: int) -> Estate:
    return access_estate(user, estate_id, Capability.HANDLE_CUSTODY)


def access_desk_unit(user: User, estate_id: int, unit_id: int) -> Unit:
    """A unit of an estate whose desk the user keeps, with its estate; a unit of another
    estate is missing like one that does not exist."""
    unit = Unit.objects.select_related("estate").filter(pk=unit_id, estate_id=estate_id).first()
    if unit is None or not scope_of(user).can(estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return unit


def access_check_in_unit(user: User, estate_id: int, unit_id: int) -> Unit:
    """The unit a parcel is checked in for through the API, read with its estate in one query
    (the desk's busiest write). An estate whose desk the user does not keep is missing (404);
    a unit that is not the estate's is a refusal of the field that named it (400)."""
    if not holds(user, estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return queries.unit_for_check_in(estate_id, unit_id)


def access_unit_desk(user: User, unit_id: int) -> Unit:
    """A unit as the front-desk screen shows it, for the desk staff of its estate."""
    unit = access_unit(user, unit_id)
    if not scope_of(user).can(unit.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return unit


def access_visit(user: User, visit_id: int) -> Visit:
    visit = Visit.objects.select_related("unit").filter(pk=visit_id).first()
    if visit is None or not scope_of(user).can(visit.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return visit


def access_key_authorizations(user: User, key_id: int) -> Key:
    """A key whose authorizations the user may read: the desk staff of its estate, or the
    people of its unit."""
    key = Key.objects.filter(pk=key_id).first()
    if key is None:
        raise Http404
    if not scope_of(user).can(key.estate_id, Capability.HANDLE_CUSTODY):
        key = access_my_key(user, key_id)
    return key


# The owner's side: a person who currently lives in the unit, signed in.


def resident_unit_ids(user: User) -> set[int]:
    person_id = scope_of(user).person_id
    if person_id is None:
        return set()
    return set(Residency.objects.filter(person_id=person_id, ended__isnull=True).values_list("unit_id", flat=True))


def resident_units(user: User) -> list[Unit]:
    """The units the signed-in owner lives in now, by code."""
    return list(Unit.objects.filter(pk__in=resident_unit_ids(user)).select_related("estate").order_by("code"))


def resident_person(user: User) -> Person:
    """The signed-in owner's archive entry; 404 for staff without one."""
    if scope_of(user).person_id is None or user.person is None:
        raise Http404
    return user.person


def access_my_unit(user: User, unit_id: int) -> Unit:
    if unit_id not in resident_unit_ids(user):
        raise Http404
    return Unit.objects.select_related("estate").get(pk=unit_id)


def access_my_key(user: User, key_id: int) -> Key:
    key = Key.objects.select_related("unit").filter(pk=key_id).first()
    if key is None or key.unit_id is None or key.unit_id not in resident_unit_ids(user):
        raise Http404
    return key


def access_authorization(user: User, authorization_id: int) -> KeyAuthorization:
    """The owner of the key's unit, or the desk staff of its estate."""
    authorization = KeyAuthorization.objects.select_related("key").filter(pk=authorization_id).first()
    if authorization is None:
        raise Http404
    key = authorization.key
    if not (
        scope_of(user).can(key.estate_id, Capability.HANDLE_CUSTODY)
        or (key.unit_id is not None and key.unit_id in resident_unit_ids(user))
    ):
        raise Http404
    return authorization


def access_my_authorization(user: User, authorization_id: int) -> KeyAuthorization:
    """An authorization on a key of a unit the owner lives in (the portal's edit and revoke)."""
    authorization = access_authorization(user, authorization_id)
    if authorization.key.unit_id not in resident_unit_ids(user):
        raise Http404
    return authorization


def access_my_pass(user: User, pass_id: int) -> VisitorPass:
    visitor_pass = VisitorPass.objects.select_related("unit").filter(pk=pass_id).first()
    if visitor_pass is None or visitor_pass.unit_id not in resident_unit_ids(user):
        raise Http404
    return visitor_pass


def access_my_instruction(user: User, instruction_id: int) -> DoNotAdmit:
    instruction = DoNotAdmit.objects.select_related("unit").filter(pk=instruction_id).first()
    if instruction is None or instruction.unit_id not in resident_unit_ids(user):
        raise Http404
    return instruction
