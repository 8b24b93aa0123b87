"""The rules a person's details follow, shared by the archive's actions and the registry
workbook. A module of its own because the import actions read the workbook: the workbook
cannot import the actions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from guanjia.core.errors import Problems
from guanjia.core.validators import normalize_phone, phone_problem, resident_id_problem
from guanjia.people.models import Person

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
