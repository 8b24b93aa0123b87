"""Reads of the custody ledger, with their joins already applied."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.errors import DomainError
from guanjia.estates.models import Estate, Unit
from guanjia.frontdesk.models import (
    CustodyEvent,
    CustodyPhoto,
    DeskSettings,
    DoNotAdmit,
    Handover,
    Key,
    KeyAuthorization,
    KeyLoan,
    Parcel,
    Visit,
    VisitorPass,
)
from guanjia.people.models import Residency
from guanjia.people.queries import SearchResult, search
from guanjia.servicedesk.models import OPEN_STATUSES, ServiceRequest
from guanjia.servicedesk.queries import open_requests_of_unit


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
    requests: list[ServiceRequest]


def desk_view(unit: Unit, now: datetime.datetime) -> DeskView:
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


def keys_by_tag(estate_id: int) -> QuerySet[Key]:
    return Key.objects.filter(estate_id=estate_id).select_related("unit").order_by("tag")


def keys_of_estate(estate_id: int) -> list[Key]:
    """The estate's keys, each with the loan it is out on (None when in store)."""
    keys = list(keys_by_tag(estate_id))
    loans = {loan.key_id: loan for loan in KeyLoan.objects.filter(key__estate_id=estate_id, returned_at__isnull=True)}
    for key in keys:
        key.current_loan = loans.get(key.pk)  # type: ignore[attr-defined]
    return keys


def current_loan(key: Key) -> KeyLoan | None:
    return KeyLoan.objects.filter(key=key, returned_at__isnull=True).first()


def live_authorizations(key: Key, today: datetime.date) -> QuerySet[KeyAuthorization]:
    return key.authorizations.filter(revoked_at__isnull=True, valid_until__gte=today).order_by("valid_until", "pk")


EVENT_KINDS = ("key", "parcel", "item")


def event_log(estate_id: int, *, unit: Unit | None = None, kind: str = "") -> QuerySet[CustodyEvent]:
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

    unit: Unit
    people: list[str]
    parcels: int
    keys: int
    passes: int
    instructions: list[str]
    requests: int


def desk_search(
    estate_id: int, query: str, now: datetime.datetime, limit: int = 10, *, found: SearchResult | None = None
) -> list[DeskHit]:
    """The front desk's one box (a unit code, a name, pinyin initials, a phone tail): the
    units found, each with its parcels waiting, keys, expected visitors, do-not-admit
    instructions and open requests, in a fixed number of queries whatever the estate's size.
    `found` is the search as the reader ran it (people.actions.search_people: their rate,
    whole numbers only for whom they may see whole); without it, no phone matches past the
    tail a mask shows."""
    result = found if found is not None else search(estate_id, query)
    units: dict[int, Unit] = {unit.pk: unit for unit in result.units}
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
    # A unit found by its code has no person matched yet: the 住户 column lists who lives
    # there (one query for all the units), the people matched by name first.
    for unit_id, name in (
        Residency.objects.filter(unit_id__in=ids, ended__isnull=True)
        .order_by("unit_id", "pk")
        .values_list("unit_id", "person__name")
    ):
        names = people.setdefault(unit_id, [])
        if name not in names:
            names.append(name)
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


# Units as the desk names them -------------------------------------------------------------


def desk_units(estate_id: int) -> QuerySet[Unit]:
    """The estate's units, each saying whether anyone lives there now: the parcel check-in asks
    for the residents' logins only when someone does. Unordered, and without the estate (the
    caller has it, and a notice reads it only when there is someone to tell): the check-in is
    the desk's busiest request, and each of those costs the ORM a good part of a millisecond."""
    living = Residency.objects.filter(unit_id=OuterRef("pk"), ended__isnull=True)
    return Unit.objects.filter(estate_id=estate_id).annotate(someone_lives_there=Exists(living)).order_by()


def find_unit(estate: Estate, code: str, field: str = "unit_code") -> Unit:
    """A unit of the estate by the code the desk types (1-1-1201), or a refusal of the field."""
    code = code.strip().upper()
    if not code:
        raise DomainError(_("Enter the unit code, such as 1-1-1201."), field=field)
    unit = desk_units(estate.pk).filter(code=code).first()
    if unit is None:
        raise DomainError(_("No unit %(code)s in this estate.") % {"code": code}, field=field)
    return unit


def unit_for_check_in(estate_id: int, unit_id: int) -> Unit:
    """The unit a parcel is checked in for by its id, or a refusal of the field (a unit of
    another estate as one that does not exist)."""
    found = list(desk_units(estate_id).filter(pk=unit_id)[:1])  # by its key: no order needed
    unit = found[0] if found else None
    if unit is None:
        raise DomainError(_("There is no such unit in this estate."), field="unit_id")
    return unit


# What the actions check before they write -------------------------------------------------


