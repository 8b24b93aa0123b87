"""Fetch-and-authorize for the owner archive and its import jobs. Missing and forbidden both
raise Http404."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import Http404, HttpRequest

from guanjia.core.models import Job
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate
from guanjia.estates.models import Estate
from guanjia.people.import_stages import IMPORT_KIND
from guanjia.people.models import Attachment, Person, Residency

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
    """The unmasked phone and ID number, and the archive's documents: a capability of its own,
    on top of reading the person. A butler holds it for the people living in their zones only
    (someone not yet linked to a unit lives in no one's zone, though a butler may register and
    edit them); everyone for their own entry."""
    scope = scope_of(user)
    if scope.person_id == person.pk:
        return True
    if not scope.can(person.estate_id, Capability.UNMASK_PERSONAL):
        return False
    if scope.can(person.estate_id, Capability.EDIT_REGISTRY):
        return True
    if not scope.can(person.estate_id, Capability.EDIT_ZONE_REGISTRY):
        return False
    return person.residencies.filter(ended__isnull=True, unit__zone_id__in=scope.zone_ids).exists()


def unmaskable_people(user: AnyUser, estate_id: int) -> Q | None:
    """The estate's people whom the user may see whole (the rule of can_unmask), as a filter
    on Person; None for nobody. The front-desk search matches more of a phone number than its
    mask shows only within it."""
    scope = scope_of(user)
    own = Q(pk=scope.person_id) if scope.person_id else None
    if scope.can(estate_id, Capability.UNMASK_PERSONAL):
        if scope.can(estate_id, Capability.EDIT_REGISTRY):
            return Q()
        if scope.can(estate_id, Capability.EDIT_ZONE_REGISTRY) and scope.zone_ids:
            living = Residency.objects.filter(ended__isnull=True, unit__zone_id__in=scope.zone_ids)
            zone = Q(pk__in=living.values("person_id"))
            return zone | own if own is not None else zone
    return own


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
    """A document of the archive (an ID copy, a contract): for those who may see the person's
    data whole (can_unmask), as the clear ID number is; the caller logs the read."""
    attachment = Attachment.objects.select_related("person").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    access_personal_data(user, attachment.person_id)
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
