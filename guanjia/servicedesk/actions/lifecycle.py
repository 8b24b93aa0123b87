"""The life cycle of a request: the transition helper and the staff's moves along it (assign,
start, wait, resume, resolve, reopen, close, cancel).

Each status change goes through `transition`, which locks the row, checks TRANSITIONS, bumps
the version, writes one RequestEvent and one audit Change. A check that fails raises
DomainError inside the atomic block, so nothing is half-saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import User
from guanjia.accounts.queries import login_of
from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError
from guanjia.servicedesk import access, queries
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.actions.notices import tell
from guanjia.servicedesk.models import RequestEvent, ServiceRequest, next_status

S = ServiceRequest.Status

ACTION_LABELS = {
    "receive": gettext_lazy("received"),
    "assign": gettext_lazy("assigned"),
    "start": gettext_lazy("started"),
    "wait_parts": gettext_lazy("put on hold for parts"),
    "wait_owner": gettext_lazy("put on hold for the owner"),
    "resume": gettext_lazy("resumed"),
    "resolve": gettext_lazy("resolved"),
    "return_visit": gettext_lazy("return-visited"),
    "close": gettext_lazy("closed"),
    "cancel": gettext_lazy("cancelled"),
    "reopen": gettext_lazy("reopened"),
    "owner_confirm": gettext_lazy("confirmed by the owner"),
}


def refusal(service_request: ServiceRequest, action: str) -> DomainError:
    return DomainError(
        _("This request is “%(status)s” and cannot be %(action)s.")
        % {"status": service_request.get_status_display(), "action": ACTION_LABELS.get(action, action)},
        field="status",
    )


# Sets the fields that go with an action on the locked row; returns their {field: [old, new]}.
Apply = Callable[[ServiceRequest, dt.datetime], dict]


def transition(
    *,
    actor: User,
    service_request: ServiceRequest | int,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    apply: Apply | None = None,
) -> ServiceRequest:
    """Move a request along TRANSITIONS under a row lock.

    `expected_version` is the version the actor saw: when someone else changed the request in
    between, the actor is told to reload instead of acting twice. `apply` sets the fields that
    go with the action on the locked row and returns their {field: [old, new]}."""
    request_id = service_request.pk if isinstance(service_request, ServiceRequest) else service_request
    at = now or timezone.now()
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().filter(pk=request_id).first()
        if locked is None:
            raise DomainError(_("This request does not exist."), field="request")
        if expected_version is not None and locked.version != expected_version:
            raise DomainError(
                _("The request changed while you were working on it. Reload it and try again."), field="version"
            )
        to_status = next_status(locked.status, action)
        if to_status is None:
            raise refusal(locked, action)
        from_status = locked.status
        changes = apply(locked, at) if apply else {}
        if from_status != to_status:
            changes["status"] = [from_status, to_status]
        locked.status = to_status
        locked.version += 1
        locked.save()
        RequestEvent.objects.create(
            request=locked, actor=actor, at=at, from_status=from_status, to_status=to_status, action=action, note=note
        )
        record_change(actor=actor, target=locked, verb=action, changes=changes, estate_id=locked.estate_id, note=note)
    if isinstance(service_request, ServiceRequest) and service_request is not locked:
        # The caller's copy shows the new state too, so that it is never acted on stale.
        for model_field in ServiceRequest._meta.concrete_fields:
            setattr(service_request, model_field.attname, getattr(locked, model_field.attname))
    return locked


def assign_request(
    *,
    actor: User,
    service_request: ServiceRequest,
    assignee: User | None,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Dispatch (or re-dispatch) to a member of staff; the first dispatch counts as the response."""
    if assignee is None or not access.is_posted(assignee, service_request.estate_id):
        raise DomainError(_("Choose a member of staff of this estate to assign the request to."), field="assignee")

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        values: dict[str, Any] = {"assignee": assignee}
        if locked.responded_at is None:
            values["responded_at"] = at
        changes = apply_changes(locked, values)
        if assignee.pk != actor.pk:
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Assigned to you: #%(id)s %(title)s") % {"id": locked.pk, "title": locked.title}
                body = _("%(kind)s, %(priority)s. %(note)s") % {
                    "kind": locked.get_kind_display(),
                    "priority": locked.get_priority_display(),
                    "note": note,
                }
            tell(assignee, locked, subject, body.strip(), f"request:{locked.pk}:assign:{locked.version}")
        return changes

    return transition(
        actor=actor,
        service_request=service_request,
        action="assign",
        note=note,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )


