"""Writes to a person's archive entry: the entry itself, the units they are linked to, their
vehicles. `actor` None is the system (the demo loader)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.masking import mask_id_number, mask_phone
from guanjia.core.validators import normalize_phone, phone_problem
from guanjia.estates.models import Estate, Unit
from guanjia.people import pinyin
from guanjia.people.checks import PERSON_FIELDS, clean_person_values
from guanjia.people.models import Person, Residency, Vehicle

MASKED_FIELDS = {"phone": mask_phone, "emergency_contact_phone": mask_phone, "id_number": mask_id_number}


def refuse_unknown_fields(values: dict[str, Any]) -> None:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}, field=sorted(unknown)[0]
        )


def fill_person(person: Person, values: dict[str, Any]) -> dict:
    """Set the cleaned values on `person` (not saved) and return the masked change set."""
    id_number = values.pop("id_number", None)
    changes = apply_changes(
        person, values, masked={k: MASKED_FIELDS[k](values[k]) for k in values if k in MASKED_FIELDS}
    )
    if "name" in changes or "phone" in changes:
        for field, value in search_forms(person.name, person.phone).items():
            setattr(person, field, value)
    if id_number is not None and id_number != person.reveal_id_number():
        person.set_id_number(id_number)
        changes["id_number"] = ["***", person.id_number_masked]
    return changes


@transaction.atomic
def create_person(*, actor: AbstractBaseUser | None, estate: Estate, **values: Any) -> Person:
    refuse_unknown_fields(values)
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
def update_person(*, actor: AbstractBaseUser, person: Person, **values: Any) -> Person:
    refuse_unknown_fields(values)
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
def link_person_to_unit(
    *, actor: AbstractBaseUser | None, person: Person, unit: Unit, relation: str, since: datetime.date | None = None
) -> Residency:
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
def end_residency(*, actor: AbstractBaseUser, residency: Residency, ended: datetime.date) -> Residency:
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
def add_vehicle(*, actor: AbstractBaseUser | None, person: Person, plate: str, description: str = "") -> Vehicle:
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


def search_forms(name: str, phone: str) -> dict[str, str]:
    """The derived columns the search reads: every pinyin form of the name, the phone's tail."""
    return {
        "name_initials": pinyin.initials(name),
        "name_pinyin": pinyin.full_pinyin(name),
        "phone_tail": phone[-4:],
    }


def reindex_people(*, person_model: type[Person] = Person, batch_size: int = 1000) -> int:
    """Bring every stored person to today's rules: phones in their stored form
    (core.validators.normalize_phone; a value that is no valid number is left as it is), and
    the pinyin forms and phone tail recomputed. Batches by id, each its own transaction, so it
    can be stopped and run again; used by the data migration and `manage.py reindex_people`.
    Returns how many rows changed."""
    changed = 0
    last_id = 0
    fields = ("phone", "emergency_contact_phone", "name_initials", "name_pinyin", "phone_tail")
    while True:
        with transaction.atomic():
            rows = list(
                person_model.objects.select_for_update()
                .filter(pk__gt=last_id)
                .order_by("pk")
                .only("pk", "name", *fields)[:batch_size]
            )
            if not rows:
                return changed
            updated = [row for row in rows if reindexed(row)]
            person_model.objects.bulk_update(updated, fields)
        changed += len(updated)
        last_id = rows[-1].pk


def reindexed(person: Any) -> bool:
    """Set `person`'s phones and search forms by today's rules; whether anything changed."""
    before = (person.phone, person.emergency_contact_phone, person.name_initials, person.name_pinyin, person.phone_tail)
    for field in ("phone", "emergency_contact_phone"):
        stored = normalize_phone(getattr(person, field))
        if stored and phone_problem(stored) is None:
            setattr(person, field, stored)
    for field, value in search_forms(person.name, person.phone).items():
        setattr(person, field, value)
    after = (person.phone, person.emergency_contact_phone, person.name_initials, person.name_pinyin, person.phone_tail)
    return before != after
