"""The service desk over JSON: intake (staff and owner portal), lists (my loops, my work, the
board), the request with its timeline, every transition, the owner's confirmation and rating,
photos, service levels, complaint classification and summary, duty managers.

Thin: authorize (404 for missing and forbidden alike), call an action, serialize. A refusal
by the transition table answers 400; a stale `version` (someone else changed the request in
between) answers 409.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from guanjia.accounts.models import User
from guanjia.core.errors import DomainError
from guanjia.core.photos import photo_response
from guanjia.core.roles import Capability
from guanjia.core.schemas import ErrorOut, RowId
from guanjia.core.schemas import page as core_page
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate, owns_unit
from guanjia.servicedesk import access, actions, queries
from guanjia.servicedesk.models import ServiceRequest
from guanjia.servicedesk.schemas import (
    AssignIn,
    ComplaintIn,
    ComplaintOut,
    ComplaintSummaryOut,
    ConfirmIn,
    DutyManagerIn,
    DutyManagerOut,
    NoteIn,
    PhotoOut,
    PortalServiceRequestIn,
    ReasonIn,
    RejectIn,
    ReopenIn,
    ReturnVisitIn,
    ServiceLevelIn,
    ServiceLevelOut,
    ServiceRequestDetailOut,
    ServiceRequestIn,
    ServiceRequestOut,
)

router = Router(tags=["service desk"])

MAX_PAGE = 200
WRITE = {200: ServiceRequestDetailOut, 400: ErrorOut, 409: ErrorOut}


def page(rows: Any, offset: int, limit: int) -> list:
    return core_page(rows, offset, limit, most=MAX_PAGE)


def detail(request_id: int) -> ServiceRequest:
    found = queries.request_with_timeline(request_id)
    if found is None:  # only after a successful write, so it exists
        raise Http404
    return found


def staff_request(user: User, request_id: int) -> ServiceRequest:
    """A request a member of staff may act on. An owner never works the desk's transitions,
    even on a request they entered themselves through the portal."""
    service_request = access.access_request(user, request_id, write=True)
    if not scope_of(user).is_staff_member:
        raise Http404
    return service_request


def act(request_id: int, run: Callable[[], object]) -> Any:
    """Run one write; a stale version is a 409 conflict, any other refusal a 400."""
    try:
        run()
    except DomainError as error:
        if error.field == "version":
            return Status(409, error.as_dict())
        raise
    return Status(200, detail(request_id))


# --- intake -------------------------------------------------------------------------------------


@router.post(
    "/estates/{estate_id}/requests", response={201: ServiceRequestOut, 400: ErrorOut}, operation_id="requests_receive"
)
def receive(request, estate_id: int, payload: ServiceRequestIn):
    """Staff record a request; whoever records it is its first responder (首问负责制) until it
    closes. The answer is the new request (its timeline is GET /requests/{id})."""
    user = request.auth
    estate, unit = access.access_intake(user, estate_id, payload.unit_id)
    created = actions.receive_request(
        actor=user,
        estate=estate,
        kind=payload.kind,
        channel=payload.channel,
        priority=payload.priority,
        title=payload.title,
        description=payload.description,
        unit=unit,
        person=payload.person_id,
    )
    return Status(201, created)


@router.post("/me/requests", response={201: ServiceRequestOut, 400: ErrorOut}, operation_id="requests_portal_submit")
def submit_from_portal(request, payload: PortalServiceRequestIn):
    """An owner's request for one of their own units, through the portal channel."""
    user = request.auth
    person_id = scope_of(user).person_id
    if person_id is None:
        raise Http404
    unit = queries.unit_with_estate(payload.unit_id)
    if unit is None or not owns_unit(user, unit):
        raise DomainError(_("Choose one of your own units."), field="unit_id")
    created = actions.receive_request(
        actor=user,
        estate=unit.estate,
        kind=payload.kind,
        channel=ServiceRequest.Channel.PORTAL,
        priority=payload.priority,
        title=payload.title,
        description=payload.description,
        unit=unit,
        person=person_id,
    )
    return Status(201, created)


