"""Receiving a request: from staff at the desk, on the phone or on a round, and from an owner
in the portal. Whoever receives it is its first responder (首问负责制) until it is closed; a
request from the portal belongs to the zone's butler (docs/decisions/0003)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.accounts.queries import staff_of
from guanjia.core.audit import new_change, plain
from guanjia.core.errors import DomainError, Problems
from guanjia.core.roles import Post
from guanjia.core.sql import insert_with_dependents
from guanjia.estates.models import Estate, Unit
from guanjia.people.models import Person
from guanjia.servicedesk import access, queries
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.actions.choices import resolve_choice
from guanjia.servicedesk.actions.notices import tell
from guanjia.servicedesk.actions.photos import add_request_photo, check_new_photos
from guanjia.servicedesk.models import ComplaintDetails, RequestEvent, ServiceRequest

# The fields of a new request its audit entry records.
AUDITED = ("kind", "channel", "priority", "title", "unit", "person", "first_responder", "resolve_by")


def is_given(value: object) -> bool:
    return value is not None and value != ""


def as_id(value: object) -> int | None:
    """The id in a value given for a unit or person (a number or its digits), else None."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)  # type: ignore[call-overload]  # whatever the caller sent: int() judges
    except (TypeError, ValueError):
        return None


def find_unit(value: object, estate_id: int) -> Unit:
    """The unit a request is about, given as a unit or its id. Refused unless it is the estate's."""
    refused = DomainError(_("Choose a unit of this estate."), field="unit")
    if isinstance(value, Unit):
        if value.estate_id != estate_id:
            raise refused
        return value
    unit_id = as_id(value)
    found = queries.unit_for_intake(unit_id, estate_id) if unit_id is not None else None
    if found is None:
        raise refused
    return found


def find_person(value: object, estate_id: int) -> Person:
    """The caller, given as a person or their id. Refused unless an owner or occupant of the estate."""
    refused = DomainError(_("Choose an owner or occupant of this estate."), field="person")
    if isinstance(value, Person):
        if value.estate_id != estate_id:
            raise refused
        return value
    person_id = as_id(value)
    found = queries.person_in_estate(person_id, estate_id) if person_id is not None else None
    if found is None:
        raise refused
    return found


def portal_first_responder(unit: Unit) -> User | None:
    """Decision 0003: a request from the owner portal belongs to the butler of the unit's zone,
    else (no zone, no butler, or the butler no longer posted) to the estate's head butler."""
    butler_id = unit.zone.butler_id if unit.zone is not None else None
    if butler_id is not None:
        for butler in staff_of(unit.estate_id, {Post.BUTLER}):
            if butler.pk == butler_id:
                return butler
    head_butlers = staff_of(unit.estate_id, {Post.HEAD_BUTLER})
    return head_butlers[0] if head_butlers else None


def check_portal_intake(
    actor: User, unit: Unit | None, unit_refused: bool, person: Person | None, problems: Problems
) -> tuple[User, Person | None]:
    """An owner submitting in the portal: the request is for themselves, about one of their
    own units. Returns (first responder, person)."""
    own_person_id = actor.person_id
    if own_person_id is None:
        problems.add("first_responder", _("Only staff of this estate can receive its requests."))
        return actor, person
    if person and person.pk != own_person_id:
        problems.add("person", _("A request from the portal is made in your own name."))
    if unit_refused:  # already told to choose a unit of the estate
        return actor, person
    if unit is None or not queries.lives_in(own_person_id, unit):
        problems.add("unit", _("Choose one of your own units."))
        return actor, person
    responder = portal_first_responder(unit)
    if responder is None:
        problems.add("unit", _("No butler looks after this unit yet. Please call the service center."))
        return actor, person
    if person is not None and person.pk == own_person_id:
        return responder, person
    return responder, queries.person_by_id(own_person_id)


@dataclass
class Intake:
    """A new request as checked: what it is, about what, for whom, and its time limits."""

    kind: str
    channel: str
    priority: str
    title: str
    unit: Unit | None
    person: Person | None
    first_responder: User
    allowance: dl.Allowance


