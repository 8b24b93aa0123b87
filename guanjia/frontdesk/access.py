"""Fetch-and-authorize for the custody ledger. Missing and forbidden both raise Http404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.frontdesk.models import Handover, Key, Parcel


def access_key(user: Any, key_id: int) -> Key:
    key = Key.objects.select_related("estate", "unit").filter(pk=key_id).first()
    if key is None or not scope_of(user).can(key.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return key


def access_parcel(user: Any, parcel_id: int) -> Parcel:
    """Desk staff of the estate, or a person living in the recipient unit (to see the code)."""
    parcel = Parcel.objects.select_related("estate", "unit").filter(pk=parcel_id).first()
    if parcel is None:
        raise Http404
    scope = scope_of(user)
    if scope.can(parcel.estate_id, Capability.HANDLE_CUSTODY):
        return parcel
    lives_there = (
        scope.person_id is not None
        and parcel.unit.residencies.filter(person_id=scope.person_id, ended__isnull=True).exists()
    )
    if not lives_there:
        raise Http404
    return parcel


def access_handover(user: Any, handover_id: int) -> Handover:
    handover = Handover.objects.filter(pk=handover_id).first()
    if handover is None or not scope_of(user).can(handover.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return handover