# --- lists ------------------------------------------------------------------------------------


@router.get("/me/requests", response=list[ServiceRequestOut], operation_id="requests_mine")
def my_requests(request, offset: int = 0, limit: int = 50):
    """The signed-in owner's own requests, newest first (empty for staff without an archive entry)."""
    person_id = scope_of(request.auth).person_id
    if person_id is None:
        return []
    return page(queries.requests_of_person(person_id), offset, limit)


@router.get("/me/loops", response=list[ServiceRequestOut], operation_id="requests_my_loops")
def my_loops(request, offset: int = 0, limit: int = 50):
    """首问负责制: every request the signed-in person first received that is not yet closed."""
    return page(queries.my_loops(request.auth), offset, limit)


@router.get("/me/assigned", response=list[ServiceRequestOut], operation_id="requests_assigned_to_me")
def assigned_to_me(request, offset: int = 0, limit: int = 50):
    """The work assigned to the signed-in person that is not finished."""
    return page(queries.assigned_to(request.auth), offset, limit)


@router.get("/estates/{estate_id}/requests", response=list[ServiceRequestOut], operation_id="requests_board")
def board(
    request,
    estate_id: int,
    status: str = "",
    kind: str = "",
    priority: str = "",
    zone_id: RowId | None = None,
    assignee_id: RowId | None = None,
    unit_id: RowId | None = None,
    overdue: bool | None = None,
    offset: int = 0,
    limit: int = 50,
):
    """The head butler's board: open requests, overdue first, then by the nearest resolve
    deadline. A status filter lists that status instead (closed and cancelled included)."""
    estate = access_estate(request.auth, estate_id, Capability.VIEW_REQUESTS)
    rows = queries.filtered_board(
        estate,
        status=status,
        kind=kind,
        priority=priority,
        zone_id=zone_id,
        assignee_id=assignee_id,
        unit_id=unit_id,
        overdue=overdue,
    )
    return page(rows, offset, limit)


@router.get("/requests/{request_id}", response=ServiceRequestDetailOut, operation_id="requests_get")
def get_request(request, request_id: int):
    """The request with its timeline: who, when, from, to and why for every change."""
    access.access_request(request.auth, request_id)
    return detail(request_id)


# --- transitions --------------------------------------------------------------------------------


@router.post("/requests/{request_id}/assign", response=WRITE, operation_id="requests_assign")
def assign(request, request_id: int, payload: AssignIn):
    found = staff_request(request.auth, request_id)
    assignee = queries.user_by_id(payload.assignee_id)
    return act(
        request_id,
        lambda: actions.assign_request(
            actor=request.auth,
            service_request=found,
            assignee=assignee,
            note=payload.note,
            expected_version=payload.version,
        ),
    )


def simple_transition(name: str, action: Callable[..., Any], summary: str) -> None:
    """Register POST /requests/{id}/<name> for a transition that takes only a note."""

    def endpoint(request, request_id: int, payload: NoteIn):
        found = staff_request(request.auth, request_id)
        return act(
            request_id,
            lambda: action(
                actor=request.auth, service_request=found, note=payload.note, expected_version=payload.version
            ),
        )

    endpoint.__name__ = f"requests_{name.replace('-', '_')}"
    router.post(
        f"/requests/{{request_id}}/{name}",
        response=WRITE,
        operation_id=endpoint.__name__,
        summary=summary,
    )(endpoint)


simple_transition("start", actions.start_work, "Start work (on site): meets the arrival deadline")
simple_transition("wait-parts", actions.wait_for_parts, "Put on hold waiting for parts")
simple_transition("wait-owner", actions.wait_for_owner, "Put on hold waiting for the owner (pauses the clock)")
simple_transition("resume", actions.resume_work, "Resume work after a hold")
simple_transition("resolve", actions.resolve_request, "Resolve: the return-visit clock starts")
simple_transition("close", actions.close_request, "Close (after the return visit when one is due)")


