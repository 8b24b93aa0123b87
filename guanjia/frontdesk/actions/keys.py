"""Entrusted keys: registration, the owner's authorizations, lending and return, lost and
damaged. "Never out twice" is a database constraint (a partial unique index on open loans)."""

from __future__ import annotations

import datetime

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.photos import check_photo, delete_image
from guanjia.core.validators import normalize_phone, phone_problem
from guanjia.estates.models import Estate, Unit
from guanjia.frontdesk import queries
from guanjia.frontdesk.actions.events import new_event
from guanjia.frontdesk.actions.photos import store_custody_photo
from guanjia.frontdesk.models import CustodyEvent, CustodyPhoto, Key, KeyAuthorization, KeyLoan
from guanjia.people.models import Person

BROKEN_STATUSES: dict[str, str] = {
    Key.Status.LOST: CustodyEvent.Action.KEY_LOST,
    Key.Status.DAMAGED: CustodyEvent.Action.KEY_DAMAGED,
}


def register_key(
    *,
    actor: User,
    estate: Estate,
    kind: str,
    tag: str,
    slot: str,
    unit: Unit | None = None,
    facility: str = "",
    note: str = "",
    photo: File | None = None,
) -> Key:
    """Register a key, with a photo of it when one is given: both or neither. The photo is
    checked before anything is written."""
    tag, slot = tag.strip(), slot.strip()
    unit = check_key_fields(estate=estate, kind=kind, tag=tag, slot=slot, unit=unit, facility=facility)
    content_type = check_photo(photo) if photo is not None else ""
    stored: CustodyPhoto | None = None
    try:
        with transaction.atomic():
            key = create_key(
                estate=estate, unit=unit, facility=facility.strip(), kind=kind, tag=tag, slot=slot, note=note
            )
            new_event(
                estate_id=estate.pk, action=CustodyEvent.Action.KEY_REGISTERED, actor=actor, key=key, checked_how=slot
            ).save(force_insert=True)
            record_change(actor=actor, target=key, verb="create", estate_id=estate.pk, changes={"tag": [None, tag]})
            if photo is not None:
                stored = store_custody_photo(actor=actor, upload=photo, content_type=content_type, key=key)
    except BaseException:
        # The commit itself failed (the photo's own failures clean up after themselves).
        if stored is not None:
            delete_image(stored.file)
        raise
    return key


def check_key_fields(
    *, estate: Estate, kind: str, tag: str, slot: str, unit: Unit | None, facility: str
) -> Unit | None:
    """Refuse a key the desk cannot keep track of; the unit it opens (none for a facility's)."""
    if kind not in Key.Kind.values:
        raise DomainError(_("Choose a key kind from the list."), field="kind")
    if not tag:
        raise DomainError(_("Enter the key's tag number."), field="tag")
    if not slot:
        raise DomainError(_("Enter the storage slot."), field="slot")
    if kind == Key.Kind.FACILITY:
        if not facility.strip():
            raise DomainError(_("Name the facility this key opens."), field="facility")
        return None
    if unit is None:
        raise DomainError(_("Choose the unit this key opens."), field="unit")
    if unit.estate_id != estate.pk:
        raise DomainError(_("The unit belongs to another estate."), field="unit")
    return unit


def create_key(*, estate: Estate, unit: Unit | None, tag: str, **fields: str) -> Key:
    """The key's row; a tag the estate already has is refused (a unique constraint)."""
    try:
        with transaction.atomic():
            return Key.objects.create(estate=estate, unit=unit, tag=tag, **fields)
    except IntegrityError:
        raise DomainError(_("Key tag %(tag)s is already registered.") % {"tag": tag}, field="tag") from None


# The owner's authorizations -----------------------------------------------------------------


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
def authorize_borrower(
    *,
    actor: User,
    key: Key,
    borrower_name: str,
    borrower_phone: str,
    purpose: str,
    valid_until: datetime.date,
    granted_by: Person | None = None,
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


@transaction.atomic
def update_authorization(
    *,
    actor: User,
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
def revoke_authorization(*, actor: User, authorization: KeyAuthorization) -> KeyAuthorization:
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


# Lending, return, lost and damaged ----------------------------------------------------------


@transaction.atomic
def lend_key(*, actor: User, key: Key, borrower_name: str, borrower_phone: str, due_at: datetime.datetime) -> KeyLoan:
    """Lend a key to someone the owner authorized. Two assistants lending the same key at the
    same moment: the partial unique index lets one loan in; the other is told it is out."""
    borrower_name, borrower_phone = borrower_name.strip(), normalize_phone(borrower_phone)
    key = Key.objects.select_for_update().get(pk=key.pk)
    if key.status != Key.Status.IN_STORE:
        raise DomainError(
            _("This key is not in store (%(status)s).") % {"status": key.get_status_display()}, field="key"
        )
    # A facility's key is lent by the desk's own judgement; a unit's only as its owner said.
    authorization = None
    if key.kind != Key.Kind.FACILITY:
        authorization = queries.authorization_to_borrow(key, borrower_name, borrower_phone)
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
    new_event(
        estate_id=key.estate_id,
        action=CustodyEvent.Action.KEY_LENT,
        actor=actor,
        key=key,
        counterpart=borrower_name,
        checked_how=f"authorization #{authorization.pk}" if authorization else "",  # shown translated
        at=now,
    ).save(force_insert=True)
    return loan


@transaction.atomic
def return_key(*, actor: User, key: Key) -> KeyLoan:
    key = Key.objects.select_for_update().get(pk=key.pk)
    loan = KeyLoan.objects.select_for_update().filter(key=key, returned_at__isnull=True).first()
    if loan is None:
        raise DomainError(_("This key is not out; there is nothing to return."), field="key")
    now = timezone.now()
    loan.returned_at, loan.returned_to = now, actor
    loan.save(update_fields=["returned_at", "returned_to"])
    Key.objects.filter(pk=key.pk).update(status=Key.Status.IN_STORE)
    new_event(
        estate_id=key.estate_id,
        action=CustodyEvent.Action.KEY_RETURNED,
        actor=actor,
        key=key,
        counterpart=loan.borrower_name,
        at=now,
    ).save(force_insert=True)
    return loan


@transaction.atomic
def mark_key(*, actor: User, key: Key, status: str, note: str = "") -> Key:
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
    new_event(
        estate_id=key.estate_id,
        action=BROKEN_STATUSES[status],
        actor=actor,
        key=key,
        counterpart=loan.borrower_name if loan else "",
        checked_how=note.strip(),
        at=now,
    ).save(force_insert=True)
    record_change(actor=actor, target=key, verb="update", estate_id=key.estate_id, changes={"status": [before, status]})
    return key
