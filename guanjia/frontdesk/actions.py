"""Every write to the custody ledger. Each hand-over writes a CustodyEvent in the same
transaction; "never out twice" and "checked in once" are database constraints."""

from __future__ import annotations

import datetime
import secrets
from contextlib import nullcontext
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.queries import residents_with_logins, staff_of
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.photos import check_photo, store_photo, upload_name
from guanjia.core.roles import Post
from guanjia.core.sql import insert_columns, mark_saved, reference
from guanjia.core.validators import normalize_phone, phone_problem
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

PICKUP_CODE_ATTEMPTS = 20


def new_event(
    *,
    estate_id: int,
    action: str,
    actor: Any,
    key: Key | None = None,
    parcel: Parcel | None = None,
    counterpart: str = "",
    checked_how: str = "",
    at: datetime.datetime | None = None,
) -> CustodyEvent:
    """A custody event, not yet saved."""
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


def log_event(**what: Any) -> CustodyEvent:
    event = new_event(**what)
    event.save(force_insert=True)
    return event


def register_key(
    *,
    actor: Any,
    estate: Any,
    kind: str,
    tag: str,
    slot: str,
    unit: Any = None,
    facility: str = "",
    note: str = "",
    photo: Any = None,
) -> Key:
    """Register a key, with a photo of it when one is given: both or neither. The photo is
    checked before anything is written."""
    tag, slot = tag.strip(), slot.strip()
    if kind not in Key.Kind.values:
        raise DomainError(_("Choose a key kind from the list."), field="kind")
    if not tag:
        raise DomainError(_("Enter the key's tag number."), field="tag")
    if not slot:
        raise DomainError(_("Enter the storage slot."), field="slot")
    if kind == Key.Kind.FACILITY:
        if not facility.strip():
            raise DomainError(_("Name the facility this key opens."), field="facility")
        unit = None
    elif unit is None:
        raise DomainError(_("Choose the unit this key opens."), field="unit")
    elif unit.estate_id != estate.pk:
        raise DomainError(_("The unit belongs to another estate."), field="unit")
    content_type = check_photo(photo) if photo is not None else ""
    stored: CustodyPhoto | None = None
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    key = Key.objects.create(
                        estate=estate, unit=unit, facility=facility.strip(), kind=kind, tag=tag, slot=slot, note=note
                    )
            except IntegrityError:
                raise DomainError(_("Key tag %(tag)s is already registered.") % {"tag": tag}, field="tag") from None
            log_event(
                estate_id=estate.pk, action=CustodyEvent.Action.KEY_REGISTERED, actor=actor, key=key, checked_how=slot
            )
            record_change(actor=actor, target=key, verb="create", estate_id=estate.pk, changes={"tag": [None, tag]})
            if photo is not None:
                stored = store_custody_photo(actor=actor, upload=photo, content_type=content_type, key=key)
    except BaseException:
        # The commit itself failed (the photo's own failures clean up after themselves).
        if stored is not None:
            stored.file.delete(save=False)
        raise
    return key


@transaction.atomic
def authorize_borrower(
    *,
    actor: Any,
    key: Key,
    borrower_name: str,
    borrower_phone: str,
    purpose: str,
    valid_until: datetime.date,
    granted_by: Any = None,
) -> KeyAuthorization:
    borrower_name, borrower_phone, purpose = clean_authorization(borrower_name, borrower_phone, purpose, valid_until)
    authorization = KeyAuthorization.objects.create(
        key=key,
        granted_by=granted_by,
        borrower_name=borrower_name,
        borrower_phone=borrower_phone,
        purpose=purpose,
        valid_until=valid_until,
    )
    record_change(
        actor=actor,
        target=key,
        verb="authorize",
        estate_id=key.estate_id,
        changes={"borrower": [None, borrower_name], "valid_until": [None, str(valid_until)]},
    )
    return authorization


