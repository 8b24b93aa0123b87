"""Reads of unmasked personal data, each one logged, and the re-encryption of stored ID numbers
under a new key."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.core import crypto
from guanjia.estates.models import Estate
from guanjia.people.models import Attachment, Person, PersonalDataRead


def reveal_personal_data(
    *, actor: AbstractBaseUser, person: Person, purpose: str = "", channel: str = "page"
) -> dict[str, str]:
    """The clear phone and ID number, logged. The caller has passed access_personal_data."""
    PersonalDataRead.objects.create(
        reader_id=actor.pk,
        person=person,
        estate_id=person.estate_id,
        fields="phone,id_number,emergency_contact_phone",
        purpose=purpose[:200],
        channel=channel,
    )
    return {
        "phone": person.phone,
        "id_number": person.reveal_id_number(),
        "emergency_contact_phone": person.emergency_contact_phone,
    }


def log_bulk_reveal(*, actor: AbstractBaseUser, estate: Estate, count: int, purpose: str, channel: str) -> None:
    """One log row for an export that carried clear values for `count` people."""
    PersonalDataRead.objects.create(
        reader_id=actor.pk,
        person=None,
        estate=estate,
        fields="phone,id_number",
        purpose=purpose[:200],
        count=count,
        channel=channel,
    )


def rotate_personal_data_keys(*, batch_size: int = 1000) -> int:
    """Re-encrypt every stored ID number under the newest key (GUANJIA_FIELD_KEYS[0]).
    Runs in batches, each its own transaction, so it can be stopped and run again."""
    rotated = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                Person.objects.select_for_update()
                .filter(pk__gt=last_id)
                .exclude(id_number_encrypted="")
                .order_by("pk")
                .only("pk", "id_number_encrypted")[:batch_size]
            )
            if not rows:
                return rotated
            for person in rows:
                person.id_number_encrypted = crypto.rotate(person.id_number_encrypted)
            Person.objects.bulk_update(rows, ["id_number_encrypted"])
        rotated += len(rows)
        last_id = rows[-1].pk


def log_attachment_read(*, actor: AbstractBaseUser, attachment: Attachment, channel: str = "page") -> None:
    """A document of the archive (an ID copy, a contract) opened: logged as a reveal is. The
    caller has passed access_attachment."""
    PersonalDataRead.objects.create(
        reader_id=actor.pk,
        person_id=attachment.person_id,
        estate_id=attachment.person.estate_id,
        fields=f"attachment:{attachment.pk}",
        purpose=attachment.title[:200],
        channel=channel,
    )


def log_phone_matches(*, actor: AbstractBaseUser, people: list[Person], query: str, channel: str) -> None:
    """A search by more of a phone number than its mask shows found these people: it told the
    reader their whole number, so each is logged as a reveal of the phone."""
    PersonalDataRead.objects.bulk_create(
        PersonalDataRead(
            reader_id=actor.pk,
            person=person,
            estate_id=person.estate_id,
            fields="phone",
            purpose=(_("search: %(query)s") % {"query": query})[:200],
            channel=channel,
        )
        for person in people
    )
