"""Reads of the service desk, with their joins already applied."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.models import FINISHED_STATUSES, OPEN_STATUSES, ComplaintDetails, ServiceRequest

LIST_JOINS = ("estate", "unit", "person", "zone", "first_responder", "assignee")


def my_loops(user: Any) -> QuerySet[ServiceRequest]:
    """首问负责制: every request this person first received and the owner has not yet closed."""
    return (
        ServiceRequest.objects.filter(first_responder=user)
        .exclude(status__in=FINISHED_STATUSES)
        .select_related(*LIST_JOINS)
        .order_by("received_at", "id")
    )


def overdue_condition(now: dt.datetime) -> Q:
    """A deadline passed and not met; a paused clock (waiting on the owner) is never overdue."""
    running = Q(status__in=OPEN_STATUSES, paused_since__isnull=True) & (
        Q(respond_by__lt=now, responded_at__isnull=True)
        | Q(arrive_by__lt=now, arrived_at__isnull=True)
        | Q(resolve_by__lt=now, resolved_at__isnull=True)
    )
    return running | Q(status=ServiceRequest.Status.RESOLVED, return_visit_by__lt=now)


def board(estate: Any, *, now: dt.datetime | None = None) -> QuerySet[ServiceRequest]:
    """The head butler's board: open requests, overdue first, then the nearest resolve deadline."""
    now = now or timezone.now()
    estate_id = getattr(estate, "pk", estate)
    return (
        ServiceRequest.objects.filter(estate_id=estate_id)
        .exclude(status__in=FINISHED_STATUSES)
        .annotate(
            overdue=Case(
                When(overdue_condition(now), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .select_related(*LIST_JOINS)
        .order_by(F("overdue").desc(), F("resolve_by").asc(nulls_last=True), "received_at", "id")
    )


@dataclass
class ComplaintSummary:
    year: int
    month: int
    total: int = 0
    valid: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    average_hours_to_resolve: float | None = None
    repeat_complainants: list[tuple[int, str, int]] = field(default_factory=list)  # (person id, name, count)


def complaint_summary(estate: Any, year: int, month: int) -> ComplaintSummary:
    """The month's complaints (by the day received, Asia/Shanghai): by category, valid ones,
    average time to resolve (paused time not counted), and people who complained more than once."""
    start, end = dl.local_month_bounds(year, month)
    estate_id = getattr(estate, "pk", estate)
    complaints = list(
        ServiceRequest.objects.filter(
            estate_id=estate_id, kind=ServiceRequest.Kind.COMPLAINT, received_at__gte=start, received_at__lt=end
        )
        .exclude(status=ServiceRequest.Status.CANCELLED)
        .select_related("complaint", "person")
    )
    summary = ComplaintSummary(year=year, month=month, total=len(complaints))
    categories: Counter[str] = Counter()
    people: Counter[int] = Counter()
    names: dict[int, str] = {}
    durations: list[float] = []
    for service_request in complaints:
        details: ComplaintDetails | None = getattr(service_request, "complaint", None)
        categories[details.category if details and details.category else ""] += 1
        if details and details.validity == ComplaintDetails.Validity.VALID:
            summary.valid += 1
        if service_request.resolved_at is not None:
            elapsed = dl.effective_elapsed(
                service_request.received_at, service_request.resolved_at, service_request.paused_seconds
            )
            durations.append(elapsed.total_seconds() / 3600)
        if service_request.person_id is not None and service_request.person is not None:
            people[service_request.person_id] += 1
            names[service_request.person_id] = service_request.person.name
    summary.by_category = dict(categories.most_common())
    summary.resolved = len(durations)
    if durations:
        summary.average_hours_to_resolve = round(sum(durations) / len(durations), 1)
    summary.repeat_complainants = [
        (person_id, names[person_id], count) for person_id, count in people.most_common() if count > 1
    ]
    return summary


def open_requests_of_unit(unit_id: int) -> QuerySet[ServiceRequest]:
    """What the front desk should know is still open for a unit."""
    return (
        ServiceRequest.objects.filter(unit_id=unit_id, status__in=OPEN_STATUSES)
        .select_related("assignee", "first_responder")
        .order_by("received_at")
    )


# --- API reads (servicedesk_api) ------------------------------------------------------------
# Pure reads for guanjia/servicedesk/api.py. Kept in this section so that edits elsewhere in
# the file do not collide with it.


def filtered_board(
    estate: Any,
    *,
    now: dt.datetime | None = None,
    status: str = "",
    kind: str = "",
    priority: str = "",
    zone_id: int | None = None,
    assignee_id: int | None = None,
    unit_id: int | None = None,
    overdue: bool | None = None,
) -> QuerySet[ServiceRequest]:
    """The board with the API's filters. Without a status it is board() itself (open work,
    overdue first); a status, even a finished one, lists the requests in that status, in the
    board's order."""
    now = now or timezone.now()
    requests = board(estate, now=now)
    if status:
        estate_id = getattr(estate, "pk", estate)
        requests = (
            ServiceRequest.objects.filter(estate_id=estate_id, status=status)
            .annotate(
                overdue=Case(
                    When(overdue_condition(now), then=Value(True)), default=Value(False), output_field=BooleanField()
                )
            )
            .select_related(*LIST_JOINS)
            .order_by(F("overdue").desc(), F("resolve_by").asc(nulls_last=True), "received_at", "id")
        )
    filters: dict[str, Any] = {}
    if kind:
        filters["kind"] = kind
    if priority:
        filters["priority"] = priority
    if zone_id is not None:
        filters["zone_id"] = zone_id
    if assignee_id is not None:
        filters["assignee_id"] = assignee_id
    if unit_id is not None:
        filters["unit_id"] = unit_id
    if overdue is not None:
        filters["overdue"] = overdue
    return with_names(requests.filter(**filters))


def display_name_of(relation: str) -> Any:
    """A user's display name in SQL, as str(user) gives it: the display name, else the username."""
    from django.db.models.functions import Coalesce, NullIf

    return Coalesce(NullIf(F(f"{relation}__display_name"), Value("")), F(f"{relation}__username"))


def with_names(requests: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """A list of requests carrying the names it shows (unit code, caller, first responder,
    assignee) as plain columns instead of six joined model instances per row: the board reads
    fifty rows at a time from a table of millions, and building the related objects cost more
    than the query."""
    return requests.select_related(None).annotate(
        unit_code=F("unit__code"),
        person_name=F("person__name"),
        first_responder_name=display_name_of("first_responder"),
        assignee_name=display_name_of("assignee"),
    )


def assigned_to(user: Any) -> QuerySet[ServiceRequest]:
    """The work on someone's desk: requests assigned to them that are not finished."""
    return (
        ServiceRequest.objects.filter(assignee=user)
        .exclude(status__in=FINISHED_STATUSES)
        .select_related(*LIST_JOINS)
        .order_by("received_at", "id")
    )


def requests_of_person(person_id: int) -> QuerySet[ServiceRequest]:
    """An owner's own requests (the portal), newest first."""
    return (
        ServiceRequest.objects.filter(person_id=person_id).select_related(*LIST_JOINS).order_by("-received_at", "-id")
    )


def request_with_timeline(request_id: int) -> ServiceRequest | None:
    """One request with its events, return visits and complaint details loaded."""
    from django.db.models import Prefetch

    from guanjia.servicedesk.models import RequestEvent, ReturnVisit

    return (
        ServiceRequest.objects.select_related(*LIST_JOINS, "complaint")
        .prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("return_visits", queryset=ReturnVisit.objects.select_related("by").order_by("at", "id")),
            "photos",
        )
        .filter(pk=request_id)
        .first()
    )


def service_levels_of(estate: Any) -> list[dict[str, Any]]:
    """Every kind x priority with the limits in force: the estate's own row, else the default."""
    from guanjia.servicedesk.models import ServiceLevel

    estate_id = getattr(estate, "pk", estate)
    own = {(level.kind, level.priority): level for level in ServiceLevel.objects.filter(estate_id=estate_id)}
    rows = []
    for kind in ServiceRequest.Kind.values:
        for priority in ServiceRequest.Priority.values:
            level = own.get((kind, priority))
            if level is not None:
                limits = (
                    level.respond_minutes,
                    level.arrive_minutes,
                    level.resolve_minutes,
                    level.return_visit_minutes,
                )
            else:
                default = dl.default_allowance(kind, priority)
                limits = (default.respond, default.arrive, default.resolve, default.return_visit)
            rows.append(
                {
                    "kind": kind,
                    "priority": priority,
                    "respond_minutes": limits[0],
                    "arrive_minutes": limits[1],
                    "resolve_minutes": limits[2],
                    "return_visit_minutes": limits[3],
                    "custom": level is not None,
                }
            )
    return rows


def duty_managers_of(estate: Any, start: dt.date, days: int) -> QuerySet[Any]:
    """The duty managers the estate named for `days` duty days from `start`."""
    from guanjia.servicedesk.models import DutyManager

    estate_id = getattr(estate, "pk", estate)
    return (
        DutyManager.objects.filter(estate_id=estate_id, date__gte=start, date__lt=start + dt.timedelta(days=days))
        .select_related("user")
        .order_by("date")
    )


def with_overdue(requests: QuerySet[ServiceRequest], now: dt.datetime | None = None) -> QuerySet[ServiceRequest]:
    """The same requests, each marked `overdue` when a deadline has passed unmet."""
    return requests.annotate(
        overdue=Case(
            When(overdue_condition(now or timezone.now()), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def loops_in_estate(user: Any, estate_id: int) -> QuerySet[ServiceRequest]:
    """My loops (首问负责制) in one estate, overdue marked."""
    return with_overdue(my_loops(user).filter(estate_id=estate_id))


def assigned_in_estate(user: Any, estate_id: int) -> QuerySet[ServiceRequest]:
    """The work assigned to this person in one estate and not yet resolved: oldest first."""
    return with_overdue(assigned_to(user).filter(estate_id=estate_id, status__in=OPEN_STATUSES))


def open_requests_of_person(person_id: int) -> QuerySet[ServiceRequest]:
    """What the caller still has open, for the intake screen."""
    return with_overdue(
        ServiceRequest.objects.filter(person_id=person_id)
        .exclude(status__in=FINISHED_STATUSES)
        .select_related("unit", "assignee", "first_responder")
        .order_by("received_at", "id")
    )


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # event, escalation, return_visit, photo
    item: Any


def timeline(service_request: ServiceRequest, *, include_escalations: bool = True) -> list[TimelineEntry]:
    """Everything that happened to a request, in time order: status changes, escalations,
    return visits and photos."""
    entries = [
        TimelineEntry(event.at, "event", event)
        for event in service_request.events.select_related("actor").order_by("at", "id")
    ]
    if include_escalations:
        entries += [
            TimelineEntry(escalation.at, "escalation", escalation)
            for escalation in service_request.escalations.select_related("notified").order_by("at", "id")
        ]
    entries += [
        TimelineEntry(visit.at, "return_visit", visit) for visit in service_request.return_visits.select_related("by")
    ]
    entries += [
        TimelineEntry(photo.uploaded_at, "photo", photo)
        for photo in service_request.photos.select_related("uploaded_by")
    ]
    order = {"event": 0, "return_visit": 1, "photo": 2, "escalation": 3}
    return sorted(entries, key=lambda entry: (entry.at, order[entry.kind], entry.item.pk))
