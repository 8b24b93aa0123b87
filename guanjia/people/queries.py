"""Reads of the owner archive, including the front-desk one-box search and what the registry
workbook's import and export read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from guanjia.core.errors import DomainError
from guanjia.core.models import Job
from guanjia.core.validators import canonical_phone, parse_phone, phone_digits
from guanjia.estates.models import Estate, Unit, Zone
from guanjia.people import pinyin
from guanjia.people.models import Attachment, Person, Residency, Vehicle
from guanjia.people.registry_reader import EstateFacts, ExistingResident, ExistingUnit

UNIT_CODE_PATTERN = re.compile(r"^[0-9A-Za-z]+(-[0-9A-Za-z]*)+$|^[0-9A-Za-z]+-?$")
PHONE_SEPARATORS = re.compile(r"[\s\-()]")
SEARCH_LIMIT = 20
# A masked phone shows its last four digits (core.masking.mask_phone): a tail that long tells
# nobody more than the mask does. A longer one is a number's worth of knowledge, and matches
# only people the reader may see whole.
TAIL_SHOWN = 4


@dataclass
class SearchResult:
    people: list[Person]
    units: list[Unit]
    how: str  # which kind of match: name, initials, pinyin, phone (a tail shown in the mask), phone_full, unit
    notice: str = ""


def current_residencies() -> Prefetch:
    return Prefetch(
        "residencies",
        queryset=Residency.objects.filter(ended__isnull=True).select_related("unit").order_by("unit__code"),
        to_attr="current_residencies",
    )


def people_of_estate(estate_id: int) -> QuerySet[Person]:
    """The estate's archive by name, each person with their current units."""
    return (
        Person.objects.filter(estate_id=estate_id, archived=False)
        .prefetch_related(current_residencies())
        .order_by("name", "id")
    )


def phone_digits_of_query(query: str) -> str | None:
    """The digits to match phone numbers' tails with, when the query is a phone number or a
    part of one however written (+86 138…, 0571-88886666, 138 1234 5678); None otherwise. A
    whole number is matched in its stored form (+86 138… is 138…)."""
    compact = PHONE_SEPARATORS.sub("", query)
    digits = compact.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        return None
    if "-" in query and not compact.startswith(("+", "0", "1")):
        return None  # 3-2-1201: a unit code
    number = parse_phone(query)
    if number is not None:
        return phone_digits(canonical_phone(number))
    if "-" in query or compact.startswith("+"):
        return None  # dashes between digits that make no phone number: a unit code
    return digits


def classify(query: str) -> str:
    if query.isdigit() and 3 <= len(query) <= TAIL_SHOWN:
        return "phone"
    digits = phone_digits_of_query(query)
    if digits is not None and len(digits) > TAIL_SHOWN:
        return "phone_full"
    if "-" in query and UNIT_CODE_PATTERN.match(query):
        return "unit"
    if pinyin.looks_like_pinyin(query):
        return "initials" if len(query) <= 4 else "pinyin"
    return "name"


def by_other_readings(
    people: QuerySet[Person], field: str, query: str, found: list[Person], limit: int
) -> list[Person]:
    """`found` (the matches of the names' first form, the surname reading) topped up to `limit`
    with names whose later form starts with `query` ("cswj" in "zswj cswj": 长孙无忌 read as 长
    in 长江). Asked only when the first forms did not fill the page, and without an order, so
    that PostgreSQL stops scanning at the limit: the first query keeps its index and order."""
    if len(found) >= limit:
        return found
    seen = {person.pk for person in found}
    # The first condition is the partial index's own (models.Person.Meta), so that PostgreSQL
    # reads only the names that have a later form.
    more = people.filter(**{f"{field}__contains": pinyin.FORM_SEPARATOR})
    others = more.filter(**{f"{field}__contains": pinyin.FORM_SEPARATOR + query}).exclude(pk__in=seen).order_by()
    extra = sorted(others.prefetch_related(current_residencies())[: limit - len(found)], key=lambda p: (p.name, p.pk))
    return found + extra