def matching_authorization(key: Key, name: str, phone: str) -> KeyAuthorization | None:
    return (
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


@transaction.atomic
def lend_key(*, actor: Any, key: Key, borrower_name: str, borrower_phone: str, due_at: datetime.datetime) -> KeyLoan:
    """Lend a key to someone the owner authorized. Two assistants lending the same key at the
    same moment: the partial unique index lets one loan in; the other is told it is out."""
    borrower_name, borrower_phone = borrower_name.strip(), normalize_phone(borrower_phone)
    key = Key.objects.select_for_update().get(pk=key.pk)
    if key.status != Key.Status.IN_STORE:
        raise DomainError(
            _("This key is not in store (%(status)s).") % {"status": key.get_status_display()}, field="key"
        )
    authorization = None
    if key.kind != Key.Kind.FACILITY:
        authorization = matching_authorization(key, borrower_name, borrower_phone)
        if authorization is None:
            raise DomainError(
                _(
                    "The owner has not authorized this person to borrow the key (name and phone "
                    "must match a valid authorization)."
                ),
                field="borrower_name",
            )
    now = timezone.now()
    if due_at <= now:
        raise DomainError(_("The expected return time must be in the future."), field="due_at")
    try:
        with transaction.atomic():
            loan = KeyLoan.objects.create(
                key=key,
                authorization=authorization,
                borrower_name=borrower_name,
                borrower_phone=borrower_phone,
                lent_by=actor,
                lent_at=now,
                due_at=due_at,
            )
    except IntegrityError:
        raise DomainError(_("This key is already lent out."), field="key") from None
    Key.objects.filter(pk=key.pk).update(status=Key.Status.LENT)
    log_event(
        estate_id=key.estate_id,
        action=CustodyEvent.Action.KEY_LENT,
        actor=actor,
        key=key,
        counterpart=borrower_name,
        checked_how=_("authorization #%(id)s") % {"id": authorization.pk} if authorization else "",
        at=now,
    )
    return loan


@transaction.atomic
def return_key(*, actor: Any, key: Key) -> KeyLoan:
    key = Key.objects.select_for_update().get(pk=key.pk)
    loan = KeyLoan.objects.select_for_update().filter(key=key, returned_at__isnull=True).first()
    if loan is None:
        raise DomainError(_("This key is not out; there is nothing to return."), field="key")
    now = timezone.now()
    loan.returned_at, loan.returned_to = now, actor
    loan.save(update_fields=["returned_at", "returned_to"])
    Key.objects.filter(pk=key.pk).update(status=Key.Status.IN_STORE)
    log_event(
        estate_id=key.estate_id,
        action=CustodyEvent.Action.KEY_RETURNED,
        actor=actor,
        key=key,
        counterpart=loan.borrower_name,
        at=now,
    )
    return loan


def new_pickup_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def unit_reference(estate_id: int, unit_id: int) -> Any:
    """A unit known by its id and estate only; the check-in confirms in its own statement that
    the unit is one of the estate's."""
    from guanjia.estates.models import Unit

    return reference(Unit, id=unit_id, estate_id=estate_id)


def insert_parcel_with_event(parcel: Parcel, event: CustodyEvent) -> bool:
    """Save a new parcel and its "received" event, if the parcel's unit is of its estate, and
    say whether anyone lives in the unit now. On PostgreSQL all of it is one statement, as in
    core/sql.py, with the unit and its residents asked in the same round trip."""
    from guanjia.estates.models import Unit
    from guanjia.people.models import Residency

    if connection.vendor != "postgresql":
        with transaction.atomic():
            if not Unit.objects.filter(pk=parcel.unit_id, estate_id=parcel.estate_id).exists():
                raise DomainError(_("There is no such unit in this estate."), field="unit_id")
            parcel.save(force_insert=True)
            event.parcel = parcel
            event.save(force_insert=True)
        return Residency.objects.filter(unit_id=parcel.unit_id, ended__isnull=True).exists()
    parcel_columns, parcel_values = insert_columns(parcel)
    event_columns, event_values = insert_columns(event, leave_out="parcel_id")
    # Table and column names come from the models; every value is a parameter.
    quote = connection.ops.quote_name
    units, residencies = quote(Unit._meta.db_table), quote(Residency._meta.db_table)
    parcel_table, event_table = quote(Parcel._meta.db_table), quote(CustodyEvent._meta.db_table)
    parcel_slots, event_slots = ", ".join(["%s"] * len(parcel_values)), ", ".join(["%s"] * len(event_values))
    sql = (
        f"WITH unit AS (SELECT id, code FROM {units} WHERE id = %s AND estate_id = %s), "  # noqa: S608
        f"parcel AS (INSERT INTO {parcel_table} ({', '.join(parcel_columns)}) "
        f"SELECT {parcel_slots} FROM unit RETURNING id), "
        f"event AS (INSERT INTO {event_table} ({', '.join(event_columns)}, {quote('parcel_id')}) "
        f"SELECT {event_slots}, parcel.id FROM parcel RETURNING id) "
        "SELECT parcel.id, event.id, unit.code, EXISTS("
        f"SELECT 1 FROM {residencies} WHERE unit_id = unit.id AND ended IS NULL) FROM parcel, event, unit"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [parcel.unit_id, parcel.estate_id, *parcel_values, *event_values])
        row = cursor.fetchone()
    if row is None:
        raise DomainError(_("There is no such unit in this estate."), field="unit_id")
    parcel.pk, event.pk, code, lives_there = row
    mark_saved(parcel, event)
    event.parcel = parcel
    if "code" in parcel.unit.get_deferred_fields():
        parcel.unit.code = code  # a unit_reference: its code is at hand
    return lives_there


def receive_parcel(
    *,
    actor: Any,
    unit: Any,
    recipient_name: str,
    shelf: str,
    courier: str = "",
    tracking_number: str = "",
    left_by: str = "",
    kind: str = Parcel.Kind.PARCEL,
    description: str = "",
    left_by_phone: str = "",
) -> Parcel:
    """Check a parcel (or an item someone leaves for the unit) in, with a fresh 6-digit
    pickup code, unique among the estate's waiting parcels. The people of the unit who sign
    in are told the code right after, in a transaction of its own (the caller's, if any): the
    parcel is on the shelf and in the ledger whatever becomes of the notice, and its code is
    in the owner's portal either way."""
    recipient_name, shelf = recipient_name.strip(), shelf.strip()
    tracking_number = tracking_number.strip().upper()
    description, left_by_phone = description.strip(), normalize_phone(left_by_phone)
    if kind not in Parcel.Kind.values:
        raise DomainError(_("Choose parcel or entrusted item."), field="kind")
    if not recipient_name:
        raise DomainError(_("Enter the recipient's name."), field="recipient_name")
    if not shelf:
        raise DomainError(_("Enter the shelf it is kept on."), field="shelf")
    if kind == Parcel.Kind.ITEM:
        if not left_by.strip():
            raise DomainError(_("Enter who left the item."), field="left_by")
        if not description:
            raise DomainError(_("Describe the item."), field="description")
        problem = phone_problem(left_by_phone) if left_by_phone else None
        if problem:
            raise DomainError(problem, field="left_by_phone")
    elif not tracking_number and not left_by.strip():
        raise DomainError(_("Enter the tracking number, or who left the item."), field="tracking_number")
    now = timezone.now()
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        parcel = Parcel(
            estate_id=unit.estate_id,
            unit=unit,
            courier=courier.strip(),
            tracking_number=tracking_number,
            left_by=left_by.strip(),
            kind=kind,
            description=description,
            left_by_phone=left_by_phone,
            recipient_name=recipient_name,
            shelf=shelf,
            pickup_code=new_pickup_code(),
            received_by=actor,
            received_at=now,
        )
        event = new_event(
            estate_id=unit.estate_id,
            action=CustodyEvent.Action.PARCEL_RECEIVED,
            actor=actor,
            counterpart=courier or left_by,
            checked_how=shelf,
            at=now,
        )
        try:
            # A savepoint inside a caller's transaction, so that a collision of the random
            # code with a waiting parcel's can be retried; at the top level the insert is its
            # own transaction.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                someone_lives_there = insert_parcel_with_event(parcel, event)
        except IntegrityError:
            # Either the tracking number is already in (refuse) or the code collided (retry).
            duplicate = (
                tracking_number
                and Parcel.objects.filter(estate_id=unit.estate_id, tracking_number=tracking_number).exists()
            )
            if duplicate:
                message = _("Tracking number %(number)s is already checked in.") % {"number": tracking_number}
                raise DomainError(message, field="tracking_number") from None
            continue
        if someone_lives_there:
            tell_residents_of_parcel(parcel)
        return parcel
    # A million codes and twenty collisions in a row.
    raise DomainError(_("Could not issue a pickup code; try again."), field="pickup_code")  # pragma: no cover


def receive_parcel_with_photo(*, actor: Any, unit: Any, photo: Any = None, **fields: Any) -> Parcel:
    """Check a parcel or an item in with a photo of it: both or neither. A refused photo is
    found before the parcel is written."""
    if photo is None:
        return receive_parcel(actor=actor, unit=unit, **fields)
    check_photo(photo)
    stored: CustodyPhoto | None = None
    try:
        with transaction.atomic():
            parcel = receive_parcel(actor=actor, unit=unit, **fields)
            stored = add_parcel_photo(actor=actor, parcel=parcel, upload=photo)
    except BaseException:
        # The commit failed after the file was written: it must not stay without its row.
        if stored is not None:
            stored.file.delete(save=False)
        raise
    return parcel


def parcel_label(parcel: Parcel) -> str:
    if parcel.kind == Parcel.Kind.ITEM:
        return _("an item left by %(name)s (%(description)s)") % {
            "name": parcel.left_by,
            "description": parcel.description,
        }
    return _("a parcel %(courier)s %(number)s") % {"courier": parcel.courier, "number": parcel.tracking_number}


def tell_residents_of_parcel(parcel: Parcel) -> None:
    from guanjia.notifications.actions import notify

    users = residents_with_logins(parcel.unit_id)
    if not users:
        return
    subject = _("Waiting for you at the front desk: pickup code %(code)s") % {"code": parcel.pickup_code}
    body = _("%(what)s for %(recipient)s is kept at the front desk. Show the pickup code %(code)s to collect it.") % {
        "what": parcel_label(parcel),
        "recipient": parcel.recipient_name,
        "code": parcel.pickup_code,
    }
    with transaction.atomic():
        for user in users:
            notify(
                recipient=user,
                subject=subject,
                body=body,
                link=reverse("frontdesk:my_parcels"),
                estate=parcel.estate,
                dedupe_key=f"parcel:{parcel.pk}:received",
            )


@transaction.atomic
def hand_over_parcel(*, actor: Any, parcel: Parcel, pickup_code: str, collected_by_name: str) -> Parcel:
    parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
    if parcel.status != Parcel.Status.WAITING:
        raise DomainError(
            _("This parcel has already been handed over; the code cannot be used again."), field="pickup_code"
        )
    if not secrets.compare_digest(parcel.pickup_code, pickup_code.strip()):
        raise DomainError(_("The pickup code is wrong."), field="pickup_code")
    if not collected_by_name.strip():
        raise DomainError(_("Enter who collected it."), field="collected_by_name")
    now = timezone.now()
    parcel.status, parcel.handed_over_at, parcel.handed_over_by = Parcel.Status.HANDED_OVER, now, actor
    parcel.collected_by_name = collected_by_name.strip()
    parcel.save(update_fields=["status", "handed_over_at", "handed_over_by", "collected_by_name"])
    log_event(
        estate_id=parcel.estate_id,
        action=CustodyEvent.Action.PARCEL_HANDED_OVER,
        actor=actor,
        parcel=parcel,
        counterpart=parcel.collected_by_name,
        checked_how=_("pickup code"),
        at=now,
    )
    return parcel


def admit_problem(unit: Any, visitor_name: str) -> str | None:
    if DoNotAdmit.objects.filter(unit=unit, name=visitor_name, lifted_at__isnull=True).exists():
        return _("The owner has asked not to admit %(name)s. Call the owner or the butler.") % {"name": visitor_name}
    return None


@transaction.atomic
def issue_visitor_pass(
    *,
    person: Any,
    unit: Any,
    visitor_name: str,
    kind: str,
    valid_from: datetime.datetime,
    valid_until: datetime.datetime,
) -> VisitorPass:
    """An owner pre-authorizes a visitor; the token is what the QR code carries."""
    visitor_name = visitor_name.strip()
    if not visitor_name:
        raise DomainError(_("Enter the visitor's name."), field="visitor_name")
    if kind not in VisitorPass.Kind.values:
        raise DomainError(_("Choose one-time or recurring."), field="kind")
    if valid_until <= valid_from or valid_until <= timezone.now():
        raise DomainError(_("The pass must end after it starts, and in the future."), field="valid_until")
    return VisitorPass.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        issued_by=person,
        visitor_name=visitor_name,
        kind=kind,
        token=secrets.token_urlsafe(32),
        valid_from=valid_from,
        valid_until=valid_until,
    )


