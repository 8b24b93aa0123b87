"""Every write to the owner archive, and every read of unmasked personal data."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.masking import mask_id_number, mask_phone
from guanjia.core.validators import normalize_phone, phone_problem, resident_id_problem
from guanjia.people import pinyin
from guanjia.people.models import Attachment, Person, PersonalDataRead, Residency, Vehicle

PERSON_FIELDS = (
    "name",
    "phone",
    "email",
    "id_type",
    "id_number",
    "emergency_contact_name",
    "emergency_contact_phone",
    "special_needs",
    "preferences",
    "note",
)
ID_TYPES = frozenset(Person.IdType.values)  # built once; imports check 100,000 rows
MASKED_FIELDS = {"phone": mask_phone, "emergency_contact_phone": mask_phone, "id_number": mask_id_number}


def clean_person_values(values: dict[str, Any], problems: Problems, row: int | None = None) -> dict[str, Any]:
    """Normalise and check a person's fields; each problem names its field."""
    cleaned = dict(values)
    for name in PERSON_FIELDS:
        if name in cleaned and isinstance(cleaned[name], str):
            cleaned[name] = cleaned[name].strip()
    if "name" in cleaned and not cleaned["name"]:
        problems.add("name", _("Enter the person's name."), row)
    if len(cleaned.get("name", "")) > 50:
        problems.add("name", _("A name has at most 50 characters."), row)
    for field in ("phone", "emergency_contact_phone"):
        if cleaned.get(field):
            cleaned[field] = normalize_phone(cleaned[field])
            message = phone_problem(cleaned[field])
            if message:
                problems.add(field, message, row)
    if "id_type" in cleaned and cleaned["id_type"] not in ID_TYPES:
        problems.add("id_type", _("Choose an ID type from the list."), row)
    number = cleaned.get("id_number")
    if number:
        cleaned["id_number"] = number = number.upper().replace(" ", "")
        if cleaned.get("id_type", Person.IdType.RESIDENT_ID) == Person.IdType.RESIDENT_ID:
            message = resident_id_problem(number)
            if message:
                problems.add("id_number", message, row)
        elif len(number) > 30:
            problems.add("id_number", _("An ID number has at most 30 characters."), row)
    return cleaned


def fill_person(person: Person, values: dict[str, Any]) -> dict:
    """Set the cleaned values on `person` (not saved) and return the masked change set."""
    id_number = values.pop("id_number", None)
    changes = apply_changes(
        person, values, masked={k: MASKED_FIELDS[k](values[k]) for k in values if k in MASKED_FIELDS}
    )
    if "name" in changes:
        person.name_initials = pinyin.initials(person.name)
        person.name_pinyin = pinyin.full_pinyin(person.name)
    if "phone" in changes:
        person.phone_tail = person.phone[-4:]
    if id_number is not None and id_number != person.reveal_id_number():
        person.set_id_number(id_number)
        changes["id_number"] = ["***", person.id_number_masked]
    return changes


@transaction.atomic
def create_person(*, actor: Any, estate: Any, **values: Any) -> Person:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}, field=sorted(unknown)[0]
        )
    values.setdefault("name", "")
    problems = Problems()
    cleaned = clean_person_values(values, problems)
    problems.raise_if_any(_("Please correct the person's details."))
    person = Person(estate=estate)
    changes = fill_person(person, cleaned)
    person.save()
    record_change(actor=actor, target=person, verb="create", estate_id=estate.pk, changes=changes)
    return person


@transaction.atomic
def update_person(*, actor: Any, person: Person, **values: Any) -> Person:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}, field=sorted(unknown)[0]
        )
    person = Person.objects.select_for_update().get(pk=person.pk)
    if "id_number" in values:
        values.setdefault("id_type", person.id_type)  # check the number against the type it is filed under
    problems = Problems()
    cleaned = clean_person_values(values, problems)
    problems.raise_if_any(_("Please correct the person's details."))
    changes = fill_person(person, cleaned)
    if changes:
        person.save()
        record_change(actor=actor, target=person, verb="update", estate_id=person.estate_id, changes=changes)
    return person


@transaction.atomic
def link_person_to_unit(*, actor: Any, person: Person, unit: Any, relation: str, since: Any = None) -> Residency:
    if unit.estate_id != person.estate_id:
        raise DomainError(_("The unit belongs to another estate."), field="unit")
    if relation not in Residency.Relation.values:
        raise DomainError(_("Choose a relation from the list."), field="relation")
    if Residency.objects.filter(unit=unit, person=person, ended__isnull=True).exists():
        raise DomainError(_("This person is already linked to the unit."), field="unit")
    residency = Residency.objects.create(unit=unit, person=person, relation=relation, since=since)
    record_change(
        actor=actor,
        target=person,
        verb="link_unit",
        estate_id=person.estate_id,
        changes={"unit": [None, unit.code], "relation": [None, relation]},
    )
    return residency


@transaction.atomic
def end_residency(*, actor: Any, residency: Residency, ended: Any) -> Residency:
    residency = Residency.objects.select_for_update().select_related("person", "unit").get(pk=residency.pk)
    if residency.ended is not None:
        raise DomainError(_("This link has already ended."), field="ended")
    residency.ended = ended
    residency.save(update_fields=["ended"])
    record_change(
        actor=actor,
        target=residency.person,
        verb="unlink_unit",
        estate_id=residency.person.estate_id,
        changes={"unit": [residency.unit.code, None], "ended": [None, str(ended)]},
    )
    return residency


@transaction.atomic
def add_vehicle(*, actor: Any, person: Person, plate: str, description: str = "") -> Vehicle:
    plate = plate.strip().upper().replace(" ", "")
    if not 7 <= len(plate) <= 8:
        raise DomainError(_("A plate number has 7 or 8 characters, e.g. 沪A12345."), field="plate")
    if person.vehicles.filter(plate=plate).exists():
        raise DomainError(_("This vehicle is already registered."), field="plate")
    vehicle = Vehicle.objects.create(person=person, plate=plate, description=description)
    record_change(
        actor=actor, target=person, verb="add_vehicle", estate_id=person.estate_id, changes={"plate": [None, plate]}
    )
    return vehicle


ALLOWED_ATTACHMENT_SIGNATURES = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in ALLOWED_ATTACHMENT_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


@transaction.atomic
def add_attachment(*, actor: Any, person: Person, title: str, upload: Any) -> Attachment:
    from django.conf import settings

    if not title.strip():
        raise DomainError(_("Give the document a title."), field="title")
    if upload.size > settings.GUANJIA_ATTACHMENT_MAX_BYTES:
        raise DomainError(_("The file is larger than 10 MB."), field="file")
    head = upload.read(8)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise DomainError(_("Only PDF, PNG and JPEG files can be attached."), field="file")
    attachment = Attachment.objects.create(
        person=person, title=title.strip(), file=upload, content_type=content_type, size=upload.size, uploaded_by=actor
    )
    record_change(
        actor=actor,
        target=person,
        verb="add_attachment",
        estate_id=person.estate_id,
        changes={"attachment": [None, attachment.title]},
    )
    return attachment


def reveal_personal_data(*, actor: Any, person: Person, purpose: str = "", channel: str = "page") -> dict[str, str]:
    """The clear phone and ID number, logged. The caller has passed access_personal_data."""
    PersonalDataRead.objects.create(
        reader=actor,
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


def log_bulk_reveal(*, actor: Any, estate: Any, count: int, purpose: str, channel: str) -> None:
    """One log row for an export that carried clear values for `count` people."""
    PersonalDataRead.objects.create(
        reader=actor,
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
    from guanjia.core import crypto

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