def search(estate_id: int, raw_query: str, limit: int = SEARCH_LIMIT, *, full_numbers: Q | None = None) -> SearchResult:
    """One box at the front desk: a name, pinyin initials (zs finds 张三), full pinyin,
    a phone's last four digits, a longer tail or a whole phone number however written, or a
    unit code such as 3-2-1201.

    `full_numbers` says whose phones may match more digits than their mask shows: the people
    the reader may see whole (people.access.unmaskable_people); None for nobody."""
    query = unicodedata.normalize("NFKC", raw_query).strip()
    if not query:
        return SearchResult([], [], "")
    how = classify(query)
    people = Person.objects.none()
    units = Unit.objects.none()
    order: tuple[str, ...] = ("name", "id")
    notice = ""
    if how == "phone":
        people = Person.objects.filter(estate_id=estate_id, phone_tail=query[-4:]) if len(query) == 4 else people
        units = Unit.objects.filter(estate_id=estate_id, number=query)
    elif how == "phone_full":
        digits = phone_digits_of_query(query) or ""
        if full_numbers is None:
            notice = _("Search by the last 4 digits of a phone number: you may not see whole numbers.")
        else:
            # phone_tail keeps the estate's index in use; the stored form's digits end the same.
            people = Person.objects.filter(estate_id=estate_id, phone_tail=digits[-4:], phone__endswith=digits)
            people = people.filter(full_numbers)
    elif how == "unit":
        units = Unit.objects.filter(estate_id=estate_id, code__startswith=query.upper())
    elif how == "initials":
        people = Person.objects.filter(estate_id=estate_id, name_initials__startswith=query.lower())
        # Exact initials first ("zs": 张三 before 张三丰). This order also keeps PostgreSQL on
        # person_initials_idx: ordered by name alone it walks the name index of the whole estate
        # until 20 rows match (300 ms at 100,000 people, bench/bench_search_people.py).
        order = ("name_initials", "name", "id")
    elif how == "pinyin":
        people = Person.objects.filter(estate_id=estate_id, name_pinyin__startswith=query.lower())
        order = ("name_pinyin", "name", "id")
    else:
        people = Person.objects.filter(estate_id=estate_id, name__startswith=query)
        units = Unit.objects.filter(estate_id=estate_id, code__startswith=query.upper())
    people_list = list(people.filter(archived=False).order_by(*order).prefetch_related(current_residencies())[:limit])
    if how in ("initials", "pinyin"):
        field = "name_initials" if how == "initials" else "name_pinyin"
        everyone = Person.objects.filter(estate_id=estate_id, archived=False)
        people_list = by_other_readings(everyone, field, query.lower(), people_list, limit)
    unit_list = list(units.select_related("zone").order_by("code")[:limit])
    return SearchResult(people_list, unit_list, how, notice)


def residents_of(unit: Unit) -> list[Residency]:
    return list(
        unit.residencies.filter(ended__isnull=True).select_related("person").order_by("relation", "person__name")
    )


def units_of_person(person: Person) -> list[Residency]:
    return list(
        person.residencies.filter(ended__isnull=True).select_related(
            "unit", "unit__zone", "unit__zone__butler", "unit__estate"
        )
    )


def current_residencies_of(person: Person) -> list[Residency]:
    """The person's current units, from the prefetch (current_residencies) when it was made."""
    prefetched = getattr(person, "current_residencies", None)
    if prefetched is not None:
        return prefetched
    return list(person.residencies.filter(ended__isnull=True).select_related("unit"))


def vehicles_of(person: Person) -> QuerySet[Vehicle]:
    return person.vehicles.order_by("plate")


def attachments_of(person: Person) -> QuerySet[Attachment]:
    return person.attachments.order_by("-uploaded_at")


def unit_with_code(estate_id: int, code: str) -> Unit:
    """The estate's unit with this code as typed (3-2-1201, any case and spacing around it);
    a DomainError on the unit_code field when there is none."""
    unit = Unit.objects.filter(estate_id=estate_id, code=code.strip().upper()).first()
    if unit is None:
        raise DomainError(_("No unit with this code in the estate."), field="unit_code")
    return unit