@transaction.atomic
def admit_with_pass(*, actor: Any, estate: Any, token: str) -> Visit:
    visitor_pass = VisitorPass.objects.select_for_update().filter(token=token.strip()).first()
    if visitor_pass is None or visitor_pass.estate_id != estate.pk:
        raise DomainError(_("This pass is not valid here."), field="token")
    now = timezone.now()
    if visitor_pass.revoked_at or not visitor_pass.valid_from <= now <= visitor_pass.valid_until:
        raise DomainError(_("This pass has expired or was withdrawn."), field="token")
    if visitor_pass.kind == VisitorPass.Kind.ONE_TIME and visitor_pass.used_at:
        raise DomainError(_("This one-time pass has already been used."), field="token")
    problem = admit_problem(visitor_pass.unit, visitor_pass.visitor_name)
    if problem:
        raise DomainError(problem, field="visitor_name")
    visitor_pass.used_at = now
    visitor_pass.save(update_fields=["used_at"])
    return Visit.objects.create(
        estate=estate,
        unit=visitor_pass.unit,
        visitor_name=visitor_pass.visitor_name,
        visitor_pass=visitor_pass,
        checked_in_by=actor,
        checked_in_at=now,
    )


@transaction.atomic
def check_in_visitor(*, actor: Any, unit: Any, visitor_name: str, visitor_phone: str = "", purpose: str = "") -> Visit:
    visitor_name, visitor_phone = visitor_name.strip(), normalize_phone(visitor_phone)
    if not visitor_name:
        raise DomainError(_("Enter the visitor's name."), field="visitor_name")
    problem = phone_problem(visitor_phone) if visitor_phone else None
    if problem:
        raise DomainError(problem, field="visitor_phone")
    problem = admit_problem(unit, visitor_name)
    if problem:
        raise DomainError(problem, field="visitor_name")
    return Visit.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        visitor_name=visitor_name,
        visitor_phone=visitor_phone,
        purpose=purpose.strip(),
        checked_in_by=actor,
        checked_in_at=timezone.now(),
    )


