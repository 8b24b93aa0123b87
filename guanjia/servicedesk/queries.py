"""Reads of the service desk, with their joins already applied."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.models import FINISHED_STATUSES, OPEN_STATUSES, ComplaintDetails, Request

LIST_JOINS = ("estate", "unit", "person", "zone", "first_responder", "assignee")


def my_loops(user: Any) -> QuerySet[Request]:
    """首问负责制: every request this person first received and the owner has not yet closed."""
    return (
        Request.objects.filter(first_responder=user)
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
    return running | Q(status=Request.Status.RESOLVED, return_visit_by__lt=now)


def board(estate: Any, *, now: dt.datetime | None = None) -> QuerySet[Request]:
    """The head butler's board: open requests, overdue first, then the nearest resolve deadline."""
    now = now or timezone.now()
    estate_id = getattr(estate, "pk", estate)
    return (
        Request.objects.filter(estate_id=estate_id)
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
        Request.objects.filter(
            estate_id=estate_id, kind=Request.Kind.COMPLAINT, received_at__gte=start, received_at__lt=end
        )
        .exclude(status=Request.Status.CANCELLED)
        .select_related("complaint", "person")
    )
    summary = ComplaintSummary(year=year, month=month, total=len(complaints))
    categories: Counter[str] = Counter()
    people: Counter[int] = Counter()
    names: dict[int, str] = {}
    durations: list[float] = []
    for request in complaints:
        details: ComplaintDetails | None = getattr(request, "complaint", None)
        categories[details.category if details and details.category else ""] += 1
        if details and details.validity == ComplaintDetails.Validity.VALID:
            summary.valid += 1
        if request.resolved_at is not None:
            elapsed = dl.effective_elapsed(request.received_at, request.resolved_at, request.paused_seconds)
            durations.append(elapsed.total_seconds() / 3600)
        if request.person_id is not None and request.person is not None:
            people[request.person_id] += 1
            names[request.person_id] = request.person.name
    summary.by_category = dict(categories.most_common())
    summary.resolved = len(durations)
    if durations:
        summary.average_hours_to_resolve = round(sum(durations) / len(durations), 1)
    summary.repeat_complainants = [
        (person_id, names[person_id], count) for person_id, count in people.most_common() if count > 1
    ]
    return summary


def open_requests_of_unit(unit_id: int) -> QuerySet[Request]:
    """What the front desk should know is still open for a unit."""
    return (
        Request.objects.filter(unit_id=unit_id, status__in=OPEN_STATUSES)
        .select_related("assignee", "first_responder")
        .order_by("received_at")
    )