def check_intake(
    *,
    actor: User,
    estate: Estate,
    kind: str,
    channel: str,
    title: str,
    priority: str,
    unit: Unit | int | str | None,
    person: Person | int | str | None,
) -> Intake:
    """Every rule of a new request, with all its problems reported at once."""
    problems = Problems()
    from_portal = channel == ServiceRequest.Channel.PORTAL and not access.is_posted(actor, estate.pk)
    if not from_portal and not access.is_posted(actor, estate.pk):
        problems.add("first_responder", _("Only staff of this estate can receive its requests."))
    kind = resolve_choice(kind, ServiceRequest.Kind, "kind", _("Choose the kind of request from the list."), problems)
    channel = resolve_choice(channel, ServiceRequest.Channel, "channel", _("Choose how the request came in."), problems)
    priority = resolve_choice(
        priority, ServiceRequest.Priority, "priority", _("Choose a priority from the list."), problems
    )
    title = (title or "").strip()
    if not title:
        problems.add("title", _("Enter a short title for the request."))
    elif len(title) > 200:
        problems.add("title", _("A title has at most 200 characters."))
    found_unit, found_person = None, None
    if is_given(unit):
        try:
            found_unit = find_unit(unit, estate.pk)
        except DomainError as refused:
            problems.add(refused.field, refused.message)
    elif kind == ServiceRequest.Kind.REPAIR_IN_UNIT:
        problems.add("unit", _("An in-unit repair needs the unit."))
    if is_given(person):
        try:
            found_person = find_person(person, estate.pk)
        except DomainError as refused:
            problems.add(refused.field, refused.message)
    first_responder = actor
    if from_portal:
        unit_refused = is_given(unit) and found_unit is None
        first_responder, found_person = check_portal_intake(actor, found_unit, unit_refused, found_person, problems)
    problems.raise_if_any(_("Please correct the request."))
    return Intake(
        kind=kind,
        channel=channel,
        priority=priority,
        title=title,
        unit=found_unit,
        person=found_person,
        first_responder=first_responder,
        allowance=queries.allowance_in(estate, kind, priority),
    )


def write_request(service_request: ServiceRequest, actor: User) -> None:
    """The request, its first event, its audit entry (and a complaint's details): one statement
    on PostgreSQL, so that intake, the desk's other busy write, costs one round trip to write."""
    at = service_request.received_at
    dependents: list[tuple[models.Model, str]] = [
        (
            RequestEvent(
                request=service_request, actor=actor, at=at, to_status=ServiceRequest.Status.RECEIVED, action="receive"
            ),
            "request_id",
        ),
        (
            new_change(
                actor=actor,
                target=service_request,
                verb="create",
                estate_id=service_request.estate_id,
                changes={name: [None, plain(getattr(service_request, name))] for name in AUDITED},
            ),
            "object_id",
        ),
    ]
    if service_request.kind == ServiceRequest.Kind.COMPLAINT:
        dependents.append((ComplaintDetails(request=service_request), "request_id"))
    insert_with_dependents(service_request, dependents)


def tell_portal_responder(service_request: ServiceRequest) -> None:
    """The butler learns that an owner's request from the portal is now theirs. After the
    request is in, in a transaction of its own (the caller's, if any)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("New request from the portal: #%(id)s %(title)s") % {
            "id": service_request.pk,
            "title": service_request.title,
        }
        body = _("%(unit)s: %(kind)s. You are its first responder.") % {
            "unit": service_request.unit.code if service_request.unit else "",
            "kind": service_request.get_kind_display(),
        }
    with transaction.atomic():
        tell(service_request.first_responder, service_request, subject, body, f"request:{service_request.pk}:received")


def receive_request(
    *,
    actor: User,
    estate: Estate,
    kind: str,
    channel: str,
    title: str,
    priority: str = ServiceRequest.Priority.NORMAL,
    description: str = "",
    unit: Unit | int | str | None = None,
    person: Person | int | str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Record a new request. The actor becomes its first responder (首问负责制) for good; a
    request an owner submits in the portal is owned by their zone's butler (decision 0003)."""
    checked = check_intake(
        actor=actor, estate=estate, kind=kind, channel=channel, title=title, priority=priority, unit=unit, person=person
    )
    at = now or timezone.now()
    due = dl.intake_deadlines(at, checked.allowance)
    service_request = ServiceRequest(
        estate=estate,
        unit=checked.unit,
        person=checked.person,
        kind=checked.kind,
        channel=checked.channel,
        priority=checked.priority,
        title=checked.title,
        description=(description or "").strip(),
        first_responder=checked.first_responder,
        zone_id=checked.unit.zone_id if checked.unit else None,
        received_at=at,
        respond_by=due.respond_by,
        arrive_by=due.arrive_by,
        resolve_by=due.resolve_by,
    )
    write_request(service_request, actor)
    if checked.first_responder != actor:
        tell_portal_responder(service_request)
    return service_request


def submit_portal_request(
    *,
    actor: User,
    person: Person,
    unit_id: int | None,
    kind: str,
    priority: str,
    title: str,
    description: str,
    photos: list[UploadedFile],
) -> ServiceRequest:
    """An owner's request from the portal with its photos: all or nothing, so that a refused
    photo keeps the request from being recorded. The photos are checked first, before the
    unit (refusals name the field "photos")."""
    check_new_photos(photos, field="photos")
    unit = queries.unit_with_estate(unit_id) if unit_id is not None else None
    if unit is None:
        raise DomainError(_("Choose one of your own units."), field="unit")
    with transaction.atomic():
        created = receive_request(
            actor=actor,
            estate=unit.estate,
            kind=kind,
            channel=ServiceRequest.Channel.PORTAL,
            priority=priority,
            title=title,
            description=description,
            unit=unit,
            person=person,
        )
        for upload in photos:
            add_request_photo(actor=actor, service_request=created, upload=upload)
    return created
