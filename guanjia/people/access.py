"""Fetch-and-authorize for the owner archive. Missing and forbidden both raise Http404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.people.models import Attachment, Person


def can_edit_person(user: Any, person: Person) -> bool:
    scope = scope_of(user)
    if scope.can(person.estate_id, Capability.EDIT_REGISTRY):
        return True
    if not scope.can(person.estate_id, Capability.EDIT_ZONE_REGISTRY):
        return False
    # A butler edits the archive of people living in their zones, and of people
    # not yet linked to any unit (just registered at the desk).
    zone_ids = set(person.residencies.filter(ended__isnull=True).values_list("unit__zone_id", flat=True))
    return not zone_ids or bool(zone_ids & scope.zone_ids)


def access_person(user: Any, person_id: int, *, write: bool = False) -> Person:
    person = Person.objects.select_related("estate").filter(pk=person_id).first()
    if person is None:
        raise Http404
    scope = scope_of(user)
    if write:
        allowed = can_edit_person(user, person)
    else:
        allowed = scope.can(person.estate_id, Capability.VIEW_REGISTRY) or scope.person_id == person.pk
    if not allowed:
        raise Http404
    return person


def access_personal_data(user: Any, person_id: int) -> Person:
    """The unmasked phone and ID number: a capability of its own, on top of reading the person.
    A butler holds it for the people of their zones only."""
    person = access_person(user, person_id)
    scope = scope_of(user)
    if scope.person_id == person.pk:
        return person
    if not scope.can(person.estate_id, Capability.UNMASK_PERSONAL):
        raise Http404
    if not scope.can(person.estate_id, Capability.EDIT_REGISTRY) and not can_edit_person(user, person):
        raise Http404
    return person


def access_attachment(user: Any, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.select_related("person").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    access_person(user, attachment.person_id)
    return attachment
