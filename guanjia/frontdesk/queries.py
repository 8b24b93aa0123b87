"""Reads of the custody ledger."""

from __future__ import annotations

import datetime

from django.db.models import Count, QuerySet

from guanjia.frontdesk.models import Handover, KeyLoan, Parcel


def overdue_loans(estate_id: int, now: datetime.datetime) -> QuerySet[KeyLoan]:
    return (
        KeyLoan.objects.filter(key__estate_id=estate_id, returned_at__isnull=True, due_at__lt=now)
        .select_related("key", "key__unit", "key__unit__zone__butler")
        .order_by("due_at")
    )


def unclaimed_parcels(estate_id: int, now: datetime.datetime, days: int) -> QuerySet[Parcel]:
    return (
        Parcel.objects.filter(
            estate_id=estate_id, status=Parcel.Status.WAITING, received_at__lt=now - datetime.timedelta(days=days)
        )
        .select_related("unit")
        .order_by("received_at")
    )


def shelf_count(estate_id: int) -> dict[str, int]:
    """What should be on each shelf, for reconciling against what is there."""
    rows = (
        Parcel.objects.filter(estate_id=estate_id, status=Parcel.Status.WAITING)
        .values("shelf")
        .annotate(n=Count("*"))
        .values_list("shelf", "n")
    )
    return dict(sorted(rows))


def unacknowledged_handovers(estate_id: int, now: datetime.datetime, grace: datetime.timedelta) -> QuerySet[Handover]:
    return Handover.objects.filter(estate_id=estate_id, acknowledged_at__isnull=True, written_at__lt=now - grace)
