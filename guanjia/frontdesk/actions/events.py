"""The custody event every hand-over writes, in the transaction of the hand-over itself."""

from __future__ import annotations

import datetime

from django.utils import timezone

from guanjia.accounts.models import User
from guanjia.frontdesk.models import CustodyEvent, Key, Parcel


def new_event(
    *,
    estate_id: int,
    action: str,
    actor: User,
    key: Key | None = None,
    parcel: Parcel | None = None,
    counterpart: str = "",
    checked_how: str = "",
    at: datetime.datetime | None = None,
) -> CustodyEvent:
    """A custody event, not yet saved (the parcel check-in writes its own with the parcel, in
    one statement)."""
    return CustodyEvent(
        estate_id=estate_id,
        key=key,
        parcel=parcel,
        action=action,
        actor=actor,
        counterpart=counterpart[:100],
        checked_how=checked_how[:100],
        at=at or timezone.now(),
    )