@router.post("/requests/{request_id}/cancel", response=WRITE, operation_id="requests_cancel")
def cancel(request, request_id: int, payload: ReasonIn):
    found = staff_request(request.auth, request_id)
    return act(
        request_id,
        lambda: actions.cancel_request(
            actor=request.auth, service_request=found, reason=payload.reason, expected_version=payload.version
        ),
    )


@router.post("/requests/{request_id}/reopen", response=WRITE, operation_id="requests_reopen")
def reopen(request, request_id: int, payload: ReopenIn):
    """Back to the same assignee with a fresh resolve deadline; the note says why."""
    found = staff_request(request.auth, request_id)
    return act(
        request_id,
        lambda: actions.reopen_request(
            actor=request.auth, service_request=found, note=payload.note, expected_version=payload.version
        ),
    )


@router.post("/requests/{request_id}/return-visit", response=WRITE, operation_id="requests_return_visit")
def return_visit(request, request_id: int, payload: ReturnVisitIn):
    """The return visit (回访): satisfied and solved lets it close; otherwise it is reopened
    to the same assignee with the owner's words."""
    found = staff_request(request.auth, request_id)
    return act(
        request_id,
        lambda: actions.record_return_visit(
            actor=request.auth,
            service_request=found,
            how=payload.how,
            satisfaction=payload.satisfaction,
            solved=payload.solved,
            owner_words=payload.owner_words,
            expected_version=payload.version,
        ),
    )


# --- the owner's answer -------------------------------------------------------------------------


def requester_request(user: User, request_id: int) -> ServiceRequest:
    """A request the signed-in owner is the caller of: 404 for anyone else."""
    service_request = access.access_request(user, request_id)
    person_id = scope_of(user).person_id
    if person_id is None or person_id != service_request.person_id:
        raise Http404
    return service_request


@router.post("/requests/{request_id}/confirm", response=WRITE, operation_id="requests_owner_confirm")
def confirm(request, request_id: int, payload: ConfirmIn):
    """The owner confirms the resolution and rates it 1–5; a rating of 3 or more closes the
    request, a lower one reopens it (the comment then says what is still wrong)."""
    found = requester_request(request.auth, request_id)
    return act(
        request_id,
        lambda: actions.confirm_resolution(
            actor=request.auth,
            service_request=found,
            satisfaction=payload.rating,
            solved=True,
            owner_words=payload.comment,
            expected_version=payload.version,
        ),
    )


@router.post("/requests/{request_id}/reject", response=WRITE, operation_id="requests_owner_reject")
def reject(request, request_id: int, payload: RejectIn):
    """The owner says the problem is not solved: reopened to the same assignee with their words."""
    found = requester_request(request.auth, request_id)
    return act(
        request_id,
        lambda: actions.confirm_resolution(
            actor=request.auth,
            service_request=found,
            satisfaction=payload.rating,
            solved=False,
            owner_words=payload.comment,
            expected_version=payload.version,
        ),
    )


# --- photos -------------------------------------------------------------------------------------


@router.post(
    "/requests/{request_id}/photos", response={201: PhotoOut, 400: ErrorOut}, operation_id="requests_add_photo"
)
def add_photo(request, request_id: int, photo: File[UploadedFile]):
    """A JPEG, PNG or WebP photo (checked by its content), by staff on the request or its owner."""
    found = access.access_request_for_photo(request.auth, request_id)
    return Status(201, actions.add_request_photo(actor=request.auth, service_request=found, upload=photo))


@router.get("/request-photos/{photo_id}", operation_id="requests_photo_file")
def photo_file(request, photo_id: int):
    """The photo itself, for whoever sees its request."""
    return photo_response(access.access_photo(request.auth, photo_id))


# --- complaints ---------------------------------------------------------------------------------


@router.put(
    "/requests/{request_id}/complaint", response={200: ComplaintOut, 400: ErrorOut}, operation_id="complaints_classify"
)
def classify(request, request_id: int, payload: ComplaintIn):
    """Category, validity (有效投诉) and responsible department of a complaint."""
    found = access.access_request(request.auth, request_id)
    access.require(request.auth, found.estate_id, access.ANALYSE_COMPLAINTS)
    return actions.classify_complaint(actor=request.auth, service_request=found, **payload.dict())