@transaction.atomic
def check_out_visitor(*, actor: Any, visit: Visit) -> Visit:
    updated = Visit.objects.filter(pk=visit.pk, checked_out_at__isnull=True).update(checked_out_at=timezone.now())
    if not updated:
        raise DomainError(_("This visitor has already left."), field="visit")
    return Visit.objects.get(pk=visit.pk)


SHIFT_FALLBACK = datetime.timedelta(hours=8)  # the longest front-desk shift


def shift_started(estate_id: int, now: datetime.datetime) -> datetime.datetime:
    """This shift began when the previous one wrote its handover (or, for the first, 8 hours ago)."""
    last = Handover.objects.filter(estate_id=estate_id, written_at__lte=now).order_by("-written_at").first()
    return last.written_at if last else now - SHIFT_FALLBACK


def open_items(estate_id: int, now: datetime.datetime | None = None) -> dict[str, list[dict]]:
    """What the next shift takes over: keys out, parcels and items waiting, and the requests
    received during this shift that are still open, listed by the system."""
    from guanjia.servicedesk.models import OPEN_STATUSES, ServiceRequest

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


@transaction.atomic
def write_handover(*, actor: Any, estate: Any, note: str) -> Handover:
    if not note.strip():
        raise DomainError(_("Write what the next shift needs to know."), field="note")
    now = timezone.now()
    return Handover.objects.create(
        estate=estate, written_by=actor, written_at=now, note=note.strip(), open_items=open_items(estate.pk, now)
    )


