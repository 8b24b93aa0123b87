"""The manager's service levels: time limits per kind and priority of request, in minutes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import Problems
from guanjia.estates.models import Estate
from guanjia.servicedesk import access
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.actions.choices import resolve_choice
from guanjia.servicedesk.models import ServiceLevel, ServiceRequest


class Unchanged:
    """The value of a limit not given: it keeps what it is."""


UNCHANGED = Unchanged()
MAX_MINUTES = 366 * dl.DAY  # a service level longer than a year is a typing mistake

# A limit as given: minutes (a number or its digits), None or "" to remove it, or UNCHANGED.
Limit = int | str | None | Unchanged


def check_minutes(values: dict[str, Limit], problems: Problems) -> dict[str, int | None]:
    cleaned: dict[str, int | None] = {}
    for name, value in values.items():
        if isinstance(value, Unchanged):
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


def level_to_change(estate: Estate, kind: str, priority: str) -> tuple[ServiceLevel, str]:
    """The estate's row for this kind and priority, locked, or a new one holding the defaults;
    with the audit verb its saving is."""
    level = ServiceLevel.objects.select_for_update().filter(estate=estate, kind=kind, priority=priority).first()
    if level is not None:
        return level, "update"
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
    return level, "create"


@transaction.atomic
def set_service_level(
    *,
    actor: User,
    estate: Estate,
    kind: str,
    priority: str,
    respond_minutes: Limit = UNCHANGED,
    arrive_minutes: Limit = UNCHANGED,
    resolve_minutes: Limit = UNCHANGED,
    return_visit_minutes: Limit = UNCHANGED,
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
    level, verb = level_to_change(estate, kind, priority)
    changes = apply_changes(level, minutes)
    if verb != "create" and not changes:
        return level  # saved as it was: no write, no audit row, the estate's copies still hold
    level.save()
    # Every process's kept copy of the estate's levels is out of date from this commit on.
    Estate.objects.filter(pk=estate.pk).update(settings_version=F("settings_version") + 1)
    estate.refresh_from_db(fields=["settings_version"])
    record_change(actor=actor, target=level, verb=verb, changes=changes, estate_id=estate.pk)
    return level


@transaction.atomic
def set_service_levels(*, actor: User, estate: Estate, levels: list[dict[str, Limit]]) -> int:
    """The whole table of service levels saved at once: each item names its kind and priority
    and its limits in minutes. All or nothing: one refused row saves none. Returns how many
    rows changed."""
    access.require(actor, estate.pk, access.MANAGE_SERVICE_LEVELS)
    changed = 0
    for level in levels:
        values = dict(level)
        kind, priority = str(values.pop("kind")), str(values.pop("priority"))
        before = estate.settings_version
        set_service_level(actor=actor, estate=estate, kind=kind, priority=priority, **values)  # type: ignore[arg-type]
        changed += estate.settings_version != before
    return changed