def authorization_to_borrow(key: Key, name: str, phone: str) -> KeyAuthorization:
    """The owner's valid authorization for this person to borrow the key (the one that runs
    longest), or a refusal: name and phone must both match."""
    authorization = (
        KeyAuthorization.objects.filter(
            key=key,
            borrower_name=name,
            borrower_phone=phone,
            revoked_at__isnull=True,
            valid_until__gte=timezone.localdate(),
        )
        .order_by("-valid_until")
        .first()
    )
    if authorization is None:
        raise DomainError(
            _(
                "The owner has not authorized this person to borrow the key (name and phone "
                "must match a valid authorization)."
            ),
            field="borrower_name",
        )
    return authorization


def is_barred(unit: Unit, name: str) -> bool:
    """Whether the owner has asked the desk not to admit this person to the unit."""
    return DoNotAdmit.objects.filter(unit=unit, name=name, lifted_at__isnull=True).exists()


def tracking_number_taken(estate_id: int, tracking_number: str) -> bool:
    return (
        bool(tracking_number) and Parcel.objects.filter(estate_id=estate_id, tracking_number=tracking_number).exists()
    )


def photo_count(*, key: Key | None = None, parcel: Parcel | None = None) -> int:
    return CustodyPhoto.objects.filter(key=key, parcel=parcel).count()


def settings_of(estate_id: int) -> DeskSettings:
    """The estate's reminder settings; the defaults until someone changes them."""
    return DeskSettings.objects.filter(estate_id=estate_id).first() or DeskSettings(estate_id=estate_id)


def estates_to_alert(estate_id: int | None = None) -> QuerySet[Estate]:
    """Every estate in turn for the reminder job, or the one asked for."""
    estates = Estate.objects.all() if estate_id is None else Estate.objects.filter(pk=estate_id)
    return estates.order_by("pk")


# The shift handover ---------------------------------------------------------------------

SHIFT_FALLBACK = datetime.timedelta(hours=8)  # the longest front-desk shift


def shift_started(estate_id: int, now: datetime.datetime) -> datetime.datetime:
    """This shift began when the previous one wrote its handover (or, for the first, 8 hours ago)."""
    last = Handover.objects.filter(estate_id=estate_id, written_at__lte=now).order_by("-written_at").first()
    return last.written_at if last else now - SHIFT_FALLBACK


def open_items(estate_id: int, now: datetime.datetime | None = None) -> dict[str, list[dict]]:
    """What the next shift takes over: keys out, parcels and items waiting, and the requests
    received during this shift that are still open, listed by the system."""
    now = now or timezone.now()
    keys_out = KeyLoan.objects.filter(key__estate_id=estate_id, returned_at__isnull=True).select_related("key")
    waiting = Parcel.objects.filter(estate_id=estate_id, status=Parcel.Status.WAITING).select_related("unit")
    requests = ServiceRequest.objects.filter(
        estate_id=estate_id, status__in=OPEN_STATUSES, received_at__gte=shift_started(estate_id, now)
    ).select_related("unit")
    return {
        "requests_open": [
            {
                "id": request.pk,
                "title": request.title,
                "unit": request.unit.code if request.unit else "",
                "status": request.get_status_display(),
            }
            for request in requests.order_by("received_at", "pk")
        ],
        "keys_out": [
            {"tag": loan.key.tag, "borrower": loan.borrower_name, "due_at": loan.due_at.isoformat()}
            for loan in keys_out.order_by("due_at")
        ],
        "parcels_waiting": [
            {"unit": parcel.unit.code, "recipient": parcel.recipient_name, "shelf": parcel.shelf}
            for parcel in waiting.order_by("received_at", "pk")
        ],
    }


def handovers_of_estate(estate_id: int) -> QuerySet[Handover]:
    return (
        Handover.objects.filter(estate_id=estate_id)
        .select_related("written_by", "acknowledged_by")
        .order_by("-written_at")
    )


# Pages and endpoints --------------------------------------------------------------------


def parcels_with_status(estate_id: int, status: str) -> QuerySet[Parcel]:
    return Parcel.objects.filter(estate_id=estate_id, status=status).select_related("unit").order_by("-received_at")


def with_photos(parcels: Iterable[Parcel]) -> list[Parcel]:
    """The parcels with their photos, fetched in one query for the whole list."""
    found = list(parcels)
    prefetch_related_objects(found, "photos")
    return found


def photos_of(item: Key | Parcel) -> QuerySet[CustodyPhoto]:
    return item.photos.all()


def loans_of_key(key: Key) -> QuerySet[KeyLoan]:
    return KeyLoan.objects.filter(key=key).select_related("lent_by").order_by("-lent_at")


def events_of_key(key: Key) -> QuerySet[CustodyEvent]:
    return key.events.select_related("actor").order_by("-at", "-id")


