"""Billing's figure on the owner's home: what the owner's units owe, and how much of it is in
arrears (欠费: past its due date)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.portal import Tile
from guanjia.billing import queries
from guanjia.core import display


def tiles(person_id: int, unit_ids: set[int]) -> list[Tile]:
    if not unit_ids:
        return []
    owed, in_arrears = queries.owed_by_units(unit_ids, timezone.localdate())
    note = _("%(amount)s in arrears") % {"amount": display.money(in_arrears)} if in_arrears else ""
    if owed and not in_arrears:
        note = _("Payment due, not yet in arrears")
    return [
        Tile(
            key="owed",
            order=20,
            label=_("Amount to pay"),
            value=display.money(owed),
            url=reverse("billing:portal"),
            icon="ti-currency-yuan",
            note=note,
            urgent=bool(in_arrears),
        )
    ]
