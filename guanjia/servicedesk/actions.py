"""Every write of the service desk: intake, the life cycle, return visits, complaints,
service levels, duty managers and the escalation job.

Each status change goes through `transition`, which locks the row, checks TRANSITIONS,
bumps the version, writes one RequestEvent and one audit Change. A check that fails raises
DomainError inside the atomic block, so nothing is half-saved.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.accounts.models import User
from guanjia.accounts.queries import login_of, staff_of
from guanjia.core.audit import apply_changes, new_change, plain, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.photos import check_photo, store_photo, upload_name
from guanjia.core.roles import Post
from guanjia.core.sql import fetch_in_estate, insert_with_dependents
from guanjia.notifications.actions import notify
from guanjia.servicedesk import access, queries
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.models import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    SATISFIED_FROM,
    ComplaintDetails,
    DutyManager,
    Escalation,
    RequestEvent,
    RequestPhoto,
    ReturnVisit,
    ServiceLevel,
    ServiceRequest,
    next_status,
)

logger = logging.getLogger(__name__)
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
}
UNCHANGED: Any = object()  # a keyword argument not given
MAX_MINUTES = 366 * dl.DAY  # a service level longer than a year is a typing mistake


def request_link(service_request: ServiceRequest, *, portal: bool = False) -> str:
    return reverse("servicedesk:portal_request" if portal else "servicedesk:request", args=[service_request.pk])


def tell(
    recipient: Any, service_request: ServiceRequest, subject: Any, body: Any, dedupe_key: str, *, portal: bool = False
) -> None:
    """One notification about a request, written in the caller's transaction (the outbox sends
    it after commit). Written in the site's language: the recipient is not the one acting."""
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient=recipient,
            subject=str(subject),
            body=str(body),
            link=request_link(service_request, portal=portal),
            estate=service_request.estate,
            dedupe_key=dedupe_key,
        )


