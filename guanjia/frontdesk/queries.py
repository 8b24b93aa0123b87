"""Reads of the custody ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from guanjia.frontdesk.models import (
    CustodyEvent,
    DoNotAdmit,
    Handover,
    Key,
    KeyAuthorization,
    KeyLoan,
    Parcel,
    Visit,
    VisitorPass,
)


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


def waiting_parcels(estate_id: int, kind: str = "") -> QuerySet[Parcel]:
    parcels = Parcel.objects.filter(estate_id=estate_id, status=Parcel.Status.WAITING)
    if kind:
        parcels = parcels.filter(kind=kind)
    return parcels.select_related("unit").order_by("-received_at", "-pk")


def parcels_of_units(unit_ids: set[int]) -> QuerySet[Parcel]:
    """The owner's view: what waits for their units, then what they collected lately."""
    return (
        Parcel.objects.filter(unit_id__in=unit_ids).select_related("unit", "estate").order_by("status", "-received_at")
    )


def keys_of_estate(estate_id: int) -> list[Key]:
    keys = list(Key.objects.filter(estate_id=estate_id).select_related("unit").order_by("tag"))
    loans = {loan.key_id: loan for loan in KeyLoan.objects.filter(key__estate_id=estate_id, returned_at__isnull=True)}
    for key in keys:
        key.current_loan = loans.get(key.pk)  # type: ignore[attr-defined]
    return keys


def current_loan(key: Key) -> KeyLoan | None:
    return KeyLoan.objects.filter(key=key, returned_at__isnull=True).first()


def live_authorizations(key: Key, today: datetime.date) -> QuerySet[KeyAuthorization]:
    return key.authorizations.filter(revoked_at__isnull=True, valid_until__gte=today).order_by("valid_until", "pk")


EVENT_KINDS = ("key", "parcel", "item")


def event_log(estate_id: int, *, unit: Any = None, kind: str = "") -> QuerySet[CustodyEvent]:
    """The custody ledger, newest first, optionally for one unit and one kind of thing."""
    events = CustodyEvent.objects.filter(estate_id=estate_id)
    if unit is not None:
        events = events.filter(Q(key__unit=unit) | Q(parcel__unit=unit))
    if kind == "key":
        events = events.filter(key__isnull=False)
    elif kind in (Parcel.Kind.PARCEL, Parcel.Kind.ITEM):
        events = events.filter(parcel__kind=kind)
    return events.select_related("actor", "key", "key__unit", "parcel", "parcel__unit").order_by("-at", "-id")


def visits_between(estate_id: int, start: datetime.datetime, end: datetime.datetime) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(estate_id=estate_id, checked_in_at__gte=start, checked_in_at__lt=end)
        .select_related("unit", "checked_in_by", "visitor_pass")
        .order_by("-checked_in_at", "-pk")
    )


def visitors_inside(estate_id: int) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(estate_id=estate_id, checked_out_at__isnull=True)
        .select_related("unit")
        .order_by("-checked_in_at")
    )


def do_not_admit_of_estate(estate_id: int) -> QuerySet[DoNotAdmit]:
    return (
        DoNotAdmit.objects.filter(unit__estate_id=estate_id, lifted_at__isnull=True)
        .select_related("unit")
        .order_by("unit__code", "name")
    )


@dataclass
class DeskHit:
    """One unit the one-box search found, with what the desk holds or knows for it."""

    unit: Any
    people: list[str]
    parcels: int
    keys: int
    passes: int
    instructions: list[str]
    requests: int


def desk_search(estate_id: int, query: str, now: datetime.datetime, limit: int = 10) -> list[DeskHit]:
    """The front desk's one box (a unit code, a name, pinyin initials, a phone tail): the
    units found, each with its parcels waiting, keys, expected visitors, do-not-admit
    instructions and open requests, in a fixed number of queries whatever the estate's size."""
    from guanjia.estates.models import Unit
    from guanjia.people.queries import search
    from guanjia.servicedesk.models import OPEN_STATUSES, ServiceRequest

    result = search(estate_id, query)
    units: dict[int, Any] = {unit.pk: unit for unit in result.units}
    people: dict[int, list[str]] = {}
    for person in result.people:
        for residency in person.current_residencies:  # type: ignore[attr-defined]
            units.setdefault(residency.unit_id, residency.unit)
            people.setdefault(residency.unit_id, []).append(person.name)
    ids = list(units)[:limit]
    if not ids:
        return []

    def waiting(queryset: QuerySet) -> Coalesce:
        counted = queryset.filter(unit_id=OuterRef("pk")).order_by().values("unit_id").annotate(n=Count("*"))
        return Coalesce(Subquery(counted.values("n")), 0)

    # One query for the four counts (correlated subqueries on indexed unit_id), one for the
    # instructions: the same number of queries whatever the estate's size.
    counted = Unit.objects.filter(pk__in=ids).annotate(
        parcels_waiting=waiting(Parcel.objects.filter(status=Parcel.Status.WAITING)),
        keys_held=waiting(Key.objects.all()),
        passes_valid=waiting(VisitorPass.objects.filter(revoked_at__isnull=True, valid_until__gte=now)),
        requests_open=waiting(ServiceRequest.objects.filter(status__in=OPEN_STATUSES)),
    )
    figures = {
        row["pk"]: row for row in counted.values("pk", "parcels_waiting", "keys_held", "passes_valid", "requests_open")
    }
    instructions: dict[int, list[str]] = {}
    for unit_id, name in DoNotAdmit.objects.filter(unit_id__in=ids, lifted_at__isnull=True).values_list(
        "unit_id", "name"
    ):
        instructions.setdefault(unit_id, []).append(name)
    return [
        DeskHit(
            unit=units[pk],
            people=people.get(pk, []),
            parcels=figures[pk]["parcels_waiting"],
            keys=figures[pk]["keys_held"],
            passes=figures[pk]["passes_valid"],
            instructions=instructions.get(pk, []),
            requests=figures[pk]["requests_open"],
        )
        for pk in sorted(ids, key=lambda pk: units[pk].code)
    ]
