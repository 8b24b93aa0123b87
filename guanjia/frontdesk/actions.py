"""Every write to the custody ledger. Each hand-over writes a CustodyEvent in the same
transaction; "never out twice" and "checked in once" are database constraints."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.validators import normalize_phone, phone_problem
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

PICKUP_CODE_ATTEMPTS = 20


def log_event(
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
    return CustodyEvent.objects.create(
        estate_id=estate_id,
        key=key,
        parcel=parcel,
        action=action,
        actor=actor,
        counterpart=counterpart[:100],
        checked_how=checked_how[:100],
        at=at or timezone.now(),
    )


@transaction.atomic
def register_key(
    *, actor: Any, estate: Any, kind: str, tag: str, slot: str, unit: Any = None, facility: str = "", note: str = ""
) -> Key:
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
    try:
        with transaction.atomic():
            key = Key.objects.create(
                estate=estate, unit=unit, facility=facility.strip(), kind=kind, tag=tag, slot=slot, note=note
            )
    except IntegrityError:
        raise DomainError(_("Key tag %(tag)s is already registered.") % {"tag": tag}, field="tag") from None
    log_event(estate_id=estate.pk, action=CustodyEvent.Action.KEY_REGISTERED, actor=actor, key=key, checked_how=slot)
    record_change(actor=actor, target=key, verb="create", estate_id=estate.pk, changes={"tag": [None, tag]})
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


@transaction.atomic
def receive_parcel(
    *,
    actor: Any,
    unit: Any,
    recipient_name: str,
    shelf: str,
    courier: str = "",
    tracking_number: str = "",
    left_by: str = "",
) -> Parcel:
    """Check a parcel (or an item someone leaves for the unit) in, with a fresh 6-digit
    pickup code, unique among the estate's waiting parcels."""
    recipient_name, shelf = recipient_name.strip(), shelf.strip()
    tracking_number = tracking_number.strip().upper()
    if not recipient_name:
        raise DomainError(_("Enter the recipient's name."), field="recipient_name")
    if not shelf:
        raise DomainError(_("Enter the shelf it is kept on."), field="shelf")
    if not tracking_number and not left_by.strip():
        raise DomainError(_("Enter the tracking number, or who left the item."), field="tracking_number")
    now = timezone.now()
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                parcel = Parcel.objects.create(
                    estate_id=unit.estate_id,
                    unit=unit,
                    courier=courier.strip(),
                    tracking_number=tracking_number,
                    left_by=left_by.strip(),
                    recipient_name=recipient_name,
                    shelf=shelf,
                    pickup_code=new_pickup_code(),
                    received_by=actor,
                    received_at=now,
                )
            break
        except IntegrityError:
            # Either the tracking number is already in (refuse) or the code collided (retry).
            duplicate = (
                tracking_number
                and Parcel.objects.filter(estate_id=unit.estate_id, tracking_number=tracking_number).exists()
            )
            if duplicate:
                message = _("Tracking number %(number)s is already checked in.") % {"number": tracking_number}
                raise DomainError(message, field="tracking_number") from None
    else:  # pragma: no cover - a million codes and twenty collisions in a row
        raise DomainError(_("Could not issue a pickup code; try again."), field="pickup_code")
    log_event(
        estate_id=unit.estate_id,
        action=CustodyEvent.Action.PARCEL_RECEIVED,
        actor=actor,
        parcel=parcel,
        counterpart=courier or left_by,
        checked_how=shelf,
        at=now,
    )
    return parcel


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


def open_items(estate_id: int) -> dict[str, list[dict]]:
    """What the next shift takes over: keys out and parcels waiting, listed by the system."""
    keys_out = KeyLoan.objects.filter(key__estate_id=estate_id, returned_at__isnull=True).select_related("key")
    waiting = Parcel.objects.filter(estate_id=estate_id, status=Parcel.Status.WAITING).select_related("unit")
    return {
        "keys_out": [
            {"tag": loan.key.tag, "borrower": loan.borrower_name, "due_at": loan.due_at.isoformat()}
            for loan in keys_out.order_by("due_at")
        ],
        "parcels_waiting": [
            {"unit": parcel.unit.code, "recipient": parcel.recipient_name, "shelf": parcel.shelf}
            for parcel in waiting.order_by("received_at")
        ],
    }


@transaction.atomic
def write_handover(*, actor: Any, estate: Any, note: str) -> Handover:
    if not note.strip():
        raise DomainError(_("Write what the next shift needs to know."), field="note")
    return Handover.objects.create(
        estate=estate, written_by=actor, written_at=timezone.now(), note=note.strip(), open_items=open_items(estate.pk)
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
