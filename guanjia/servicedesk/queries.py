"""Reads of the service desk, with their joins already applied."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Case, Count, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from guanjia.accounts.models import User
from guanjia.accounts.queries import postings_of_estate
from guanjia.core.roles import Post
from guanjia.estates.models import Estate, Unit, Zone
from guanjia.people.models import Person, Residency
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.models import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    ComplaintDetails,
    DutyManager,
    Escalation,
    RequestCall,
    RequestEvent,
    RequestPhoto,
    ReturnVisit,
    ServiceLevel,
    ServiceRequest,
)

LIST_JOINS = ("estate", "unit", "person", "zone", "first_responder", "assignee")


def my_loops(user: User) -> QuerySet[ServiceRequest]:
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


# The board's order: overdue first, then the nearest resolve deadline.
BOARD_ORDER = (F("overdue").desc(), F("resolve_by").asc(nulls_last=True), "received_at", "id")


def board(estate: Estate, *, now: dt.datetime | None = None) -> QuerySet[ServiceRequest]:
    """The head butler's board: open requests, overdue first, then the nearest resolve deadline."""
    open_requests = ServiceRequest.objects.filter(estate_id=estate.pk).exclude(status__in=FINISHED_STATUSES)
    return with_overdue(open_requests, now).select_related(*LIST_JOINS).order_by(*BOARD_ORDER)


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


COMPLAINTS_LISTED = 500  # a month's list on the complaints page; the summary counts them all


def complaints_of_month(estate: Estate, year: int, month: int) -> QuerySet[ServiceRequest]:
    """The first complaints received in the month (Asia/Shanghai), cancelled ones included,
    oldest first."""
    start, end = dl.local_month_bounds(year, month)
    return (
        ServiceRequest.objects.filter(
            estate_id=estate.pk, kind=ServiceRequest.Kind.COMPLAINT, received_at__gte=start, received_at__lt=end
        )
        .select_related("complaint", "person", "unit")
        .order_by("received_at", "id")[:COMPLAINTS_LISTED]
    )