def notify_escalation(escalation: Escalation, service_request: ServiceRequest) -> None:
    deadline_names = {
        dl.RESPOND: gettext_lazy("respond"),
        dl.ARRIVE: gettext_lazy("be on site"),
        dl.RESOLVE: gettext_lazy("resolve"),
        dl.RETURN_VISIT: gettext_lazy("return-visit"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        what = deadline_names.get(escalation.deadline.split(":")[0], escalation.deadline)
        subject = _("Overdue: #%(id)s %(title)s") % {"id": service_request.pk, "title": service_request.title}
        body = _("The time to %(what)s passed at %(due)s. You are told as: %(rung)s.") % {
            "what": what,
            "due": timezone.localtime(escalation.due_at).strftime("%Y-%m-%d %H:%M"),
            "rung": escalation.get_rung_display(),
        }
    tell(escalation.notified, service_request, subject, body, f"escalation:{escalation.pk}")


def allowance_for(estate_id: int, kind: str, priority: str) -> dl.Allowance:
    """The estate's own service level for this kind and priority, else the default. Asked on
    every intake: one plain query (see core/sql.py for why the ORM is bypassed)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT respond_minutes, arrive_minutes, resolve_minutes, return_visit_minutes "  # noqa: S608
            f"FROM {quote(ServiceLevel._meta.db_table)} WHERE estate_id = %s AND kind = %s AND priority = %s",
            [estate_id, kind, priority],
        )
        level = cursor.fetchone()
    if level is None:
        return dl.default_allowance(kind, priority)
    return dl.Allowance(respond=level[0], arrive=level[1], resolve=level[2], return_visit=level[3])


def refusal(service_request: ServiceRequest, action: str) -> DomainError:
    return DomainError(
        _("This request is “%(status)s” and cannot be %(action)s.")
        % {"status": service_request.get_status_display(), "action": ACTION_LABELS.get(action, action)},
        field="status",
    )


Apply = Callable[[ServiceRequest, dt.datetime], dict]


def transition(
    *,
    actor: Any,
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


def resolve_choice(value: Any, choices: type, field: str, message: str, problems: Problems) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        problems.add(field, message)
        return ""
    return str(value)


def find_in_estate(model_label: str, value: Any, estate_id: int) -> Any:
    """A unit or person given as an instance or an id, only when it belongs to the estate."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    model = apps.get_model(model_label)
    if isinstance(value, model):
        return value if value.estate_id == estate_id else False
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return False
    return fetch_in_estate(model, pk, estate_id) or False


def receive_request(
    *,
    actor: Any,
    estate: Any,
    kind: str,
    channel: str,
    title: str,
    priority: str = ServiceRequest.Priority.NORMAL,
    description: str = "",
    unit: Any = None,
    person: Any = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Record a new request. The actor becomes its first responder (首问负责制) for good; a
    request an owner submits in the portal is owned by their zone's butler (decision 0003)."""
    problems = Problems()
    from_portal = channel == ServiceRequest.Channel.PORTAL and not access.is_posted(actor, estate.pk)
    if not from_portal and not access.is_posted(actor, estate.pk):
        problems.add("first_responder", _("Only staff of this estate can receive its requests."))
    kind = resolve_choice(kind, ServiceRequest.Kind, "kind", _("Choose the kind of request from the list."), problems)
    channel = resolve_choice(channel, ServiceRequest.Channel, "channel", _("Choose how the request came in."), problems)
    priority = resolve_choice(
        priority, ServiceRequest.Priority, "priority", _("Choose a priority from the list."), problems
    )
    title = (title or "").strip()
    if not title:
        problems.add("title", _("Enter a short title for the request."))
    elif len(title) > 200:
        problems.add("title", _("A title has at most 200 characters."))
    found_unit = find_in_estate("estates.Unit", unit, estate.pk)
    if found_unit is False:
        problems.add("unit", _("Choose a unit of this estate."))
    elif found_unit is None and kind == ServiceRequest.Kind.REPAIR_IN_UNIT:
        problems.add("unit", _("An in-unit repair needs the unit."))
    found_person = find_in_estate("people.Person", person, estate.pk)
    if found_person is False:
        problems.add("person", _("Choose an owner or occupant of this estate."))
    first_responder = actor
    if from_portal:
        first_responder, found_person = check_portal_intake(actor, found_unit, found_person, problems)
    problems.raise_if_any(_("Please correct the request."))

    at = now or timezone.now()
    allowance = allowance_for(estate.pk, kind, priority)
    due = dl.intake_deadlines(at, allowance)
    service_request = ServiceRequest(
        estate=estate,
        unit=found_unit,
        person=found_person,
        kind=kind,
        channel=channel,
        priority=priority,
        title=title,
        description=(description or "").strip(),
        first_responder=first_responder,
        zone_id=found_unit.zone_id if found_unit else None,
        received_at=at,
        respond_by=due.respond_by,
        arrive_by=due.arrive_by,
        resolve_by=due.resolve_by,
    )
    audited = ("kind", "channel", "priority", "title", "unit", "person", "first_responder", "resolve_by")
    dependents: list[tuple[Any, str]] = [
        (
            RequestEvent(request=service_request, actor=actor, at=at, to_status=S.RECEIVED, action="receive"),
            "request_id",
        ),
        (
            new_change(
                actor=actor,
                target=service_request,
                verb="create",
                estate_id=estate.pk,
                changes={name: [None, plain(getattr(service_request, name))] for name in audited},
            ),
            "object_id",
        ),
    ]
    if kind == ServiceRequest.Kind.COMPLAINT:
        dependents.append((ComplaintDetails(request=service_request), "request_id"))
    # The request, its first event, its audit entry (and a complaint's details): one statement
    # on PostgreSQL, so that intake, the desk's other busy write, costs one round trip to write.
    insert_with_dependents(service_request, dependents)
    if first_responder != actor:
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("New request from the portal: #%(id)s %(title)s") % {"id": service_request.pk, "title": title}
            body = _("%(unit)s: %(kind)s. You are its first responder.") % {
                "unit": found_unit.code if found_unit else "",
                "kind": service_request.get_kind_display(),
            }
        # After the request is in, in a transaction of its own (the caller's, if any).
        with transaction.atomic():
            tell(first_responder, service_request, subject, body, f"request:{service_request.pk}:received")
    return service_request


def portal_first_responder(unit: Any) -> Any:
    """Decision 0003: a request from the owner portal belongs to the butler of the unit's zone,
    else (no zone, no butler, or the butler no longer posted) to the estate's head butler."""
    butler_id = unit.zone.butler_id if unit.zone_id else None
    if butler_id is not None:
        for butler in staff_of(unit.estate_id, {Post.BUTLER}):
            if butler.pk == butler_id:
                return butler
    head_butlers = staff_of(unit.estate_id, {Post.HEAD_BUTLER})
    return head_butlers[0] if head_butlers else None


def check_portal_intake(actor: Any, unit: Any, person: Any, problems: Problems) -> tuple[Any, Any]:
    """An owner submitting in the portal: the request is for themselves, about one of their
    own units. Returns (first responder, person)."""
    own_person_id = getattr(actor, "person_id", None)
    if own_person_id is None:
        problems.add("first_responder", _("Only staff of this estate can receive its requests."))
        return actor, person
    if person and person.pk != own_person_id:
        problems.add("person", _("A request from the portal is made in your own name."))
    if unit is False:
        return actor, person
    residency_model = apps.get_model("people", "Residency")
    if (
        unit is None
        or not residency_model.objects.filter(person_id=own_person_id, unit=unit, ended__isnull=True).exists()
    ):
        problems.add("unit", _("Choose one of your own units."))
        return actor, person
    responder = portal_first_responder(unit)
    if responder is None:
        problems.add("unit", _("No butler looks after this unit yet. Please call the service center."))
        return actor, person
    return responder, apps.get_model("people", "Person").objects.get(pk=own_person_id)


def assign_request(
    *,
    actor: Any,
    service_request: ServiceRequest,
    assignee: Any,
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
        if assignee.pk != getattr(actor, "pk", None):
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
    actor: Any,
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
    actor: Any,
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
    actor: Any,
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
    actor: Any,
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
    actor: Any,
    service_request: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Done on our side; the return-visit clock starts when the kind calls for one."""

    def apply(locked: ServiceRequest, at: dt.datetime) -> dict:
        allowance = allowance_for(locked.estate_id, locked.kind, locked.priority)
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
    recipient_id = locked.assignee_id or locked.first_responder_id
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Reopened: #%(id)s %(title)s") % {"id": locked.pk, "title": locked.title}
    user_model = apps.get_model("accounts", "User")
    tell(
        user_model.objects.get(pk=recipient_id),
        locked,
        subject,
        words,
        f"request:{locked.pk}:reopen:{locked.reopen_count}",
    )


def reopen_values(locked: ServiceRequest, at: dt.datetime) -> dict[str, Any]:
    """Back to the same assignee with a fresh resolve deadline."""
    allowance = allowance_for(locked.estate_id, locked.kind, locked.priority)
    return {
        "resolved_at": None,
        "closed_at": None,
        "return_visit_by": None,
        "resolve_by": dl.after(at, allowance.resolve),
        "reopen_count": locked.reopen_count + 1,
    }


def reopen_request(
    *,
    actor: Any,
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


def parse_rating(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= 5:
        return value
    return None


def record_return_visit(
    *,
    actor: Any,
    service_request: ServiceRequest,
    how: str,
    satisfaction: Any,
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
        if locked.status != S.RESOLVED:
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
    actor: Any,
    service_request: ServiceRequest,
    satisfaction: Any,
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


def close_request(
    *,
    actor: Any,
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
    actor: Any,
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


def check_minutes(values: dict[str, Any], problems: Problems) -> dict[str, int | None]:
    cleaned: dict[str, int | None] = {}
    for name, value in values.items():
        if value is UNCHANGED:
            continue
        if value is None or value == "":
            cleaned[name] = None
            continue
        try:
            minutes = int(value)
        except (TypeError, ValueError):
            minutes = 0
        if isinstance(value, bool) or minutes < 1 or minutes > MAX_MINUTES or str(minutes) != str(value).strip():
            problems.add(name, _("Enter a whole number of minutes from 1 to 527040, or leave it empty."))
            continue
        cleaned[name] = minutes
    return cleaned


@transaction.atomic
def set_service_level(
    *,
    actor: Any,
    estate: Any,
    kind: str,
    priority: str,
    respond_minutes: Any = UNCHANGED,
    arrive_minutes: Any = UNCHANGED,
    resolve_minutes: Any = UNCHANGED,
    return_visit_minutes: Any = UNCHANGED,
) -> ServiceLevel:
    """The manager's time limits for one kind and priority. They apply to requests received
    (and resolved, for the return visit) from now on. A limit not given keeps its current
    value (the default at first); None or "" removes it."""
    access.require(actor, estate.pk, access.MANAGE_SERVICE_LEVELS)
    problems = Problems()
    resolve_choice(kind, ServiceRequest.Kind, "kind", _("Choose the kind of request from the list."), problems)
    resolve_choice(priority, ServiceRequest.Priority, "priority", _("Choose a priority from the list."), problems)
    minutes = check_minutes(
        {
            "respond_minutes": respond_minutes,
            "arrive_minutes": arrive_minutes,
            "resolve_minutes": resolve_minutes,
            "return_visit_minutes": return_visit_minutes,
        },
        problems,
    )
    problems.raise_if_any(_("Please correct the service level."))
    level = ServiceLevel.objects.select_for_update().filter(estate=estate, kind=kind, priority=priority).first()
    verb = "update"
    if level is None:
        default = dl.default_allowance(kind, priority)
        level = ServiceLevel(
            estate=estate,
            kind=kind,
            priority=priority,
            respond_minutes=default.respond,
            arrive_minutes=default.arrive,
            resolve_minutes=default.resolve,
            return_visit_minutes=default.return_visit,
        )
        verb = "create"
    changes = apply_changes(level, minutes)
    level.save()
    record_change(actor=actor, target=level, verb=verb, changes=changes, estate_id=estate.pk)
    return level


@transaction.atomic
def classify_complaint(
    *,
    actor: Any,
    service_request: ServiceRequest,
    category: str,
    validity: str = ComplaintDetails.Validity.PENDING,
    department: str = "",
    now: dt.datetime | None = None,
) -> ComplaintDetails:
    """Category, validity (有效投诉) and responsible department, for the monthly analysis."""
    if service_request.kind != ServiceRequest.Kind.COMPLAINT:
        raise DomainError(_("Only a complaint is classified."), field="kind")
    problems = Problems()
    resolve_choice(category, ComplaintDetails.Category, "category", _("Choose a category from the list."), problems)
    resolve_choice(validity, ComplaintDetails.Validity, "validity", _("Choose whether it is valid."), problems)
    if department:
        resolve_choice(
            department, ComplaintDetails.Department, "department", _("Choose a department from the list."), problems
        )
    problems.raise_if_any(_("Please correct the complaint details."))
    locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
    details, _created = ComplaintDetails.objects.get_or_create(request=locked)
    changes = apply_changes(details, {"category": category, "validity": validity, "department": department})
    if changes:
        details.save()
        locked.version += 1
        locked.save(update_fields=["version"])
        RequestEvent.objects.create(
            request=locked,
            actor=actor,
            at=now or timezone.now(),
            from_status=locked.status,
            to_status=locked.status,
            action="classify",
        )
        record_change(actor=actor, target=details, verb="classify", changes=changes, estate_id=locked.estate_id)
    return details


@transaction.atomic
def name_duty_manager(*, actor: Any, estate: Any, date: dt.date, user: Any) -> DutyManager:
    """The estate's 24-hour duty manager for one duty day (8:30 to 8:30 the next morning)."""
    access.require(actor, estate.pk, access.NAME_DUTY_MANAGER)
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise DomainError(_("Enter the duty date."), field="date")
    if user is None or user not in staff_of(estate.pk, access.DUTY_MANAGER_POSTS):
        raise DomainError(_("A duty manager is a head butler, the deputy manager or the manager."), field="user")
    duty = DutyManager.objects.select_for_update().filter(estate=estate, date=date).first()
    if duty is None:
        duty = DutyManager(estate=estate, date=date, user=user)
        changes = {"date": [None, str(date)], "user": [None, user.pk]}
        verb = "create"
    else:
        changes = apply_changes(duty, {"user": user})
        verb = "update"
    duty.save()
    record_change(actor=actor, target=duty, verb=verb, changes=changes, estate_id=estate.pk)
    return duty


# --- photos ---------------------------------------------------------------------------------

MAX_PHOTOS_PER_REQUEST = 9


def add_request_photo(
    *, actor: Any, service_request: ServiceRequest | int, upload: Any, now: dt.datetime | None = None
) -> RequestPhoto:
    """Attach a photo of the problem or of the finished work. Checked before anything is
    written; the request row is locked so that two uploads cannot pass the limit together."""
    content_type = check_photo(upload)
    request_id = service_request.pk if isinstance(service_request, ServiceRequest) else service_request
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().filter(pk=request_id).first()
        if locked is None:
            raise DomainError(_("This request does not exist."), field="request")
        if not (access.can_act(actor, locked) or access.is_requester(actor, locked)):
            raise DomainError(_("You cannot add photos to this request."), field="request")
        if locked.status in FINISHED_STATUSES:
            raise DomainError(
                _("This request is “%(status)s”: photos can no longer be added.")
                % {"status": locked.get_status_display()},
                field="photo",
            )
        if RequestPhoto.objects.filter(request=locked).count() >= MAX_PHOTOS_PER_REQUEST:
            raise DomainError(
                _("A request has at most %(count)d photos.") % {"count": MAX_PHOTOS_PER_REQUEST}, field="photo"
            )
        photo = RequestPhoto(
            request=locked,
            content_type=content_type,
            size=upload.size,
            original_name=upload_name(upload),
            uploaded_by=actor,
            uploaded_at=now or timezone.now(),
        )
        store_photo(photo, upload, actor=actor, target=locked, estate_id=locked.estate_id)
    return photo


# --- escalation ---------------------------------------------------------------------------


def passed_deadlines(service_request: ServiceRequest, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(deadline name, deadline) for each deadline of `request` that has passed unmet. The name
    carries the reopen round so that a reopened request escalates again."""
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
        service_request.status == S.RESOLVED
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
    """Who stands on each rung for one estate, looked up once per escalation run."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.working = dl.is_working_time(now)
        self.duty_day = dl.duty_date(now)
        self.cache: dict[tuple[int, str], int | None] = {}

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
            self.cache[key] = (
                DutyManager.objects.filter(estate_id=estate_id, date=self.duty_day)
                .values_list("user_id", flat=True)
                .first()
            )
        return self.cache[key]

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


def escalate_request(service_request: ServiceRequest, ladder: Ladder) -> list[Escalation]:
    created: list[Escalation] = []
    allowances: dl.Allowance | None = None
    for name, deadline in passed_deadlines(service_request, ladder.now):
        if allowances is None:
            allowances = allowance_for(service_request.estate_id, service_request.kind, service_request.priority)
        base_name = name.split(":")[0]
        existing = set(Escalation.objects.filter(request=service_request, deadline=name).values_list("rung", flat=True))
        for rung, user_id in ladder.rungs_due(service_request, deadline, allowances.minutes(base_name), existing):
            if rung in existing:  # the duty manager standing in for both upper rungs at night
                continue
            try:
                # The unique (request, deadline, rung) closes the race with a parallel run.
                # The notification is written with the rung, in the same transaction.
                with transaction.atomic():
                    escalation = Escalation.objects.create(
                        request=service_request,
                        rung=rung,
                        deadline=name,
                        notified_id=user_id,
                        due_at=deadline,
                        at=ladder.now,
                    )
                    notify_escalation(escalation, service_request)
            except IntegrityError:
                continue
            existing.add(rung)
            created.append(escalation)
    return created


def escalate_overdue(*, now: dt.datetime | None = None, estate_id: int | None = None) -> list[Escalation]:
    """The escalation job: climb the ladder for every passed deadline. Safe to run twice:
    a rung already reached is never created (or notified) again."""
    now = now or timezone.now()
    ladder = Ladder(now)
    requests = ServiceRequest.objects.filter(queries.overdue_condition(now))
    if estate_id is not None:
        requests = requests.filter(estate_id=estate_id)
    created: list[Escalation] = []
    for service_request in requests.order_by("id").iterator():
        with transaction.atomic():
            created.extend(escalate_request(service_request, ladder))
    return created
