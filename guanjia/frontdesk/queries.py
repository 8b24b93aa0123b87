"""Reads of the custody ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from guanjia.frontdesk.models import DoNotAdmit, Handover, Key, KeyLoan, Parcel, VisitorPass


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


@dataclass
class DeskView:
    """Everything the front desk holds or knows for one unit (the front-desk screen)."""

    keys: list[Key]
    parcels: list[Parcel]
    passes: list[VisitorPass]
    do_not_admit: list[DoNotAdmit]
    requests: list


def desk_view(unit: Any, now: datetime.datetime) -> DeskView:
    from guanjia.servicedesk.queries import open_requests_of_unit

    return DeskView(
        keys=list(unit.keys.order_by("tag")),
        parcels=list(unit.parcels.filter(status=Parcel.Status.WAITING).order_by("received_at")),
        passes=list(unit.visitor_passes.filter(revoked_at__isnull=True, valid_until__gte=now).order_by("valid_from")),
        do_not_admit=list(unit.do_not_admit.filter(lifted_at__isnull=True).order_by("name")),
        requests=list(open_requests_of_unit(unit.pk)),
    )