def keys_of_units(unit_ids: set[int], today: datetime.date) -> list[Key]:
    """The owner's keys, each with its authorizations still valid (`live`)."""
    live = KeyAuthorization.objects.filter(revoked_at__isnull=True, valid_until__gte=today).order_by(
        "valid_until", "pk"
    )
    keys = Key.objects.filter(unit_id__in=unit_ids).select_related("unit").order_by("tag")
    return list(keys.prefetch_related(Prefetch("authorizations", queryset=live, to_attr="live")))


def passes_of_units(unit_ids: set[int]) -> QuerySet[VisitorPass]:
    return VisitorPass.objects.filter(unit_id__in=unit_ids).order_by("-valid_from")


def live_passes_of_units(unit_ids: set[int], now: datetime.datetime) -> QuerySet[VisitorPass]:
    return (
        VisitorPass.objects.filter(unit_id__in=unit_ids, revoked_at__isnull=True, valid_until__gte=now)
        .select_related("unit")
        .order_by("valid_from")
    )


def instructions_of_units(unit_ids: set[int]) -> QuerySet[DoNotAdmit]:
    return (
        DoNotAdmit.objects.filter(unit_id__in=unit_ids, lifted_at__isnull=True).select_related("unit").order_by("name")
    )


# The assistant's workbench ---------------------------------------------------------------


@dataclass
class DeskToday:
    """What the front desk has on its hands now (the assistant's home page)."""

    parcels_waiting: int
    parcels_latest: list[Parcel]
    keys_out: list[KeyLoan]
    keys_overdue: int
    inside: list[Visit]
    expected: list[VisitorPass]
    handover: Handover | None  # the one this reader should acknowledge
    own_handover_open: bool  # the reader's own note still waits for the next shift


def expected_visitors(estate_id: int, now: datetime.datetime) -> QuerySet[VisitorPass]:
    """Passes that may still be used today: not withdrawn, in force before the day ends, not
    expired, and (a one-time pass) not used yet."""
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    return (
        VisitorPass.objects.filter(
            estate_id=estate_id, revoked_at__isnull=True, valid_from__lte=end_of_day, valid_until__gte=now
        )
        .exclude(kind=VisitorPass.Kind.ONE_TIME, used_at__isnull=False)
        .select_related("unit")
        .order_by("valid_from", "pk")
    )


def handover_to_acknowledge(estate_id: int, reader_id: int) -> Handover | None:
    """The latest handover still waiting for the next shift, unless the reader wrote it (the
    writer cannot acknowledge their own note)."""
    return (
        Handover.objects.filter(estate_id=estate_id, acknowledged_at__isnull=True)
        .exclude(written_by_id=reader_id)
        .select_related("written_by")
        .order_by("-written_at")
        .first()
    )


def desk_today(estate_id: int, reader_id: int, now: datetime.datetime, limit: int = 8) -> DeskToday:
    keys_out = list(
        KeyLoan.objects.filter(key__estate_id=estate_id, returned_at__isnull=True)
        .select_related("key", "key__unit")
        .order_by("due_at")
    )
    for loan in keys_out:
        loan.overdue = loan.due_at < now  # type: ignore[attr-defined]
    waiting = Parcel.objects.filter(estate_id=estate_id, status=Parcel.Status.WAITING)
    return DeskToday(
        parcels_waiting=waiting.count(),
        parcels_latest=list(waiting.select_related("unit").order_by("-received_at", "-pk")[:limit]),
        keys_out=keys_out,
        keys_overdue=sum(1 for loan in keys_out if loan.due_at < now),
        inside=list(visitors_inside(estate_id)[:50]),
        expected=list(expected_visitors(estate_id, now)[:50]),
        handover=handover_to_acknowledge(estate_id, reader_id),
        own_handover_open=Handover.objects.filter(
            estate_id=estate_id, acknowledged_at__isnull=True, written_by_id=reader_id
        ).exists(),
    )


def waiting_parcel_by_code(estate_id: int, code: str) -> Parcel | None:
    """The waiting parcel a pickup code belongs to (the code is unique among them), if any."""
    code = code.strip()
    if not code:
        return None
    return (
        Parcel.objects.filter(estate_id=estate_id, status=Parcel.Status.WAITING, pickup_code=code)
        .select_related("unit")
        .first()
    )


def readable_open_items(items: dict) -> dict:
    """A handover's open items as stored (JSON: times as ISO text in UTC) with the key due times
    turned back into datetimes, so that the page shows them in Asia/Shanghai."""
    shown = dict(items or {})
    keys_out = []
    for item in shown.get("keys_out", []):
        due = item.get("due_at")
        with contextlib.suppress(ValueError):  # text that is not a time stays as written
            due = datetime.datetime.fromisoformat(due) if isinstance(due, str) else due
        keys_out.append({**item, "due_at": due})
    shown["keys_out"] = keys_out
    return shown
