"""The return visit (回访) by staff and the owner's own answer in the portal, two facts kept
side by side: satisfied, the request may close; not satisfied, it goes back to the same
assignee with the owner's words."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.audit import apply_changes
from guanjia.core.errors import DomainError, Problems
from guanjia.servicedesk import access, queries
from guanjia.servicedesk.actions.choices import resolve_choice
from guanjia.servicedesk.actions.lifecycle import refusal, reopen_values, tell_reopened, transition
from guanjia.servicedesk.models import SATISFIED_FROM, ReturnVisit, ServiceRequest


def parse_rating(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= 5:
        return value
    return None


def check_answer(how: str, satisfaction: int | str | None, solved: bool, owner_words: str) -> tuple[int, str, bool]:
    """(rating, the owner's words, satisfied) of a return visit or of the owner's answer, or
    DomainError naming every field that is wrong."""
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
    return rating, words, satisfied


def record_answer(
    locked: ServiceRequest,
    actor: User,
    at: dt.datetime,
    how: str,
    rating: int,
    solved: bool,
    words: str,
    *,
    satisfied: bool,
    change: str,
) -> tuple[ReturnVisit, dict]:
    """An answer (the staff's return visit or the owner's own), under the request's lock: its
    row, the change it makes, and when the owner is not satisfied, the request reopened to the
    same assignee who is told what is still wrong."""
    visit = ReturnVisit.objects.create(
        request=locked, by=actor, at=at, how=how, satisfaction=rating, solved=bool(solved), owner_words=words
    )
    changes: dict = {change: [None, {"satisfaction": rating, "solved": bool(solved)}]}
    if not satisfied:
        changes.update(apply_changes(locked, reopen_values(locked, at)))
        tell_reopened(locked, words)
    return visit, changes


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
    """The return visit (回访) by staff. Satisfied: ready to close. Not satisfied: reopened to
    the same assignee with the owner's words. "Owner portal" is not a way staff visit: it is
    the owner's own answer (confirm_resolution), kept as a fact of its own."""
    if how == ReturnVisit.How.PORTAL:
        raise DomainError(_("Record a phone call or a visit; the owner answers in the portal themselves."), field="how")
    rating, words, satisfied = check_answer(how, satisfaction, solved, owner_words)
    created: list[ReturnVisit] = []

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        if locked.status != ServiceRequest.Status.RESOLVED:
            raise refusal(locked, "return_visit")
        visit, changes = record_answer(
            locked, actor, at, how, rating, solved, words, satisfied=satisfied, change="return_visit"
        )
        created.append(visit)
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
    """The owner answers in the portal, once per resolution: resolved, after the staff's
    return visit, or after staff closed it. Their rating is kept as its own row beside the
    staff's return visit. Satisfied: the request closes (or stays closed); not satisfied: it
    is reopened to the same assignee with their words."""
    if not access.is_requester(actor, service_request):
        raise DomainError(_("Only the owner the request is for can confirm it."), field="request")
    rating, words, satisfied = check_answer(ReturnVisit.How.PORTAL, satisfaction, solved, owner_words)
    created: list[ReturnVisit] = []

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        # Under the request's row lock: two answers at once are taken one after the other,
        # and the second finds the first.
        if locked.status not in queries.OWNER_ANSWERS:
            raise refusal(locked, "owner_confirm")
        if queries.owner_answered(locked):
            raise DomainError(_("You have already answered for this request."), field="status")
        visit, changes = record_answer(
            locked, actor, at, ReturnVisit.How.PORTAL, rating, solved, words, satisfied=satisfied, change="owner_rating"
        )
        created.append(visit)
        if satisfied and locked.closed_at is None:
            changes.update(apply_changes(locked, {"closed_at": at}))
        return changes

    transition(
        actor=actor,
        service_request=service_request,
        action="owner_confirm" if satisfied else "reopen",
        note=words,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )
    return created[0]
