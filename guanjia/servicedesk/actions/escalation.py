"""Escalation: every minute the worker climbs the ladder (assignee → head butler → manager,
the day's duty manager outside office hours) for each deadline passed unmet."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.accounts.queries import staff_of
from guanjia.core.roles import Post
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk import queries
from guanjia.servicedesk.actions.notices import tell
from guanjia.servicedesk.models import OPEN_STATUSES, Escalation, ServiceRequest


def notify_escalation(escalation: Escalation, service_request: ServiceRequest) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        step = dl.step_label(escalation.deadline)  # 响应/到场/办结/回访, as the pages name them
        subject = _("Overdue: #%(id)s %(title)s") % {"id": service_request.pk, "title": service_request.title}
        body = _("The %(step)s time limit passed at %(due)s. You are told as: %(rung)s.") % {
            "step": step,
            "due": timezone.localtime(escalation.due_at).strftime("%Y-%m-%d %H:%M"),
            "rung": escalation.get_rung_display(),
        }
    tell(escalation.notified, service_request, subject, body, f"escalation:{escalation.pk}")


def passed_deadlines(service_request: ServiceRequest, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(deadline name, deadline) for each deadline of the request that has passed unmet. The
    name carries the reopen round so that a reopened request escalates again."""
    found: list[tuple[str, dt.datetime]] = []
    if service_request.status in OPEN_STATUSES and service_request.paused_since is None:
        for name, deadline, done in (
            (dl.RESPOND, service_request.respond_by, service_request.responded_at),
            (dl.ARRIVE, service_request.arrive_by, service_request.arrived_at),
            (dl.RESOLVE, service_request.resolve_by, service_request.resolved_at),
        ):
            if deadline is not None and dl.is_overdue(deadline, done, now):
                found.append((name, deadline))
    if (
        service_request.status == ServiceRequest.Status.RESOLVED
        and service_request.return_visit_by
        and now > service_request.return_visit_by
    ):
        found.append((dl.RETURN_VISIT, service_request.return_visit_by))
    if service_request.reopen_count:
        found = [
            (name if name in (dl.RESPOND, dl.ARRIVE) else f"{name}:{service_request.reopen_count}", deadline)
            for name, deadline in found
        ]
    return found


class Ladder:
    """Who stands on each rung for one estate, and the service levels, looked up once per
    escalation run."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.working = dl.is_working_time(now)
        self.duty_day = dl.duty_date(now)
        self.cache: dict[tuple[int, str], int | None] = {}
        self.allowances: dict[tuple[int, str, str], dl.Allowance] = {}

    def first_posted(self, estate_id: int, posts: tuple[str, ...]) -> int | None:
        key = (estate_id, ",".join(posts))
        if key not in self.cache:
            found: list[User] = []
            for post in posts:  # in order of preference
                found = staff_of(estate_id, {post})
                if found:
                    break
            self.cache[key] = found[0].pk if found else None
        return self.cache[key]

    def duty_manager(self, estate_id: int) -> int | None:
        key = (estate_id, "duty")
        if key not in self.cache:
            self.cache[key] = queries.duty_manager_on(estate_id, self.duty_day)
        return self.cache[key]

    def allowance(self, service_request: ServiceRequest) -> dl.Allowance:
        key = (service_request.estate_id, service_request.kind, service_request.priority)
        if key not in self.allowances:
            self.allowances[key] = queries.allowance_for(*key)
        return self.allowances[key]

    def upper_rung(self, estate_id: int, rung: str) -> tuple[str, int | None]:
        """In working hours the head butler or manager; outside them the day's duty manager
        (or, when the estate named none, the head butler or manager after all)."""
        posts = (Post.HEAD_BUTLER,) if rung == Escalation.Rung.HEAD_BUTLER else (Post.MANAGER, Post.DEPUTY_MANAGER)
        if not self.working:
            duty = self.duty_manager(estate_id)
            if duty is not None:
                return Escalation.Rung.DUTY_MANAGER, duty
        return rung, self.first_posted(estate_id, posts)

    def rungs_due(
        self, service_request: ServiceRequest, deadline: dt.datetime, allowance_minutes: int | None, reached: set[str]
    ) -> list[tuple[str, int]]:
        """The rungs due now and not yet reached, with whom to notify. A rung reached in office
        hours is not paged again at night; one the duty manager covered at night is still
        climbed in the morning."""
        allowance = dt.timedelta(minutes=allowance_minutes or 0)
        times = dl.rung_times(deadline, allowance)
        due: list[tuple[str, int | None]] = [
            (Escalation.Rung.ASSIGNEE, service_request.assignee_id or service_request.first_responder_id)
        ]
        for rung, due_at in (
            (Escalation.Rung.HEAD_BUTLER, times.head_butler),
            (Escalation.Rung.MANAGER, times.manager),
        ):
            if self.now >= due_at and rung not in reached:
                due.append(self.upper_rung(service_request.estate_id, rung))
        return [(rung, user_id) for rung, user_id in due if user_id is not None and rung not in reached]


def reach_rung(
    service_request: ServiceRequest, rung: str, deadline_name: str, user_id: int, due_at: dt.datetime, at: dt.datetime
) -> Escalation | None:
    """One rung reached and its notification written, in one transaction; None when a parallel
    run reached it first (the unique (request, deadline, rung) closes that race)."""
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                request=service_request, rung=rung, deadline=deadline_name, notified_id=user_id, due_at=due_at, at=at
            )
            notify_escalation(escalation, service_request)
    except IntegrityError:
        return None
    return escalation


def climb(service_request: ServiceRequest, name: str, deadline: dt.datetime, ladder: Ladder) -> list[Escalation]:
    """The rungs of one passed deadline that are due and not yet reached."""
    minutes = ladder.allowance(service_request).minutes(name.split(":")[0])
    reached = queries.rungs_reached(service_request, name)
    created: list[Escalation] = []
    for rung, user_id in ladder.rungs_due(service_request, deadline, minutes, reached):
        if rung in reached:  # the duty manager standing in for both upper rungs at night
            continue
        escalation = reach_rung(service_request, rung, name, user_id, deadline, ladder.now)
        if escalation is not None:
            reached.add(rung)
            created.append(escalation)
    return created


def escalate_request(service_request: ServiceRequest, ladder: Ladder) -> list[Escalation]:
    created: list[Escalation] = []
    for name, deadline in passed_deadlines(service_request, ladder.now):
        created.extend(climb(service_request, name, deadline, ladder))
    return created


def escalate_overdue(*, now: dt.datetime | None = None, estate_id: int | None = None) -> list[Escalation]:
    """The escalation job: climb the ladder for every passed deadline. Safe to run twice:
    a rung already reached is never created (or notified) again."""
    now = now or timezone.now()
    ladder = Ladder(now)
    created: list[Escalation] = []
    for service_request in queries.overdue_requests(now, estate_id).iterator():
        with transaction.atomic():
            created.extend(escalate_request(service_request, ladder))
    return created