@transaction.atomic
def acknowledge_handover(*, actor: Any, handover: Handover) -> Handover:
    if handover.written_by_id == actor.pk:
        raise DomainError(_("The next shift acknowledges a handover, not its writer."), field="handover")
    updated = Handover.objects.filter(pk=handover.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=actor, acknowledged_at=timezone.now()
    )
    if not updated:
        raise DomainError(_("This handover is already acknowledged."), field="handover")
    return Handover.objects.get(pk=handover.pk)


# Keys: lost or damaged, the owner's authorizations ------------------------------------

BROKEN_STATUSES: dict[str, str] = {
    Key.Status.LOST: CustodyEvent.Action.KEY_LOST,
    Key.Status.DAMAGED: CustodyEvent.Action.KEY_DAMAGED,
}


@transaction.atomic
def mark_key(*, actor: Any, key: Key, status: str, note: str = "") -> Key:
    """A key reported lost or damaged. If it was out, the loan ends here: the borrower
    lost or broke it, and the event names them."""
    if status not in BROKEN_STATUSES:
        raise DomainError(_("Choose lost or damaged."), field="status")
    key = Key.objects.select_for_update().get(pk=key.pk)
    if key.status == status:
        raise DomainError(
            _("This key is already marked %(status)s.") % {"status": key.get_status_display()}, field="status"
        )
    now = timezone.now()
    loan = KeyLoan.objects.select_for_update().filter(key=key, returned_at__isnull=True).first()
    if loan is not None:
        loan.returned_at, loan.returned_to = now, actor
        loan.save(update_fields=["returned_at", "returned_to"])
    before = key.status
    key.status, key.note = status, (note.strip() or key.note)[:200]
    key.save(update_fields=["status", "note"])
    log_event(
        estate_id=key.estate_id,
        action=BROKEN_STATUSES[status],
        actor=actor,
        key=key,
        counterpart=loan.borrower_name if loan else "",
        checked_how=note.strip(),
        at=now,
    )
    record_change(actor=actor, target=key, verb="update", estate_id=key.estate_id, changes={"status": [before, status]})
    return key


