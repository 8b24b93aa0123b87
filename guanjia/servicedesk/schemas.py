"""The service desk's JSON shapes. Callers are named, never shown with their phone numbers."""

from __future__ import annotations

import datetime
from typing import Annotated

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from ninja import Field, Schema

from guanjia.core.schemas import RowId, column
from guanjia.servicedesk.actions import passed_deadlines
from guanjia.servicedesk.models import ComplaintDetails, ReturnVisit, ServiceLevel, ServiceRequest

# Every transition may carry the version the caller last saw: when someone else changed the
# request in between, the answer is 409 instead of acting on a stale picture.
VERSION_HELP = "The request's version as last seen; a different current version answers 409."


def display_name(user) -> str:
    return str(user) if user is not None else ""


class ServiceRequestIn(Schema):
    """A new request taken by staff (phone, walk-in, butler visit, patrol finding...)."""

    kind: Annotated[str, column(ServiceRequest, "kind")]
    channel: Annotated[str, column(ServiceRequest, "channel")]
    priority: Annotated[str, column(ServiceRequest, "priority")] = "normal"
    title: Annotated[str, column(ServiceRequest, "title")]
    description: str = ""
    unit_id: RowId | None = None
    person_id: RowId | None = None


class PortalServiceRequestIn(Schema):
    """A new request from an owner for one of their own units, through the portal."""

    unit_id: RowId
    kind: Annotated[str, column(ServiceRequest, "kind")]
    priority: Annotated[str, column(ServiceRequest, "priority")] = "normal"
    title: Annotated[str, column(ServiceRequest, "title")]
    description: str = ""


class ServiceRequestOut(Schema):
    id: int
    estate_id: int
    unit_id: int | None
    unit_code: str
    person_id: int | None
    person_name: str
    kind: str
    channel: str
    priority: str
    title: str
    description: str
    status: str
    first_responder_id: int
    first_responder_name: str
    assignee_id: int | None
    assignee_name: str
    zone_id: int | None
    received_at: datetime.datetime
    respond_by: datetime.datetime | None
    arrive_by: datetime.datetime | None
    resolve_by: datetime.datetime | None
    return_visit_by: datetime.datetime | None
    responded_at: datetime.datetime | None
    arrived_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    paused: bool
    cancel_reason: str
    reopen_count: int
    version: int
    overdue: bool

    # A list from queries.with_names carries the names as columns; otherwise they come from
    # the related objects.
    @staticmethod
    def resolve_unit_code(obj) -> str:
        if hasattr(obj, "unit_code"):
            return obj.unit_code or ""
        return obj.unit.code if obj.unit_id else ""

    @staticmethod
    def resolve_person_name(obj) -> str:
        if hasattr(obj, "person_name"):
            return obj.person_name or ""
        return obj.person.name if obj.person_id else ""

    @staticmethod
    def resolve_first_responder_name(obj) -> str:
        if hasattr(obj, "first_responder_name"):
            return obj.first_responder_name or ""
        return display_name(obj.first_responder)

    @staticmethod
    def resolve_assignee_name(obj) -> str:
        if hasattr(obj, "assignee_name"):
            return obj.assignee_name or ""
        return display_name(obj.assignee) if obj.assignee_id else ""

    @staticmethod
    def resolve_paused(obj) -> bool:
        return obj.paused_since is not None

    @staticmethod
    def resolve_overdue(obj) -> bool:
        annotated = getattr(obj, "overdue", None)
        if annotated is not None:
            return bool(annotated)
        return bool(passed_deadlines(obj, timezone.now()))


class EventOut(Schema):
    id: int
    at: datetime.datetime
    actor_id: int | None
    actor_name: str
    from_status: str
    to_status: str
    action: str
    note: str

    @staticmethod
    def resolve_actor_name(obj) -> str:
        return display_name(obj.actor) if obj.actor_id else ""


class ReturnVisitOut(Schema):
    id: int
    at: datetime.datetime
    by_id: int
    by_name: str
    how: str
    satisfaction: int
    solved: bool
    owner_words: str

    @staticmethod
    def resolve_by_name(obj) -> str:
        return display_name(obj.by)


