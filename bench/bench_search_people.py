"""Front-desk search over a big estate: p95 of guanjia.people.queries.search.

Set-up (not timed): one estate with 100,000 people (BENCH_PEOPLE for a quicker run) in
realistic households made by guanjia.demo.people — surnames by frequency, pinyin forms,
phone tails — and their units, loaded with COPY, then ANALYZE.

Timed: a few hundred searches mixing pinyin initials of people who exist ("zs", "wxm") and
the last four digits of their phones, against the baseline of a primary-key lookup
(Person.objects.get(pk=...)) in the same run. Target: p95 under 50 ms.

    bench/run.sh search_people                          # recreates guanjia_bench, 100,000 people
    BENCH_PEOPLE=20000 bench/run.sh search_people       # a quick run
    BENCH_EXPLAIN=1 bench/run.sh search_people          # also print the slowest queries' plans
    .venv/bin/python -m bench.bench_search_people       # again on the loaded database (reuses it)
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
import time
from decimal import Decimal
from functools import cache

from bench.harness import p95_ms, report, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from guanjia.core import crypto  # noqa: E402
from guanjia.core.masking import mask_id_number  # noqa: E402
from guanjia.demo.people import PeopleMaker  # noqa: E402
from guanjia.estates.actions import create_company, create_estate, create_zone  # noqa: E402
from guanjia.estates.models import Building, Estate, Unit  # noqa: E402
from guanjia.people import pinyin, queries  # noqa: E402
from guanjia.people.models import Person, Residency  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "100000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "400"))
TARGET_MS = 50.0
FLOORS, ENTRANCES, ROOMS = 30, 2, 4
SEED = 42


@cache
def pinyin_forms(name: str) -> tuple[str, str]:
    return pinyin.initials(name), pinyin.full_pinyin(name)


def copy_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def households(count: int) -> list[list]:
    """Households of made-up people until there are `count` of them."""
    maker = PeopleMaker(random.Random(SEED))
    delivered = datetime.date(2019, 6, 28)
    result, total = [], 0
    while total < count:
        members = maker.household(status="occupied", delivered=delivered, villa=False)
        members = members[: count - total]
        result.append(members)
        total += len(members)
    return result


def build(people: int) -> Estate:
    started = time.perf_counter()
    company = create_company(actor=None, name="基准物业", code="bench-search")
    estate = create_estate(actor=None, company=company, name="基准小区", code="bench-search", kind="high_rise")
    zone = create_zone(actor=None, estate=estate, code="Z01", name="基准区")
    homes = households(people)
    per_building = FLOORS * ENTRANCES * ROOMS
    building_count = -(-len(homes) // per_building)
    Building.objects.bulk_create(
        [Building(estate=estate, code=str(n), name=f"{n}号楼", floors=FLOORS) for n in range(1, building_count + 1)]
    )
    buildings = dict(Building.objects.filter(estate=estate).values_list("code", "id"))
    slots = (
        (str(b), str(e), floor, f"{floor:02d}{room:02d}")
        for b in range(1, building_count + 1)
        for floor in range(1, FLOORS + 1)
        for e in range(1, ENTRANCES + 1)
        for room in range(1, ROOMS + 1)
    )
    rng = random.Random(SEED)
    unit_rows = []
    for (building, entrance, floor, number), _home in zip(slots, homes, strict=False):
        code = Unit.make_code(building, entrance, number)
        area = Decimal(f"{rng.uniform(70, 160):.2f}")
        unit_rows.append(
            (
                estate.pk,
                buildings[building],
                zone.pk,
                entrance,
                number,
                code,
                floor,
                area,
                "high_rise",
                "occupied",
                datetime.date(2019, 6, 28),
                "",
            )
        )
    copy_rows(
        Unit._meta.db_table,
        [
            "estate_id",
            "building_id",
            "zone_id",
            "entrance",
            "number",
            "code",
            "floor",
            "area",
            "house_type",
            "status",
            "delivery_date",
            "note",
        ],
        unit_rows,
    )
    unit_ids = list(Unit.objects.filter(estate=estate).order_by("id").values_list("id", flat=True))

    now = timezone.now()
    person_rows, links = [], []
    for unit_id, members in zip(unit_ids, homes, strict=True):
        for member in members:
            values = member.values
            initials, full = pinyin_forms(values["name"])
            phone = values.get("phone", "")
            number = values["id_number"]
            person_rows.append(
                (
                    estate.pk,
                    values["name"],
                    initials,
                    full,
                    phone,
                    phone[-4:],
                    values.get("email", ""),
                    "resident_id",
                    crypto.encrypt(number),
                    mask_id_number(number),
                    crypto.blind_index(number),
                    values.get("emergency_contact_name", ""),
                    values.get("emergency_contact_phone", ""),
                    values.get("special_needs", ""),
                    values.get("preferences", ""),
                    "",
                    False,
                    now,
                )
            )
            links.append((unit_id, member.relation, member.since))
    copy_rows(
        Person._meta.db_table,
        [
            "estate_id",
            "name",
            "name_initials",
            "name_pinyin",
            "phone",
            "phone_tail",
            "email",
            "id_type",
            "id_number_encrypted",
            "id_number_masked",
            "id_number_digest",
            "emergency_contact_name",
            "emergency_contact_phone",
            "special_needs",
            "preferences",
            "note",
            "archived",
            "created_at",
        ],
        person_rows,
    )
    # COPY in one session numbers the rows in the order they were sent.
    person_ids = list(Person.objects.filter(estate=estate).order_by("id").values_list("id", flat=True))
    copy_rows(
        Residency._meta.db_table,
        ["unit_id", "person_id", "relation", "since"],
        [
            (unit_id, person_id, relation, since)
            for person_id, (unit_id, relation, since) in zip(person_ids, links, strict=True)
        ],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"# set-up: {len(person_rows)} people, {len(unit_rows)} units in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return estate


def search_terms(estate: Estate, count: int) -> list[str]:
    """Half pinyin initials of people who exist, half phone tails of people who exist."""
    rng = random.Random(SEED)
    people = list(
        Person.objects.filter(estate=estate)
        .exclude(phone="")
        .order_by("?")
        .values_list("name_initials", "phone_tail")[:count]
    )
    terms = []
    for index, (initials, tail) in enumerate(people):
        if index % 2:
            terms.append(tail)
        else:
            # "zs" for 张三, "wxm" for 王晓明; some clerks type only surname and first initial.
            # A name's first initials form is its surname reading ("zswj cswj": zswj).
            initials = initials.split()[0]
            terms.append(initials[:2] if rng.random() < 0.3 else initials)
    rng.shuffle(terms)
    return terms


def explain_slowest(estate: Estate, terms: list[str], how_many: int = 3) -> None:
    """Time every term once, then EXPLAIN ANALYZE the SQL that search() sent for the slowest."""
    timings = []
    for term in terms:
        started = time.perf_counter()
        queries.search(estate.pk, term)
        timings.append(((time.perf_counter() - started) * 1000, term))
    timings.sort(reverse=True)
    print("# slowest:", ", ".join(f"{term!r} {ms:.1f} ms" for ms, term in timings[:10]), flush=True)
    for _ms, term in timings[:how_many]:
        sent: list[tuple[str, tuple]] = []

        def capture(execute, sql, params, many, context, sent=sent):
            sent.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            queries.search(estate.pk, term)
        for sql, params in sent:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"# EXPLAIN ANALYZE for {term!r} ({queries.classify(term)}):\n{plan}\n", flush=True)


def main() -> None:
    # bench/run.sh starts from an empty database; a second run against the same one (say,
    # after trying an index by hand) reuses what the first one loaded.
    estate = Estate.objects.filter(code="bench-search").first()
    if estate is None:
        estate = build(PEOPLE)
    else:
        print(f"# reusing {Person.objects.filter(estate=estate).count()} people already loaded", flush=True)
    terms = search_terms(estate, QUERIES)
    ids = list(Person.objects.filter(estate=estate).order_by("?").values_list("id", flat=True)[:QUERIES])

    next_term = itertools.cycle(terms).__next__
    next_id = itertools.cycle(ids).__next__
    value = p95_ms(lambda: queries.search(estate.pk, next_term()), runs=len(terms))
    baseline = p95_ms(lambda: Person.objects.get(pk=next_id()), runs=len(ids))
    report("search_people", value, "ms", baseline)
    print(f"# target p95 < {TARGET_MS:.0f} ms: {'met' if value < TARGET_MS else 'MISSED'}", flush=True)
    if value >= TARGET_MS or os.environ.get("BENCH_EXPLAIN"):
        explain_slowest(estate, terms)


if __name__ == "__main__":
    main()