def clean_authorization(
    borrower_name: str, borrower_phone: str, purpose: str, valid_until: datetime.date
) -> tuple[str, str, str]:
    borrower_name, purpose = borrower_name.strip(), purpose.strip()
    borrower_phone = normalize_phone(borrower_phone)
    if not borrower_name:
        raise DomainError(_("Enter the borrower's name."), field="borrower_name")
    problem = phone_problem(borrower_phone)
    if problem:
        raise DomainError(problem, field="borrower_phone")
    if not purpose:
        raise DomainError(_("Say what the key may be borrowed for."), field="purpose")
    if valid_until < timezone.localdate():
        raise DomainError(_("The authorization must run until today or later."), field="valid_until")
    return borrower_name, borrower_phone, purpose


@transaction.atomic
def update_authorization(
    *,
    actor: Any,
    authorization: KeyAuthorization,
    borrower_name: str,
    borrower_phone: str,
    purpose: str,
    valid_until: datetime.date,
) -> KeyAuthorization:
    authorization = KeyAuthorization.objects.select_for_update().get(pk=authorization.pk)
    if authorization.revoked_at:
        raise DomainError(_("This authorization was revoked; add a new one."), field="authorization")
    name, phone, purpose = clean_authorization(borrower_name, borrower_phone, purpose, valid_until)
    changes = {
        field: [str(getattr(authorization, field)), str(value)]
        for field, value in (
            ("borrower_name", name),
            ("borrower_phone", phone),
            ("purpose", purpose),
            ("valid_until", valid_until),
        )
        if getattr(authorization, field) != value
    }
    if changes:
        authorization.borrower_name, authorization.borrower_phone = name, phone
        authorization.purpose, authorization.valid_until = purpose, valid_until
        authorization.save(update_fields=["borrower_name", "borrower_phone", "purpose", "valid_until"])
        if "borrower_phone" in changes:
            changes["borrower_phone"] = ["***", "***"]  # the audit trail keeps no phone numbers in clear
        record_change(
            actor=actor,
            target=authorization.key,
            verb="authorize",
            estate_id=authorization.key.estate_id,
            changes=changes,
        )
    return authorization