@router.get(
    "/estates/{estate_id}/complaints/summary",
    response={200: ComplaintSummaryOut, 400: ErrorOut},
    operation_id="complaints_summary",
)
def complaint_summary(request, estate_id: int, year: int | None = None, month: int | None = None):
    """The month's complaints (Asia/Shanghai): by category, valid ones, average hours to
    resolve and repeat complainants. Defaults to the current month."""
    estate = access_estate(request.auth, estate_id, Capability.ANALYSE_COMPLAINTS)
    today = timezone.localdate()
    year = today.year if year is None else year
    month = today.month if month is None else month
    if not 2000 <= year <= 2100:
        raise DomainError(_("Enter a year from 2000 to 2100."), field="year")
    if not 1 <= month <= 12:
        raise DomainError(_("Enter a month from 1 to 12."), field="month")
    summary = queries.complaint_summary(estate, year, month)
    return {
        "year": summary.year,
        "month": summary.month,
        "total": summary.total,
        "valid": summary.valid,
        "by_category": summary.by_category,
        "resolved": summary.resolved,
        "average_hours_to_resolve": summary.average_hours_to_resolve,
        "repeat_complainants": [
            {"person_id": person_id, "name": name, "count": count}
            for person_id, name, count in summary.repeat_complainants
        ],
    }


# --- service levels -----------------------------------------------------------------------------


@router.get("/estates/{estate_id}/service-levels", response=list[ServiceLevelOut], operation_id="service_levels_list")
def list_service_levels(request, estate_id: int):
    """Every kind and priority with the limits in force, in minutes."""
    estate = access_estate(request.auth, estate_id, Capability.VIEW_REQUESTS)
    return queries.service_levels_of(estate)


@router.put(
    "/estates/{estate_id}/service-levels/{kind}/{priority}",
    response={200: ServiceLevelOut, 400: ErrorOut},
    operation_id="service_levels_set",
)
def set_service_level(request, estate_id: int, kind: str, priority: str, payload: ServiceLevelIn):
    """The manager's limits for one kind and priority; they apply to requests received from now on."""
    estate = access_estate(request.auth, estate_id, Capability.MANAGE_SERVICE_LEVELS)
    level = actions.set_service_level(
        actor=request.auth, estate=estate, kind=kind, priority=priority, **payload.dict(exclude_unset=True)
    )
    return {
        "kind": level.kind,
        "priority": level.priority,
        "respond_minutes": level.respond_minutes,
        "arrive_minutes": level.arrive_minutes,
        "resolve_minutes": level.resolve_minutes,
        "return_visit_minutes": level.return_visit_minutes,
        "custom": True,
    }


# --- duty managers ------------------------------------------------------------------------------


@router.get("/estates/{estate_id}/duty-managers", response=list[DutyManagerOut], operation_id="duty_managers_list")
def list_duty_managers(request, estate_id: int, start: datetime.date | None = None, days: int = 31):
    """The duty managers named for the duty days from `start` (today by default)."""
    estate = access_estate(request.auth, estate_id, Capability.VIEW_REQUESTS)
    first = start or timezone.localdate()
    if not datetime.date(2000, 1, 1) <= first <= datetime.date(2100, 1, 1):
        return []
    return list(queries.duty_managers_of(estate, first, min(max(days, 1), 366)))


@router.put(
    "/estates/{estate_id}/duty-managers/{date}",
    response={200: DutyManagerOut, 400: ErrorOut},
    operation_id="duty_managers_name",
)
def name_duty_manager(request, estate_id: int, date: datetime.date, payload: DutyManagerIn):
    """Name the estate's 24-hour duty manager for one duty day (a head butler, the deputy
    manager or the manager)."""
    estate = access_estate(request.auth, estate_id, Capability.NAME_DUTY_MANAGER)
    chosen = queries.user_by_id(payload.user_id)
    return actions.name_duty_manager(actor=request.auth, estate=estate, date=date, user=chosen)
