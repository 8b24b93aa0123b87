"""Parcels and items left for someone: check-in with a 6-digit pickup code (one at a time, from
the scanner, with a photo), the residents told, the hand-over against the code. "Checked in
once" is a database constraint (a tracking number per estate)."""

from __future__ import annotations

import secrets
from contextlib import nullcontext

from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.accounts.queries import residents_with_logins
from guanjia.core.errors import DomainError
from guanjia.core.photos import check_photo, delete_image
from guanjia.core.sql import insert_with_dependents
from guanjia.core.validators import normalize_phone, phone_problem
from guanjia.estates.models import Estate, Unit
from guanjia.frontdesk import queries
from guanjia.frontdesk.actions.events import new_event
from guanjia.frontdesk.actions.photos import add_parcel_photo
from guanjia.frontdesk.models import CustodyEvent, CustodyPhoto, Parcel
from guanjia.notifications.actions import notify
from guanjia.people.queries import residents_of

PICKUP_CODE_ATTEMPTS = 20


def receive_parcel(
    *,
    actor: User,
    unit: Unit,
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
    fields = clean_parcel(
        kind=kind,
        recipient_name=recipient_name,
        shelf=shelf,
        courier=courier,
        tracking_number=tracking_number,
        left_by=left_by,
        description=description,
        left_by_phone=left_by_phone,
    )
    # The ledger names who brought it, as they were entered.
    parcel = check_in_with_fresh_code(actor=actor, unit=unit, fields=fields, counterpart=courier or left_by)
    tell_residents_of_parcel(parcel)
    return parcel


def clean_parcel(
    *,
    kind: str,
    recipient_name: str,
    shelf: str,
    courier: str,
    tracking_number: str,
    left_by: str,
    description: str,
    left_by_phone: str,
) -> dict[str, str]:
    """The parcel's own fields as they are kept, or a refusal naming the field to correct: a
    parcel needs its tracking number (or who left it), an item who left it and what it is."""
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
    return {
        "kind": kind,
        "recipient_name": recipient_name,
        "shelf": shelf,
        "courier": courier.strip(),
        "tracking_number": tracking_number,
        "left_by": left_by.strip(),
        "description": description,
        "left_by_phone": left_by_phone,
    }


def new_pickup_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def check_in_with_fresh_code(*, actor: User, unit: Unit, fields: dict[str, str], counterpart: str) -> Parcel:
    """Write the parcel and its "received" event (one statement on PostgreSQL), drawing the
    pickup code again when it collides with a waiting parcel's."""
    now = timezone.now()
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        parcel = Parcel(
            estate_id=unit.estate_id,
            unit=unit,
            pickup_code=new_pickup_code(),
            received_by=actor,
            received_at=now,
            **fields,
        )
        event = new_event(
            estate_id=unit.estate_id,
            action=CustodyEvent.Action.PARCEL_RECEIVED,
            actor=actor,
            counterpart=counterpart,
            checked_how=fields["shelf"],
            at=now,
        )
        try:
            # A savepoint inside a caller's transaction, so that a collision of the random
            # code with a waiting parcel's can be retried; at the top level the insert is its
            # own transaction.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                insert_with_dependents(parcel, [(event, "parcel_id")])
        except IntegrityError:
            # Either the tracking number is already in (refuse) or the code collided (retry).
            tracking_number = fields["tracking_number"]
            if queries.tracking_number_taken(unit.estate_id, tracking_number):
                message = _("Tracking number %(number)s is already checked in.") % {"number": tracking_number}
                raise DomainError(message, field="tracking_number") from None
            continue
        return parcel
    # A million codes and twenty collisions in a row.
    raise DomainError(_("Could not issue a pickup code; try again."), field="pickup_code")  # pragma: no cover


def receive_parcel_with_photo(*, actor: User, unit: Unit, photo: File | None = None, **fields: str) -> Parcel:
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
            delete_image(stored.file)
        raise
    return parcel


def receive_scanned_parcel(
    *, actor: User, estate: Estate, unit_code: str, shelf: str, courier: str, tracking_number: str
) -> Parcel:
    """One row of the bulk check-in from a barcode scanner: the unit by its code, and the
    parcel for the first of its residents (by relation, then name), or for the unit itself
    when nobody lives there."""
    unit = queries.find_unit(estate, unit_code)
    people = residents_of(unit)
    return receive_parcel(
        actor=actor,
        unit=unit,
        recipient_name=people[0].person.name if people else unit.code,
        shelf=shelf,
        courier=courier,
        tracking_number=tracking_number,
    )


def parcel_label(parcel: Parcel) -> str:
    if parcel.kind == Parcel.Kind.ITEM:
        return _("an item left by %(name)s (%(description)s)") % {
            "name": parcel.left_by,
            "description": parcel.description,
        }
    return _("a parcel %(courier)s %(number)s") % {"courier": parcel.courier, "number": parcel.tracking_number}


def people_to_tell(unit: Unit) -> list[User]:
    """The logins of the people who live in the unit. A unit the desk's queries read already
    says whether anyone lives there (queries.desk_units): when nobody does, the check-in asks
    nothing more."""
    if getattr(unit, "someone_lives_there", True) is False:
        return []
    return residents_with_logins(unit.pk)


def tell_residents_of_parcel(parcel: Parcel) -> None:
    users = people_to_tell(parcel.unit)
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
                estate=parcel.unit.estate,
                dedupe_key=f"parcel:{parcel.pk}:received",
            )


@transaction.atomic
def hand_over_parcel(*, actor: User, parcel: Parcel, pickup_code: str, collected_by_name: str) -> Parcel:
    """Hand a waiting parcel to whoever shows its pickup code; the code works once."""
    parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
    check_pickup(parcel, pickup_code, collected_by_name)
    now = timezone.now()
    parcel.status, parcel.handed_over_at, parcel.handed_over_by = Parcel.Status.HANDED_OVER, now, actor
    parcel.collected_by_name = collected_by_name.strip()
    parcel.save(update_fields=["status", "handed_over_at", "handed_over_by", "collected_by_name"])
    new_event(
        estate_id=parcel.estate_id,
        action=CustodyEvent.Action.PARCEL_HANDED_OVER,
        actor=actor,
        parcel=parcel,
        counterpart=parcel.collected_by_name,
        checked_how=_("pickup code"),
        at=now,
    ).save(force_insert=True)
    return parcel


def check_pickup(parcel: Parcel, pickup_code: str, collected_by_name: str) -> None:
    """Refuse a hand-over of a parcel no longer waiting, against a wrong code, or to nobody."""
    if parcel.status != Parcel.Status.WAITING:
        raise DomainError(
            _("This parcel has already been handed over; the code cannot be used again."), field="pickup_code"
        )
    # In constant time: the code is the only proof the collector is the recipient. As bytes:
    # compare_digest refuses str with non-ASCII characters (a TypeError, a 500, for "一二三").
    if not secrets.compare_digest(parcel.pickup_code.encode(), pickup_code.strip().encode()):
        raise DomainError(_("The pickup code is wrong."), field="pickup_code")
    if not collected_by_name.strip():
        raise DomainError(_("Enter who collected it."), field="collected_by_name")