@transaction.atomic
def revoke_authorization(*, actor: Any, authorization: KeyAuthorization) -> KeyAuthorization:
    now = timezone.now()
    updated = KeyAuthorization.objects.filter(pk=authorization.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not updated:
        raise DomainError(_("This authorization is already revoked."), field="authorization")
    authorization.refresh_from_db()
    record_change(
        actor=actor,
        target=authorization.key,
        verb="revoke",
        estate_id=authorization.key.estate_id,
        changes={"borrower": [authorization.borrower_name, None]},
    )
    return authorization


# Visitor passes and do-not-admit instructions (the owner's side) ----------------------


@transaction.atomic
def revoke_visitor_pass(*, person: Any, visitor_pass: VisitorPass) -> VisitorPass:
    updated = VisitorPass.objects.filter(pk=visitor_pass.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated:
        raise DomainError(_("This pass is already withdrawn."), field="visitor_pass")
    return VisitorPass.objects.get(pk=visitor_pass.pk)


@transaction.atomic
def add_do_not_admit(*, person: Any, unit: Any, name: str, note: str = "") -> DoNotAdmit:
    name = name.strip()
    if not name:
        raise DomainError(_("Enter the name of the person not to admit."), field="name")
    if DoNotAdmit.objects.filter(unit=unit, name=name, lifted_at__isnull=True).exists():
        raise DomainError(_("%(name)s is already on the list.") % {"name": name}, field="name")
    return DoNotAdmit.objects.create(unit=unit, name=name, note=note.strip()[:200], given_by=person)


@transaction.atomic
def lift_do_not_admit(*, person: Any, instruction: DoNotAdmit) -> DoNotAdmit:
    updated = DoNotAdmit.objects.filter(pk=instruction.pk, lifted_at__isnull=True).update(lifted_at=timezone.now())
    if not updated:
        raise DomainError(_("This instruction is already lifted."), field="instruction")
    return DoNotAdmit.objects.get(pk=instruction.pk)


# Settings and reminders -----------------------------------------------------------------


def settings_of(estate_id: int) -> DeskSettings:
    """The estate's reminder settings; the defaults until someone changes them."""
    return DeskSettings.objects.filter(estate_id=estate_id).first() or DeskSettings(estate_id=estate_id)


@transaction.atomic
def configure_desk(*, actor: Any, estate: Any, unclaimed_days: int, handover_ack_minutes: int) -> DeskSettings:
    if not 1 <= unclaimed_days <= 60:
        raise DomainError(_("Unclaimed days run from 1 to 60."), field="unclaimed_days")
    if not 5 <= handover_ack_minutes <= 24 * 60:
        raise DomainError(
            _("The handover acknowledgement time runs from 5 to 1440 minutes."), field="handover_ack_minutes"
        )
    current = settings_of(estate.pk)
    changes = {
        "unclaimed_days": [current.unclaimed_days, unclaimed_days],
        "handover_ack_minutes": [current.handover_ack_minutes, handover_ack_minutes],
    }
    desk_settings, _created = DeskSettings.objects.update_or_create(
        estate=estate, defaults={"unclaimed_days": unclaimed_days, "handover_ack_minutes": handover_ack_minutes}
    )
    record_change(actor=actor, target=desk_settings, verb="update", estate_id=estate.pk, changes=changes)
    return desk_settings


def send_desk_alerts(*, now: datetime.datetime | None = None, estate_id: int | None = None) -> int:
    """The reminder job: overdue keys, unclaimed parcels, unacknowledged handovers. Safe to
    run twice: each reminder has a dedupe key, so a user hears of one thing once.
    Returns how many notifications were new."""
    from guanjia.estates.models import Estate

    now = now or timezone.now()
    estates = Estate.objects.all() if estate_id is None else Estate.objects.filter(pk=estate_id)
    sent = 0
    for estate in estates.order_by("pk"):
        with transaction.atomic():
            sent += alert_overdue_keys(estate, now) + alert_unclaimed_parcels(estate, now)
            sent += alert_unacknowledged_handovers(estate, now)
    return sent


def alert_overdue_keys(estate: Any, now: datetime.datetime) -> int:
    from guanjia.frontdesk.queries import overdue_loans
    from guanjia.notifications.actions import notify

    loans = list(overdue_loans(estate.pk, now))
    if not loans:
        return 0
    assistants = staff_of(estate.pk, {Post.ASSISTANT})
    sent = 0
    for loan in loans:
        butler = loan.key.unit.zone.butler if loan.key.unit and loan.key.unit.zone else None
        recipients = assistants + ([butler] if butler and butler not in assistants else [])
        subject = _("Key %(tag)s is overdue") % {"tag": loan.key.tag}
        body = _("%(borrower)s should have returned key %(tag)s by %(due)s.") % {
            "borrower": loan.borrower_name,
            "tag": loan.key.tag,
            "due": timezone.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M"),
        }
        for user in recipients:
            created = notify(
                recipient=user,
                subject=subject,
                body=body,
                link=reverse("frontdesk:key", args=[loan.key_id]),
                estate=estate,
                dedupe_key=f"key-loan:{loan.pk}:overdue",
            )
            sent += created is not None
    return sent


def alert_unclaimed_parcels(estate: Any, now: datetime.datetime) -> int:
    from guanjia.frontdesk.queries import unclaimed_parcels
    from guanjia.notifications.actions import notify

    days = settings_of(estate.pk).unclaimed_days
    sent = 0
    for parcel in unclaimed_parcels(estate.pk, now, days).select_related("unit__zone__butler"):
        butler = parcel.unit.zone.butler if parcel.unit.zone else None
        residents = residents_with_logins(parcel.unit_id)
        subject = _("Not yet collected after %(days)s days: %(unit)s") % {"days": days, "unit": parcel.unit.code}
        body = _("%(what)s for %(recipient)s has waited on shelf %(shelf)s since %(since)s.") % {
            "what": parcel_label(parcel),
            "recipient": parcel.recipient_name,
            "shelf": parcel.shelf,
            "since": timezone.localtime(parcel.received_at).strftime("%Y-%m-%d"),
        }
        for user in residents:
            created = notify(
                recipient=user,
                subject=subject,
                body=body + " " + _("Pickup code: %(code)s.") % {"code": parcel.pickup_code},
                link=reverse("frontdesk:my_parcels"),
                estate=estate,
                dedupe_key=f"parcel:{parcel.pk}:unclaimed",
            )
            sent += created is not None
        if butler is not None and butler not in residents:
            created = notify(
                recipient=butler,
                subject=subject,
                body=body,
                link=reverse("frontdesk:parcels", args=[estate.pk]),
                estate=estate,
                dedupe_key=f"parcel:{parcel.pk}:unclaimed",
            )
            sent += created is not None
    return sent


def alert_unacknowledged_handovers(estate: Any, now: datetime.datetime) -> int:
    from guanjia.frontdesk.queries import unacknowledged_handovers
    from guanjia.notifications.actions import notify

    minutes = settings_of(estate.pk).handover_ack_minutes
    handovers = list(unacknowledged_handovers(estate.pk, now, datetime.timedelta(minutes=minutes)))
    if not handovers:
        return 0
    sent = 0
    for handover in handovers:
        subject = _("A shift handover is not acknowledged")
        body = _(
            "The handover written by %(writer)s at %(at)s has not been acknowledged within %(minutes)s minutes."
        ) % {
            "writer": handover.written_by,
            "at": timezone.localtime(handover.written_at).strftime("%Y-%m-%d %H:%M"),
            "minutes": minutes,
        }
        for user in staff_of(estate.pk, {Post.HEAD_BUTLER}):
            created = notify(
                recipient=user,
                subject=subject,
                body=body,
                link=reverse("frontdesk:handovers", args=[estate.pk]),
                estate=estate,
                dedupe_key=f"handover:{handover.pk}:unacknowledged",
            )
            sent += created is not None
    return sent


def find_unit(estate: Any, code: str, field: str = "unit_code") -> Any:
    """A unit of the estate by the code the desk types (1-1-1201)."""
    from guanjia.estates.models import Unit

    code = code.strip().upper()
    if not code:
        raise DomainError(_("Enter the unit code, such as 1-1-1201."), field=field)
    unit = Unit.objects.filter(estate_id=estate.pk, code=code).select_related("estate").first()
    if unit is None:
        raise DomainError(_("No unit %(code)s in this estate.") % {"code": code}, field=field)
    return unit


# Photos of keys and parcels ---------------------------------------------------------------

MAX_PHOTOS_PER_ITEM = 3


def add_key_photo(*, actor: Any, key: Key, upload: Any, now: datetime.datetime | None = None) -> CustodyPhoto:
    """A photo of a key (its tag, its cut), checked before anything is written. The key row is
    locked so that two uploads at once cannot pass the limit together."""
    content_type = check_photo(upload)
    with transaction.atomic():
        locked = Key.objects.select_for_update().get(pk=key.pk)
        return store_custody_photo(actor=actor, upload=upload, content_type=content_type, key=locked, now=now)


def add_parcel_photo(*, actor: Any, parcel: Parcel, upload: Any, now: datetime.datetime | None = None) -> CustodyPhoto:
    """A photo of a parcel or an entrusted item as it came in, while it waits at the desk.
    Checked before anything is written; the parcel row is locked for the limit."""
    content_type = check_photo(upload)
    with transaction.atomic():
        locked = Parcel.objects.select_for_update().get(pk=parcel.pk)
        if locked.status != Parcel.Status.WAITING:
            raise DomainError(
                _("This parcel has already been handed over: photos can no longer be added."), field="photo"
            )
        return store_custody_photo(actor=actor, upload=upload, content_type=content_type, parcel=locked, now=now)


def store_custody_photo(
    *,
    actor: Any,
    upload: Any,
    content_type: str,
    key: Key | None = None,
    parcel: Parcel | None = None,
    now: datetime.datetime | None = None,
) -> CustodyPhoto:
    """Save a checked photo for a key or a parcel whose row the caller has locked (or has just
    created). Runs inside the caller's transaction."""
    item: Key | Parcel | None = key if key is not None else parcel
    if item is None:
        raise ValueError("A custody photo is of a key or of a parcel.")
    if CustodyPhoto.objects.filter(key=key, parcel=parcel).count() >= MAX_PHOTOS_PER_ITEM:
        raise DomainError(
            _("A key or a parcel has at most %(count)d photos.") % {"count": MAX_PHOTOS_PER_ITEM}, field="photo"
        )
    name = upload_name(upload)
    photo = CustodyPhoto(
        estate_id=item.estate_id,
        key=key,
        parcel=parcel,
        content_type=content_type,
        size=upload.size,
        original_name=name,
        uploaded_by=actor,
        uploaded_at=now or timezone.now(),
    )
    store_photo(photo, upload, actor=actor, target=item, estate_id=item.estate_id)
    return photo
