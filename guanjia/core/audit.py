"""The audit trail: every action writes one Change per record it touches."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from guanjia.core import display
from guanjia.core.models import Change


def plain(value: Any) -> Any:
    """A JSON-safe form of a field value."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal)):
        return str(value)
    return value


def apply_changes(instance: models.Model, values: dict[str, Any], *, masked: dict[str, str] | None = None) -> dict:
    """Set `values` on `instance` and return {field: [old, new]} for the ones that differ.

    `masked` gives the field names whose values must be recorded masked (phone, ID)."""
    changes: dict[str, list] = {}
    for name, new in values.items():
        old = getattr(instance, name)
        if old != new:
            setattr(instance, name, new)
            changes[name] = [plain(old), plain(new)]
    for name, shown in (masked or {}).items():
        if name in changes:
            changes[name] = ["***", shown]
    return changes


def new_change(
    *,
    actor: Any,
    target: models.Model,
    verb: str,
    changes: dict | None = None,
    estate_id: int | None = None,
    note: str = "",
) -> Change:
    """A Change, not yet saved (its object_id is set once a new target has its id)."""
    return Change(
        actor=actor if getattr(actor, "pk", None) else None,
        estate_id=estate_id,
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        verb=verb,
        changes=changes or {},
        note=note[:300],
    )


def record_change(**what: Any) -> Change:
    change = new_change(**what)
    change.save(force_insert=True)
    return change


def history_of(target: models.Model):
    return Change.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("actor")


# What each verb of the trail means, as people read it (the trail stores the verb as code).
VERBS: dict[str, Any] = {
    "create": _("Created"),
    "update": _("Changed"),
    "import": _("Imported"),
    "link_unit": _("Linked to a unit"),
    "unlink_unit": _("Unlinked from a unit"),
    "add_vehicle": _("Vehicle added"),
    "add_attachment": _("Attachment added"),
    "add_photo": _("Photo added"),
    "assign_butler": _("Butler assigned"),
    "authorize": _("Authorized"),
    "revoke": _("Revoked"),
    "classify": _("Classified"),
    "close": _("Closed"),
    "reverse": _("Reversed"),
    "request_reversal": _("Reversal requested"),
    "approve": _("Approved"),
    "reject": _("Rejected"),
    "run_billing": _("Billing run"),
    "apply_prepaid": _("Prepaid balance applied"),
    "set_tiers": _("Price tiers set"),
    "send_arrears_reminders": _("Arrears reminders sent"),
    "post": _("Posted to the estate"),
    "end_post": _("Post ended"),
    "reset_password": _("Password reset"),
    "change_password": _("Password changed"),
    "deactivate": _("Login deactivated"),
    "issue_token": _("API token issued"),
    "revoke_token": _("API token revoked"),
    "revoke_tokens": _("API tokens revoked"),
    "load_demo": _("Demo loaded"),
}


@dataclass
class ReadableChange:
    at: Any
    actor: Any
    verb: str
    fields: list[tuple[str, str, str]]  # (label, before, after)
    note: str


def find_field(model: type[models.Model], name: str) -> models.Field | None:
    """The field a trail entry's name stands for: the model's own, its masked twin (a secret is
    logged under its plain name), or a field of a record hanging off it (a person's residency
    relation, a vehicle's plate)."""
    for candidate in (name, f"{name}_masked"):
        try:
            field = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):
            return field
    for relation in model._meta.related_objects:
        related = relation.related_model
        if isinstance(related, str):  # "self": already looked at
            continue
        try:
            field = related._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):
            return field
    return None


# Names in the trail that are no field of the record or its related records.
LABELS: dict[str, Any] = {"unit": _("Unit"), "ended": _("Ended"), "since": _("Since")}


def is_internal(model: type[models.Model], name: str) -> bool:
    """A field kept for searching or for the machine (pinyin, a phone's tail, a digest): it has
    no label of its own, and people are not shown it."""
    field = find_field(model, name)
    return name not in LABELS and field is not None and str(field.verbose_name) == field.name.replace("_", " ")


def field_label(model: type[models.Model], name: str) -> str:
    if name in LABELS:
        return str(LABELS[name])
    field = find_field(model, name)
    if field is None:
        return str(_(name.replace("_", " ")))
    return str(field.verbose_name)


def value_text(model: type[models.Model], name: str, value: Any) -> str:
    """A stored value as people read it: a choice by its label, a time in Asia/Shanghai, a
    date as 2026-12-01, nothing as —."""
    if value is None or value == "":
        return "—"
    field = find_field(model, name)
    choices = dict(getattr(field, "flatchoices", None) or ())
    if value in choices:
        return str(choices[value])
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value)
        return display.when(parsed) if parsed else value
    if isinstance(value, (list, dict)):
        return "、".join(str(each) for each in value) if isinstance(value, list) else str(value)
    return str(value)


def readable(changes: Any, model: type[models.Model]) -> list[ReadableChange]:
    """The trail of one record with Chinese verbs, field labels and values."""
    rows = []
    for change in changes:
        fields = [
            (field_label(model, name), value_text(model, name, pair[0]), value_text(model, name, pair[1]))
            for name, pair in (change.changes or {}).items()
            if isinstance(pair, (list, tuple)) and len(pair) == 2 and not is_internal(model, name)
        ]
        rows.append(
            ReadableChange(change.at, change.actor, str(VERBS.get(change.verb, change.verb)), fields, change.note)
        )
    return rows