# The registry workbook ----------------------------------------------------------------------


def estate_facts(estate: Estate) -> EstateFacts:
    """What the workbook checks need to know about the estate, in a few queries."""
    people = Person.objects.filter(estate=estate, archived=False).exclude(id_number_digest="")
    units = existing_units(estate)
    return EstateFacts(
        code=estate.code,
        other_estate_codes=set(Estate.objects.exclude(pk=estate.pk).values_list("code", flat=True)),
        units=units,
        residents=existing_residents(estate),
        zone_codes=set(Zone.objects.filter(estate=estate).values_list("code", flat=True)),
        people_by_digest={
            digest: (pk, name) for pk, digest, name in people.values_list("pk", "id_number_digest", "name")
        },
        current_links=set(
            Residency.objects.filter(unit__estate=estate, ended__isnull=True).values_list("unit__code", "person_id")
        ),
    )


def existing_units(estate: Estate) -> dict[str, ExistingUnit]:
    """The estate's units by code, with the fields a registry row can change."""
    rows = Unit.objects.filter(estate=estate).values_list(
        "code", "id", "floor", "area", "house_type", "status", "delivery_date", "zone__code"
    )
    return {
        code: ExistingUnit(
            id=pk,
            floor=floor,
            area=area,
            house_type=house_type,
            status=status,
            delivery_date=delivery_date,
            zone_code=zone_code or "",
        )
        for code, pk, floor, area, house_type, status, delivery_date, zone_code in rows.iterator(chunk_size=2000)
    }


def existing_residents(estate: Estate) -> dict[tuple[str, str], list[ExistingResident]]:
    """The estate's current residents by (unit code, name), with what a registry row can change."""
    rows = Residency.objects.filter(unit__estate=estate, ended__isnull=True).values_list(
        "unit__code",
        "id",
        "person_id",
        "relation",
        "person__name",
        "person__phone",
        "person__id_type",
        "person__id_number_masked",
        "person__id_number_digest",
        "person__emergency_contact_name",
        "person__emergency_contact_phone",
    )
    residents: dict[tuple[str, str], list[ExistingResident]] = {}
    for row in rows.iterator(chunk_size=2000):
        resident = ExistingResident(*row[1:])
        residents.setdefault((row[0], resident.name), []).append(resident)
    return residents


def estate_of_job(job: Job) -> Estate:
    if job.estate_id is None:
        raise Estate.DoesNotExist
    return Estate.objects.get(pk=job.estate_id)


def units_for_export(estate: Estate) -> Iterator[Unit]:
    """The estate's units by code, with the codes of their building and zone, streamed."""
    return (
        Unit.objects.filter(estate=estate)
        .select_related("building", "zone")
        .only(
            "code",
            "entrance",
            "number",
            "floor",
            "area",
            "house_type",
            "status",
            "delivery_date",
            "building__code",
            "zone__code",
        )
        .order_by("code")
        .iterator(chunk_size=2000)
    )


class ResidentRow(NamedTuple):
    """A current resident of a unit with what the workbook shows of them (ID number as stored)."""

    unit_code: str
    relation: str
    person_id: int
    name: str
    phone: str
    id_type: str
    id_number_encrypted: str
    id_number_masked: str
    emergency_contact_name: str
    emergency_contact_phone: str


def residents_for_export(estate: Estate) -> Iterator[ResidentRow]:
    """Every current resident of the estate's units, by unit code, streamed."""
    rows = (
        Residency.objects.filter(unit__estate=estate, ended__isnull=True)
        .order_by("unit__code", "id")
        .values_list(
            "unit__code",
            "relation",
            "person_id",
            "person__name",
            "person__phone",
            "person__id_type",
            "person__id_number_encrypted",
            "person__id_number_masked",
            "person__emergency_contact_name",
            "person__emergency_contact_phone",
        )
    )
    return (ResidentRow(*row) for row in rows.iterator(chunk_size=2000))