class ComplaintOut(Schema):
    category: str
    validity: str
    department: str


class PhotoOut(Schema):
    id: int
    url: str
    name: str
    content_type: str
    uploaded_at: datetime.datetime

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/request-photos/{obj.pk}"

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.original_name


class ServiceRequestDetailOut(ServiceRequestOut):
    """The request with its timeline (one event per change), return visits and complaint details."""

    events: list[EventOut]
    return_visits: list[ReturnVisitOut]
    complaint: ComplaintOut | None
    photos: list[PhotoOut]

    @staticmethod
    def resolve_complaint(obj) -> object:
        try:
            return obj.complaint
        except ObjectDoesNotExist:
            return None


class NoteIn(Schema):
    note: str = ""
    version: Annotated[int, column(ServiceRequest, "version")] | None = Field(None, description=VERSION_HELP)


class ReasonIn(Schema):
    reason: Annotated[str, column(ServiceRequest, "cancel_reason")]
    version: Annotated[int, column(ServiceRequest, "version")] | None = Field(None, description=VERSION_HELP)


class ReopenIn(Schema):
    note: str
    version: Annotated[int, column(ServiceRequest, "version")] | None = Field(None, description=VERSION_HELP)


class AssignIn(Schema):
    assignee_id: RowId
    note: str = ""
    version: Annotated[int, column(ServiceRequest, "version")] | None = Field(None, description=VERSION_HELP)


class ReturnVisitIn(Schema):
    how: Annotated[str, column(ReturnVisit, "how")]
    satisfaction: Annotated[int, column(ReturnVisit, "satisfaction")]
    solved: bool
    owner_words: str = ""
    version: Annotated[int, column(ServiceRequest, "version")] | None = Field(None, description=VERSION_HELP)


class ConfirmIn(Schema):
    """The owner confirms the resolution and rates it (1–5)."""

    rating: Annotated[int, column(ReturnVisit, "satisfaction")]
    comment: str = ""
    version: Annotated[int, column(ServiceRequest, "version")] | None = Field(None, description=VERSION_HELP)


class RejectIn(Schema):
    """The owner says it is not solved: the request goes back to the same assignee."""

    rating: Annotated[int, column(ReturnVisit, "satisfaction")]
    comment: str
    version: Annotated[int, column(ServiceRequest, "version")] | None = Field(None, description=VERSION_HELP)


class ServiceLevelOut(Schema):
    """The time limits (minutes) in force for one kind and priority; `custom` when the
    estate set its own, else the defaults of the property service standards."""

    kind: str
    priority: str
    respond_minutes: int | None
    arrive_minutes: int | None
    resolve_minutes: int | None
    return_visit_minutes: int | None
    custom: bool


class ServiceLevelIn(Schema):
    """Only the limits given change; null removes a limit."""

    respond_minutes: Annotated[int, column(ServiceLevel, "respond_minutes")] | None = None
    arrive_minutes: Annotated[int, column(ServiceLevel, "arrive_minutes")] | None = None
    resolve_minutes: Annotated[int, column(ServiceLevel, "resolve_minutes")] | None = None
    return_visit_minutes: Annotated[int, column(ServiceLevel, "return_visit_minutes")] | None = None


class ComplaintIn(Schema):
    category: Annotated[str, column(ComplaintDetails, "category")]
    validity: Annotated[str, column(ComplaintDetails, "validity")] = "pending"
    department: Annotated[str, column(ComplaintDetails, "department")] = ""


class RepeatComplainantOut(Schema):
    person_id: int
    name: str
    count: int


class ComplaintSummaryOut(Schema):
    year: int
    month: int
    total: int
    valid: int
    by_category: dict[str, int]
    resolved: int
    average_hours_to_resolve: float | None
    repeat_complainants: list[RepeatComplainantOut]


class DutyManagerIn(Schema):
    user_id: RowId


class DutyManagerOut(Schema):
    date: datetime.date
    user_id: int
    user_name: str

    @staticmethod
    def resolve_user_name(obj) -> str:
        return display_name(obj.user)
