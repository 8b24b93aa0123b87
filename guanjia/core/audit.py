"""The audit trail: every action writes one Change per record it touches."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

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
