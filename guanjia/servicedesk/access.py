"""Fetch-and-authorize for the service desk. Missing and forbidden both raise Http404.

The capabilities themselves are in the central table, guanjia.core.roles.
"""

from __future__ import annotations

from django.http import Http404

from guanjia.accounts.models import User
from guanjia.core.roles import Capability, Post
from guanjia.core.scope import posts_in, scope_of
from guanjia.estates.models import Estate, Unit
from guanjia.servicedesk.models import FINISHED_STATUSES, RequestPhoto, ServiceRequest

# The service desk's capabilities, named here for the actions and tests that use them.
VIEW_REQUESTS = Capability.VIEW_REQUESTS  # see every request of the estate
HANDLE_REQUESTS = Capability.HANDLE_REQUESTS  # act on every request of the estate (dispatch, close...)
HANDLE_ZONE_REQUESTS = Capability.HANDLE_ZONE_REQUESTS  # act on the requests of own zones
MANAGE_SERVICE_LEVELS = Capability.MANAGE_SERVICE_LEVELS  # edit the time limits
ANALYSE_COMPLAINTS = Capability.ANALYSE_COMPLAINTS  # classify complaints, the monthly summary
NAME_DUTY_MANAGER = Capability.NAME_DUTY_MANAGER  # name the day's 24-hour duty manager
# Who may stand as the 24-hour duty manager (head butlers, the deputy manager and above).
DUTY_MANAGER_POSTS = frozenset({Post.MANAGER, Post.DEPUTY_MANAGER, Post.HEAD_BUTLER})


def can(user: User, estate_id: int | None, capability: str) -> bool:
    return scope_of(user).can(estate_id, capability)


def is_posted(user: User, estate_id: int) -> bool:
    return bool(posts_in(user, estate_id))


def can_see(user: User, service_request: ServiceRequest) -> bool:
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return False
    # 首问负责制: the first responder keeps the loop, whoever it is assigned to.
    if user_id in (service_request.first_responder_id, service_request.assignee_id):
        return True
    if can(user, service_request.estate_id, VIEW_REQUESTS):
        return True
    person_id = scope_of(user).person_id
    return person_id is not None and person_id == service_request.person_id


def can_act(user: User, service_request: ServiceRequest) -> bool:
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return False
    if user_id == service_request.first_responder_id:
        return True
    # The assignee works on it only while they are still posted to the estate.
    if user_id == service_request.assignee_id and is_posted(user, service_request.estate_id):
        return True
    if can(user, service_request.estate_id, HANDLE_REQUESTS):
        return True
    return (
        can(user, service_request.estate_id, HANDLE_ZONE_REQUESTS)
        and service_request.zone_id in scope_of(user).zone_ids
    )


def access_request(user: User, request_id: int, *, write: bool = False) -> ServiceRequest:
    service_request = (
        ServiceRequest.objects.select_related("estate", "unit", "person", "zone", "first_responder", "assignee")
        .filter(pk=request_id)
        .first()
    )
    if service_request is None:
        raise Http404
    allowed = can_act(user, service_request) if write else can_see(user, service_request)
    if not allowed:
        raise Http404
    return service_request


def require(user: User, estate_id: int, rule: str) -> None:
    """For estate-wide settings (service levels, duty managers): 404 unless the rule holds."""
    if not can(user, estate_id, rule):
        raise Http404


def is_requester(user: User, service_request: ServiceRequest) -> bool:
    """The owner or occupant the request is for, signed in to the portal."""
    person_id = scope_of(user).person_id
    return person_id is not None and person_id == service_request.person_id


def can_add_photo(user: User, service_request: ServiceRequest) -> bool:
    """Whoever may act on the request, and the owner it is for, while it is not finished."""
    if service_request.status in FINISHED_STATUSES:
        return False
    return can_act(user, service_request) or is_requester(user, service_request)


def access_request_for_photo(user: User, request_id: int) -> ServiceRequest:
    """The request a photo is being added to: 404 unless the user may add one."""
    service_request = access_request(user, request_id)
    if not (can_act(user, service_request) or is_requester(user, service_request)):
        raise Http404
    return service_request


def access_photo(user: User, photo_id: int) -> RequestPhoto:
    """A photo is seen by whoever sees its request."""
    photo = RequestPhoto.objects.select_related("request").filter(pk=photo_id).first()
    if photo is None or not can_see(user, photo.request):
        raise Http404
    return photo


def access_portal_request(user: User, request_id: int) -> ServiceRequest:
    """A request in the owner portal: only the owner it is for."""
    found = (
        ServiceRequest.objects.select_related("estate", "unit", "assignee", "first_responder")
        .filter(pk=request_id)
        .first()
    )
    if found is None or not is_requester(user, found):
        raise Http404
    return found


def access_intake(user: User, estate_id: int, unit_id: int | None) -> tuple[Estate, Unit | int | None]:
    """The estate a member of staff takes a request for, and the unit the request names: read
    together, in one query, when the unit is the estate's (intake is the desk's busiest request).
    Any other unit id comes back as it was given, for intake to refuse on its field."""
    if not is_posted(user, estate_id):
        raise Http404
    if unit_id is not None:
        try:
            unit = Unit.objects.select_related("estate").get(pk=unit_id, estate_id=estate_id)
        except Unit.DoesNotExist:
            pass
        else:
            return unit.estate, unit
    return access_estate_desk(user, estate_id), unit_id


def access_estate_desk(user: User, estate_id: int) -> Estate:
    """Pages every member of staff of the estate has (my loops, my work, taking a request):
    404 for the rest."""
    if not is_posted(user, estate_id):
        raise Http404
    try:
        return Estate.objects.get(pk=estate_id)
    except Estate.DoesNotExist:
        raise Http404 from None