def start_work(
    *,
    actor: User,
    service_request: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """The assignee is on site or at work: this meets the arrival deadline."""

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        values: dict[str, Any] = {}
        if locked.arrived_at is None:
            values["arrived_at"] = at
        if locked.responded_at is None:
            values["responded_at"] = at
        return apply_changes(locked, values)

    return transition(
        actor=actor,
        service_request=service_request,
        action="start",
        note=note,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )


def wait_for_parts(
    *,
    actor: User,
    service_request: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    return transition(
        actor=actor,
        service_request=service_request,
        action="wait_parts",
        note=note,
        expected_version=expected_version,
        now=now,
    )


def wait_for_owner(
    *,
    actor: User,
    service_request: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Waiting on the owner (access to the home, a decision) stops the service-level clock."""

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        return apply_changes(locked, {"paused_since": at})

    return transition(
        actor=actor,
        service_request=service_request,
        action="wait_owner",
        note=note,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )


def end_pause(locked: ServiceRequest, at: dt.datetime) -> dict[str, Any]:
    """The values that close a running pause: its length added up, unmet deadlines moved later."""
    if locked.paused_since is None:
        return {}
    pause = max(at - locked.paused_since, dt.timedelta(0))
    values: dict[str, Any] = {
        "paused_since": None,
        "paused_seconds": locked.paused_seconds + int(pause.total_seconds()),
    }
    for deadline, done in (("respond_by", "responded_at"), ("arrive_by", "arrived_at"), ("resolve_by", "resolved_at")):
        if getattr(locked, done) is None:
            values[deadline] = dl.shifted(getattr(locked, deadline), pause)
    return values


def resume_work(
    *,
    actor: User,
    service_request: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        return apply_changes(locked, end_pause(locked, at))

    return transition(
        actor=actor,
        service_request=service_request,
        action="resume",
        note=note,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )


def resolve_request(
    *,
    actor: User,
    service_request: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Done on our side; the return-visit clock starts when the kind calls for one."""

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        allowance = queries.allowance_for(locked.estate_id, locked.kind, locked.priority)
        changes = apply_changes(locked, {"resolved_at": at, "return_visit_by": dl.return_visit_deadline(at, allowance)})
        owner = login_of(locked.person_id)
        if owner is not None:
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Done: #%(id)s %(title)s") % {"id": locked.pk, "title": locked.title}
                body = _("We have resolved your request. Please confirm it is done, or tell us what is still wrong.")
            tell(owner, locked, subject, body, f"request:{locked.pk}:resolved:{locked.version}", portal=True)
        return changes

    return transition(
        actor=actor,
        service_request=service_request,
        action="resolve",
        note=note,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )


def tell_reopened(locked: ServiceRequest, words: str) -> None:
    """The assignee (else the first responder) learns that the owner is not satisfied."""
    recipient = locked.assignee or locked.first_responder
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Reopened: #%(id)s %(title)s") % {"id": locked.pk, "title": locked.title}
    tell(recipient, locked, subject, words, f"request:{locked.pk}:reopen:{locked.reopen_count}")


def reopen_values(locked: ServiceRequest, at: dt.datetime) -> dict[str, Any]:
    """Back to the same assignee with a fresh resolve deadline."""
    allowance = queries.allowance_for(locked.estate_id, locked.kind, locked.priority)
    return {
        "resolved_at": None,
        "closed_at": None,
        "return_visit_by": None,
        "resolve_by": dl.after(at, allowance.resolve),
        "reopen_count": locked.reopen_count + 1,
    }


def reopen_request(
    *,
    actor: User,
    service_request: ServiceRequest,
    note: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """The owner is not satisfied: the request goes back to the same assignee."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Write down why the request is reopened."), field="note")

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        changes = apply_changes(locked, reopen_values(locked, at))
        tell_reopened(locked, note)
        return changes

    return transition(
        actor=actor,
        service_request=service_request,
        action="reopen",
        note=note,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )


def close_request(
    *,
    actor: User,
    service_request: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """The owner confirms it is done. A request that owes a return visit closes only after it."""

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        if locked.status == S.RESOLVED and locked.return_visit_by is not None:
            raise DomainError(_("Make the return visit before closing this request."), field="status")
        return apply_changes(locked, {"closed_at": at})

    return transition(
        actor=actor,
        service_request=service_request,
        action="close",
        note=note,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )


def cancel_request(
    *,
    actor: User,
    service_request: ServiceRequest,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for cancelling the request."), field="reason")
    if len(reason) > 300:
        raise DomainError(_("A reason has at most 300 characters."), field="reason")

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        return apply_changes(locked, {**end_pause(locked, at), "cancel_reason": reason})

    return transition(
        actor=actor,
        service_request=service_request,
        action="cancel",
        note=reason,
        expected_version=expected_version,
        now=now,
        apply=apply,
    )