def complaint_summary(estate: Estate, year: int, month: int) -> ComplaintSummary:
    """The month's complaints (by the day received, Asia/Shanghai): by category, valid ones,
    average time to resolve (paused time not counted), and people who complained more than once."""
    start, end = dl.local_month_bounds(year, month)
    complaints = list(
        ServiceRequest.objects.filter(
            estate_id=estate.pk, kind=ServiceRequest.Kind.COMPLAINT, received_at__gte=start, received_at__lt=end
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
    estate: Estate,
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
        in_status = ServiceRequest.objects.filter(estate_id=estate.pk, status=status)
        requests = with_overdue(in_status, now).select_related(*LIST_JOINS).order_by(*BOARD_ORDER)
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


def display_name_of(relation: str) -> Coalesce:
    """A user's display name in SQL, as str(user) gives it: the display name, else the username."""
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


def assigned_to(user: User) -> QuerySet[ServiceRequest]:
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


def service_levels_of(estate: Estate) -> list[dict[str, Any]]:
    """Every kind x priority with the limits in force: the estate's own row, else the default."""
    own = {(level.kind, level.priority): level for level in ServiceLevel.objects.filter(estate_id=estate.pk)}
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


def duty_managers_of(estate: Estate, start: dt.date, days: int) -> QuerySet[DutyManager]:
    """The duty managers the estate named for `days` duty days from `start`."""
    return (
        DutyManager.objects.filter(estate_id=estate.pk, date__gte=start, date__lt=start + dt.timedelta(days=days))
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


def loops_in_estate(user: User, estate_id: int) -> QuerySet[ServiceRequest]:
    """My loops (首问负责制) in one estate, overdue marked."""
    return with_overdue(my_loops(user).filter(estate_id=estate_id))


def assigned_in_estate(user: User, estate_id: int) -> QuerySet[ServiceRequest]:
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
    kind: str  # event, escalation, return_visit, photo, call
    item: RequestEvent | Escalation | ReturnVisit | RequestPhoto | RequestCall


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
    if include_escalations:  # the staff's timeline: calls to the contact too
        entries += [TimelineEntry(call.at, "call", call) for call in service_request.calls.select_related("caller")]
    order = {"event": 0, "return_visit": 1, "photo": 2, "call": 3, "escalation": 4}
    return sorted(entries, key=lambda entry: (entry.at, order[entry.kind], entry.item.pk))


# The statuses in which the owner may give their own confirmation and rating: resolved, after
# the staff's return visit, or closed by staff before the owner answered.
OWNER_ANSWERS = frozenset(
    {ServiceRequest.Status.RESOLVED, ServiceRequest.Status.RETURN_VISIT, ServiceRequest.Status.CLOSED}
)


def owner_answered(service_request: ServiceRequest) -> bool:
    """Whether the owner already gave their own answer to this resolution (an answer to an
    earlier one, before the request was reopened, does not count)."""
    answers = ReturnVisit.objects.filter(request_id=service_request.pk, how=ReturnVisit.How.PORTAL)
    if service_request.resolved_at is not None:
        answers = answers.filter(at__gte=service_request.resolved_at)
    return answers.exists()


def owner_may_answer(service_request: ServiceRequest) -> bool:
    """Whether the owner's confirmation form is offered (the action checks again, locked)."""
    return service_request.status in OWNER_ANSWERS and not owner_answered(service_request)


def photos_of(service_request: ServiceRequest) -> QuerySet[RequestPhoto]:
    return service_request.photos.order_by("uploaded_at", "id")


def photo_count(service_request: ServiceRequest) -> int:
    return RequestPhoto.objects.filter(request=service_request).count()


def board_zones(estate: Estate) -> list[Zone]:
    """The zones the board can be narrowed to, by code."""
    return list(Zone.objects.filter(estate=estate).order_by("code"))


def own_service_level_count(estate: Estate) -> int:
    """How many kind x priority pairs the estate set itself."""
    return ServiceLevel.objects.filter(estate=estate).count()


def user_by_id(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


# --- intake ---------------------------------------------------------------------------------

LIMIT_FIELDS = ("respond_minutes", "arrive_minutes", "resolve_minutes", "return_visit_minutes")


def allowance_from(limits: dict[str, int | None] | None, kind: str, priority: str) -> dl.Allowance:
    """The allowance of an estate's own service level row (its LIMIT_FIELDS), else the default."""
    if limits is None:
        return dl.default_allowance(kind, priority)
    return dl.Allowance(
        respond=limits["respond_minutes"],
        arrive=limits["arrive_minutes"],
        resolve=limits["resolve_minutes"],
        return_visit=limits["return_visit_minutes"],
    )


def allowance_for(estate_id: int, kind: str, priority: str) -> dl.Allowance:
    """The estate's own service level for this kind and priority, else the default."""
    limits = ServiceLevel.objects.filter(estate_id=estate_id, kind=kind, priority=priority).values(*LIMIT_FIELDS)
    return allowance_from(limits.first(), kind, priority)


# Each process keeps the service levels of the estates it has taken requests for, with the
# settings_version of the estate they were read at.
kept_service_levels: dict[int, tuple[int, dict[tuple[str, str], dict[str, int | None]]]] = {}


def kept_levels(estate: Estate) -> dict[tuple[str, str], dict[str, int | None]]:
    """The estate's own service levels by (kind, priority). Intake asks on every request, so
    they are kept in this process for as long as the estate, read by the same request, says
    that they have not changed (Estate.settings_version, moved on by set_service_level in the
    same transaction as the level)."""
    kept = kept_service_levels.get(estate.pk)
    if kept is not None and kept[0] == estate.settings_version:
        return kept[1]
    rows = ServiceLevel.objects.filter(estate_id=estate.pk).values("kind", "priority", *LIMIT_FIELDS)
    levels = {(row["kind"], row["priority"]): {name: row[name] for name in LIMIT_FIELDS} for row in rows}
    kept_service_levels[estate.pk] = (estate.settings_version, levels)
    return levels


def allowance_in(estate: Estate, kind: str, priority: str) -> dl.Allowance:
    """allowance_for, from the levels this process keeps for the estate."""
    return allowance_from(kept_levels(estate).get((kind, priority)), kind, priority)


def unit_for_intake(unit_id: int, estate_id: int) -> Unit | None:
    """The estate's unit with this id, else None."""
    try:
        return Unit.objects.get(pk=unit_id, estate_id=estate_id)
    except Unit.DoesNotExist:
        return None


def person_in_estate(person_id: int, estate_id: int) -> Person | None:
    try:
        return Person.objects.get(pk=person_id, estate_id=estate_id)
    except Person.DoesNotExist:
        return None


def person_by_id(person_id: int) -> Person:
    return Person.objects.get(pk=person_id)


def unit_with_estate(unit_id: int) -> Unit | None:
    """A unit an owner names in the portal, with what intake needs of it (estate, zone)."""
    return Unit.objects.select_related("estate", "zone").filter(pk=unit_id).first()


def unit_by_code(estate_id: int, code: str) -> Unit | None:
    return Unit.objects.filter(estate_id=estate_id, code=code).first()


def unit_in_estate(unit_id: int, estate_id: int) -> Unit | None:
    return Unit.objects.filter(pk=unit_id, estate_id=estate_id).select_related("zone").first()


def lives_in(person_id: int, unit: Unit) -> bool:
    """The person lives in the unit now (a residency not ended)."""
    return Residency.objects.filter(person_id=person_id, unit=unit, ended__isnull=True).exists()


# --- escalation -----------------------------------------------------------------------------


def overdue_requests(now: dt.datetime, estate_id: int | None = None) -> QuerySet[ServiceRequest]:
    """Every request with a deadline passed unmet, in the order of their ids."""
    requests = ServiceRequest.objects.filter(overdue_condition(now))
    if estate_id is not None:
        requests = requests.filter(estate_id=estate_id)
    return requests.order_by("id")


def rungs_reached(service_request: ServiceRequest, deadline: str) -> set[str]:
    """The rungs of the ladder already reached for one deadline of a request."""
    return set(Escalation.objects.filter(request=service_request, deadline=deadline).values_list("rung", flat=True))


def duty_manager_on(estate_id: int, date: dt.date) -> int | None:
    """The user id of the estate's duty manager for the duty day, when it named one."""
    return DutyManager.objects.filter(estate_id=estate_id, date=date).values_list("user_id", flat=True).first()


# --- service levels as they stand, the head butler's workbench, field work ------------------------


def request_steps(
    service_request: ServiceRequest, now: dt.datetime, *, return_visited_at: dt.datetime | None = None
) -> list[dl.StepTiming]:
    """Each service-level step of a request as it truly stands (met, late, overdue, open). A
    step not done on a request no longer running (cancelled, closed) is not overdue; the return
    visit is overdue only while the request waits for it (resolved)."""
    running = service_request.status in OPEN_STATUSES
    paused = service_request.paused_since is not None
    steps = []
    for name, due, done in (
        (dl.RESPOND, service_request.respond_by, service_request.responded_at),
        (dl.ARRIVE, service_request.arrive_by, service_request.arrived_at),
        (dl.RESOLVE, service_request.resolve_by, service_request.resolved_at),
    ):
        if done is None and not running:
            steps.append(dl.StepTiming(name, due, None, dl.NO_LIMIT))
        else:
            steps.append(dl.step_timing(name, due, done, now, paused=paused))
    if service_request.return_visit_by is not None:
        waiting = service_request.status == ServiceRequest.Status.RESOLVED
        if return_visited_at is None and not waiting:
            steps.append(dl.StepTiming(dl.RETURN_VISIT, service_request.return_visit_by, None, dl.NO_LIMIT))
        else:
            steps.append(dl.step_timing(dl.RETURN_VISIT, service_request.return_visit_by, return_visited_at, now))
    return steps


def return_visited_at(service_request: ServiceRequest) -> dt.datetime | None:
    """When the latest resolution was first return-visited (by staff or the owner)."""
    visits = ReturnVisit.objects.filter(request_id=service_request.pk)
    if service_request.resolved_at is not None:
        visits = visits.filter(at__gte=service_request.resolved_at)
    return visits.order_by("at").values_list("at", flat=True).first()


def service_steps(service_request: ServiceRequest, now: dt.datetime) -> list[dl.StepTiming]:
    """request_steps with the return visit read from its rows (the request page)."""
    return request_steps(service_request, now, return_visited_at=return_visited_at(service_request))


WORK_POSTS = (
    Post.HEAD_BUTLER,
    Post.BUTLER,
    Post.ASSISTANT,
    Post.TECHNICIAN,
    Post.CLEANING_CREW,
    Post.GREENING_CREW,
    Post.SECURITY_CREW,
)


def workers_of(estate_id: int) -> list[tuple[User, list[str]]]:
    """Who does the service desk's work in the estate (a request is dispatched to them): the
    butlers and their head, the assistants, the technicians and the crews; not finance, general
    affairs or the managers. Each person once, with the labels of their posts."""
    found: dict[int, tuple[User, list[str]]] = {}
    order: dict[str, int] = {post: index for index, post in enumerate(WORK_POSTS)}
    postings = [
        posting for posting in postings_of_estate(estate_id) if posting.post in order and posting.user.is_active
    ]
    for posting in sorted(postings, key=lambda posting: (order[posting.post], posting.user.username)):
        entry = found.setdefault(posting.user_id, (posting.user, []))
        entry[1].append(str(posting.get_post_display()))
    return list(found.values())


def board_rows(
    estate: Estate,
    *,
    zone_id: int | None = None,
    overdue: bool = False,
    priority: str = "",
    unassigned: bool = False,
    assignee_id: int | None = None,
    limit: int = 200,
) -> list[ServiceRequest]:
    """The board as the pages show it (at most `limit` + 1 rows, so that the page can say there
    are more): overdue first, then the nearest resolve deadline."""
    requests = filtered_board(
        estate,
        zone_id=zone_id,
        overdue=True if overdue else None,
        priority=priority,
        assignee_id=assignee_id,
    )
    if unassigned:
        requests = requests.filter(assignee__isnull=True)
    return list(requests[: limit + 1])


def unassigned_emergencies(estate: Estate, now: dt.datetime) -> list[ServiceRequest]:
    """Emergencies nobody has been dispatched to yet, the oldest first: the head butler's first
    worry."""
    return list(
        with_names(
            with_overdue(
                ServiceRequest.objects.filter(
                    estate_id=estate.pk,
                    status=ServiceRequest.Status.RECEIVED,
                    priority=ServiceRequest.Priority.EMERGENCY,
                    assignee__isnull=True,
                ),
                now,
            )
        ).order_by("received_at", "id")[:50]
    )


def escalations_to(user: User, estate: Estate, since: dt.datetime) -> list[Escalation]:
    """The escalations that reached this person in the estate since a moment, newest first."""
    return list(
        Escalation.objects.filter(notified=user, request__estate_id=estate.pk, at__gte=since)
        .select_related("request")
        .order_by("-at", "-id")[:50]
    )


@dataclass
class Workload:
    user_id: int
    name: str
    open: int
    overdue: int


def workload(estate: Estate, now: dt.datetime) -> list[Workload]:
    """Open and overdue requests per assignee, the most overdue first."""
    rows = (
        ServiceRequest.objects.filter(estate_id=estate.pk, status__in=OPEN_STATUSES, assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            name=display_name_of("assignee"),
            open=Count("id"),
            overdue=Count("id", filter=overdue_condition(now)),
        )
    )
    loads = [Workload(row["assignee_id"], row["name"], row["open"], row["overdue"]) for row in rows]
    return sorted(loads, key=lambda load: (-load.overdue, -load.open, load.name))


def open_count(estate: Estate) -> int:
    return ServiceRequest.objects.filter(estate_id=estate.pk).exclude(status__in=FINISHED_STATUSES).count()


def overdue_count(estate: Estate, now: dt.datetime) -> int:
    return ServiceRequest.objects.filter(overdue_condition(now), estate_id=estate.pk).count()


def accepted_by_assignee(service_request: ServiceRequest) -> bool:
    """Whether the assignee took the job (接单): the latest dispatch is their own, as when they
    accept it or assigned it to themselves."""
    latest = (
        RequestEvent.objects.filter(request_id=service_request.pk, action="assign")
        .order_by("-at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    return latest is not None and latest == service_request.assignee_id


def calls_of(service_request: ServiceRequest) -> QuerySet[RequestCall]:
    return service_request.calls.select_related("caller").order_by("at", "id")
