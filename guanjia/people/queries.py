"""Reads of the owner archive, including the front-desk one-box search."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from guanjia.estates.models import Unit
from guanjia.people import pinyin
from guanjia.people.models import Person, Residency

UNIT_CODE_PATTERN = re.compile(r"^[0-9A-Za-z]+(-[0-9A-Za-z]*)+$|^[0-9A-Za-z]+-?$")
SEARCH_LIMIT = 20


@dataclass
class SearchResult:
    people: list[Person]
    units: list[Unit]
    how: str  # which kind of match: name, initials, phone, unit


def current_residencies() -> Prefetch:
    return Prefetch(
        "residencies",
        queryset=Residency.objects.filter(ended__isnull=True).select_related("unit").order_by("unit__code"),
        to_attr="current_residencies",
    )


def people_of_estate(estate_id: int) -> QuerySet[Person]:
    return Person.objects.filter(estate_id=estate_id, archived=False).prefetch_related(current_residencies())


def classify(query: str) -> str:
    if query.isdigit() and 3 <= len(query) <= 4:
        return "phone"
    if query.isdigit() and len(query) >= 7:
        return "phone_full"
    if "-" in query and UNIT_CODE_PATTERN.match(query):
        return "unit"
    if pinyin.looks_like_pinyin(query):
        return "initials" if len(query) <= 4 else "pinyin"
    return "name"


def search(estate_id: int, raw_query: str, limit: int = SEARCH_LIMIT) -> SearchResult:
    """One box at the front desk: a name, pinyin initials (zs finds 张三), full pinyin,
    a phone's last four digits, a whole phone number, or a unit code such as 3-2-1201."""
    query = raw_query.strip()
    if not query:
        return SearchResult([], [], "")
    how = classify(query)
    people = Person.objects.none()
    units = Unit.objects.none()
    order: tuple[str, ...] = ("name", "id")
    if how == "phone":
        people = Person.objects.filter(estate_id=estate_id, phone_tail=query[-4:]) if len(query) == 4 else people
        units = Unit.objects.filter(estate_id=estate_id, number=query)
    elif how == "phone_full":
        people = Person.objects.filter(estate_id=estate_id, phone_tail=query[-4:], phone=query)
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
    unit_list = list(units.select_related("zone").order_by("code")[:limit])
    return SearchResult(people_list, unit_list, how)


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
