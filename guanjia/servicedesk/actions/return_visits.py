"""The return visit (回访) by staff and the owner's own answer in the portal: satisfied, the
request may close; not satisfied, it goes back to the same assignee with the owner's words."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.audit import apply_changes
from guanjia.core.errors import DomainError, Problems
from guanjia.servicedesk import access
from guanjia.servicedesk.actions.choices import resolve_choice
from guanjia.servicedesk.actions.lifecycle import close_request, refusal, reopen_values, tell_reopened, transition
from guanjia.servicedesk.models import SATISFIED_FROM, ReturnVisit, ServiceRequest


def parse_rating(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= 5:
        return value
    return None


def record_return_visit(
    *,
    actor: User,
    service_request: ServiceRequest,
    how: str,
    satisfaction: int | str | None,
    solved: bool,
    owner_words: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ReturnVisit:
    """The return visit (回访). Satisfied: ready to close. Not satisfied: reopened to the same
    assignee with the owner's words."""
    problems = Problems()
    resolve_choice(how, ReturnVisit.How, "how", _("Choose how the owner was visited."), problems)
    rating = parse_rating(satisfaction)
    if rating is None:
        problems.add("satisfaction", _("Satisfaction is a whole number from 1 to 5."))
    words = (owner_words or "").strip()
    satisfied = bool(solved) and rating is not None and rating >= SATISFIED_FROM
    if rating is not None and not satisfied and not words:
        problems.add("owner_words", _("Write down what the owner said is still wrong."))
    problems.raise_if_any(_("Please correct the return visit."))
    assert rating is not None
    created: list[ReturnVisit] = []

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        if locked.status != ServiceRequest.Status.RESOLVED:
            raise refusal(locked, "return_visit")
        created.append(
            ReturnVisit.objects.create(
                request=locked, by=actor, at=at, how=how, satisfaction=rating, solved=bool(solved), owner_words=words
            )
        )
        changes = {"return_visit": [None, {"satisfaction": rating, "solved": bool(solved)}]}
        if not satisfied:
            changes.update(apply_changes(locked, reopen_values(locked, at)))
            tell_reopened(locked, words)
        return changes

    transition(
        actor=actor,
        service_request=service_request,
        action="return_visit" if satisfied else "reopen",
        note=words,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )
    return created[0]


def confirm_resolution(
    *,
    actor: User,
    service_request: ServiceRequest,
    satisfaction: int | str | None,
    solved: bool,
    owner_words: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ReturnVisit:
    """The owner answers in the portal: satisfied, the request closes with their rating; not
    satisfied, it is reopened to the same assignee with their words."""
    if not access.is_requester(actor, service_request):
        raise DomainError(_("Only the owner the request is for can confirm it."), field="request")
    with transaction.atomic():
        visit = record_return_visit(
            actor=actor,
            service_request=service_request,
            how=ReturnVisit.How.PORTAL,
            satisfaction=satisfaction,
            solved=solved,
            owner_words=owner_words,
            expected_version=expected_version,
            now=now,
        )
        if visit.satisfied:
            close_request(
                actor=actor, service_request=service_request, note=_("Confirmed by the owner in the portal."), now=now
            )
    return visit
