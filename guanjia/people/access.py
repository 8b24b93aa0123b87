"""Fetch-and-authorize for the owner archive and its import jobs. Missing and forbidden both
raise Http404."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest

from guanjia.core.models import Job
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate
from guanjia.estates.models import Estate
from guanjia.people.import_stages import IMPORT_KIND
from guanjia.people.models import Attachment, Person

AnyUser = AbstractBaseUser | AnonymousUser


def signed_in(request: HttpRequest) -> AbstractBaseUser:
    """The user of a page behind login_required: never anonymous there (404 if it were)."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    return user


def can_edit_person(user: AnyUser, person: Person) -> bool:
    scope = scope_of(user)
    if scope.can(person.estate_id, Capability.EDIT_REGISTRY):
        return True
    if not scope.can(person.estate_id, Capability.EDIT_ZONE_REGISTRY):
        return False
    # A butler edits the archive of people living in their zones, and of people
    # not yet linked to any unit (just registered at the desk).
    zone_ids = set(person.residencies.filter(ended__isnull=True).values_list("unit__zone_id", flat=True))
    return not zone_ids or bool(zone_ids & scope.zone_ids)


def can_unmask(user: AnyUser, person: Person) -> bool:
    """The unmasked phone and ID number: a capability of its own, on top of reading the person.
    A butler holds it for the people of their zones only; everyone for their own entry."""
    scope = scope_of(user)
    if scope.person_id == person.pk:
        return True
    if not scope.can(person.estate_id, Capability.UNMASK_PERSONAL):
        return False
    return scope.can(person.estate_id, Capability.EDIT_REGISTRY) or can_edit_person(user, person)


def access_person(user: AnyUser, person_id: int, *, write: bool = False) -> Person:
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


def access_personal_data(user: AnyUser, person_id: int) -> Person:
    person = access_person(user, person_id)
    if not can_unmask(user, person):
        raise Http404
    return person


def access_attachment(user: AnyUser, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.select_related("person").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    access_person(user, attachment.person_id)
    return attachment


def access_estate_for_new_person(user: AnyUser, estate_id: int) -> Estate:
    """The estate, if the user may register people in it (the whole archive, or their zones)."""
    scope = scope_of(user)
    if not (scope.can(estate_id, Capability.EDIT_REGISTRY) or scope.can(estate_id, Capability.EDIT_ZONE_REGISTRY)):
        raise Http404
    return access_estate(user, estate_id)


def access_import_job(user: AnyUser, estate_id: int, job_id: int) -> tuple[Estate, Job]:
    """The estate (the user may import into it) and one of its registry import jobs."""
    estate = access_estate(user, estate_id, Capability.IMPORT_REGISTRY)
    job = Job.objects.filter(pk=job_id, estate_id=estate.pk, kind=IMPORT_KIND).first()
    if job is None:
        raise Http404
    return estate, job
