"""The front desk's one box over a big estate: p95 of guanjia.frontdesk.queries.desk_search
(the units found by unit code, name, pinyin initials or phone tail, each with its parcels
waiting, keys, expected visitors, do-not-admit instructions and open requests).

Set-up (not timed): one estate with 100,000 units (BENCH_UNITS) and their owners and
co-owners made by guanjia.demo.people (loaded with COPY like bench_search_people), then what
a busy desk holds: a parcel waiting for one unit in twenty, a key for one in ten, a visitor
pass for one in fifty, a do-not-admit instruction for one in two hundred; then ANALYZE.

Timed: BENCH_QUERIES (400) searches mixing unit codes ("12-1-0803"), pinyin initials of
people who exist and phone tails, against a primary-key lookup of a unit in the same run.
Target: p95 under 50 ms.

    bench/run.sh frontdesk_search
    BENCH_UNITS=20000 bench/run.sh frontdesk_search     # a quick run
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
import time
from decimal import Decimal

from bench.harness import p95_ms, report, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.bench_search_people import copy_rows, pinyin_forms  # noqa: E402
from guanjia.accounts.models import User  # noqa: E402
from guanjia.core import crypto  # noqa: E402
from guanjia.core.masking import mask_id_number  # noqa: E402
from guanjia.demo.people import PeopleMaker  # noqa: E402
from guanjia.estates.actions import create_company, create_estate, create_zone  # noqa: E402
from guanjia.estates.models import Building, Estate, Unit  # noqa: E402
from guanjia.frontdesk import queries  # noqa: E402
from guanjia.frontdesk.models import DoNotAdmit, Key, Parcel, VisitorPass  # noqa: E402
from guanjia.people.models import Person  # noqa: E402

UNITS = int(os.environ.get("BENCH_UNITS", "100000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "400"))
TARGET_MS = 50.0
FLOORS, ENTRANCES, ROOMS = 30, 2, 4
SEED = 11
CODE = "bench-desk"


def person_row(estate_id: int, values: dict, now: datetime.datetime) -> tuple:
    initials, full = pinyin_forms(values["name"])
    phone = values.get("phone", "")
    number = values["id_number"]
    return (
        estate_id,
        values["name"],
        initials,
        full,
        phone,
        phone[-4:],
        "",
        "resident_id",
        crypto.encrypt(number),
        mask_id_number(number),
        crypto.blind_index(number),
        "",
        "",
        "",
        "",
        "",
        False,
        now,
    )


PERSON_COLUMNS = [
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
]


def build(count: int) -> Estate:
    started = time.perf_counter()
    company = create_company(actor=None, name="基准物业", code=CODE)
    estate = create_estate(actor=None, company=company, name="前台小区", code=CODE, kind="high_rise")
    zone = create_zone(actor=None, estate=estate, code="Z01", name="基准区")
    per_building = FLOORS * ENTRANCES * ROOMS
    building_count = -(-count // per_building)
    Building.objects.bulk_create(
        [Building(estate=estate, code=str(n), name=f"{n}号楼", floors=FLOORS) for n in range(1, building_count + 1)]
    )
    buildings = dict(Building.objects.filter(estate=estate).values_list("code", "id"))
    slots = itertools.islice(
        (
            (str(b), str(e), floor, f"{floor:02d}{room:02d}")
            for b in range(1, building_count + 1)
            for floor in range(1, FLOORS + 1)
            for e in range(1, ENTRANCES + 1)
            for room in range(1, ROOMS + 1)
        ),
        count,
    )
    delivered = datetime.date(2019, 6, 28)
    unit_rows = [
        (
            estate.pk,
            buildings[building],
            zone.pk,
            entrance,
            number,
            Unit.make_code(building, entrance, number),
            floor,
            Decimal("98.50"),
            "high_rise",
            "occupied",
            delivered,
            "",
        )
        for building, entrance, floor, number in slots
    ]
    unit_columns = ["estate_id", "building_id", "zone_id", "entrance", "number", "code", "floor", "area"]
    unit_columns += ["house_type", "status", "delivery_date", "note"]
    copy_rows(Unit._meta.db_table, unit_columns, unit_rows)
    unit_ids = list(Unit.objects.filter(estate=estate).order_by("id").values_list("id", flat=True))

    # The owner and, often, a co-owner of each unit.
    maker = PeopleMaker(random.Random(SEED))
    now = timezone.now()
    person_rows, links = [], []
    for unit_id in unit_ids:
        for member in maker.household(status="occupied", delivered=delivered, villa=False)[:2]:
            person_rows.append(person_row(estate.pk, member.values, now))
            links.append((unit_id, member.relation, member.since))
    copy_rows(Person._meta.db_table, PERSON_COLUMNS, person_rows)
    person_ids = list(Person.objects.filter(estate=estate).order_by("id").values_list("id", flat=True))
    copy_rows(
        "people_residency",
        ["unit_id", "person_id", "relation", "since"],
        [(u, p, relation, since) for p, (u, relation, since) in zip(person_ids, links, strict=True)],
    )
    load_custody(estate, unit_ids, person_ids, now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"# set-up: {len(unit_rows)} units, {len(person_rows)} people in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return estate


def load_custody(estate: Estate, unit_ids: list[int], person_ids: list[int], now: datetime.datetime) -> None:
    desk = User.objects.create_user(username="bench-desk-search", password=None, display_name="基准助理")
    rng = random.Random(SEED)
    codes = rng.sample(range(1_000_000), len(unit_ids[::20]))
    Parcel.objects.bulk_create(
        Parcel(
            estate=estate,
            unit_id=unit_id,
            courier="顺丰",
            tracking_number=f"SF{index:010d}",
            recipient_name="业主",
            shelf=f"B{index % 30}",
            pickup_code=f"{code:06d}",
            received_by=desk,
            received_at=now - datetime.timedelta(hours=index % 72),
        )
        for index, (unit_id, code) in enumerate(zip(unit_ids[::20], codes, strict=True))
    )
    Key.objects.bulk_create(
        Key(estate=estate, unit_id=unit_id, kind="unit", tag=f"K{index:06d}", slot=f"S{index % 400}")
        for index, unit_id in enumerate(unit_ids[::10])
    )
    VisitorPass.objects.bulk_create(
        VisitorPass(
            estate=estate,
            unit_id=unit_id,
            issued_by_id=person_ids[index],
            visitor_name="访客",
            kind="one_time",
            token=f"bench-{index}",
            valid_from=now,
            valid_until=now + datetime.timedelta(days=1),
        )
        for index, unit_id in enumerate(unit_ids[::50])
    )
    DoNotAdmit.objects.bulk_create(
        DoNotAdmit(unit_id=unit_id, name="某人", given_by_id=person_ids[index])
        for index, unit_id in enumerate(unit_ids[::200])
    )


def search_terms(estate: Estate, count: int) -> list[str]:
    """A third unit codes, a third pinyin initials, a third phone tails, of what exists."""
    rng = random.Random(SEED)
    codes = list(Unit.objects.filter(estate=estate).order_by("?").values_list("code", flat=True)[:count])
    people = list(
        Person.objects.filter(estate=estate)
        .exclude(phone="")
        .order_by("?")
        .values_list("name_initials", "phone_tail")[:count]
    )
    terms = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            terms.append(codes[index])
        elif kind == 1:
            terms.append(people[index][0])
        else:
            terms.append(people[index][1])
    rng.shuffle(terms)
    return terms


def main() -> None:
    estate = Estate.objects.filter(code=CODE).first() or build(UNITS)
    terms = search_terms(estate, QUERIES)
    ids = list(Unit.objects.filter(estate=estate).order_by("?").values_list("id", flat=True)[:QUERIES])
    now = timezone.now()
    next_term = itertools.cycle(terms).__next__
    next_id = itertools.cycle(ids).__next__
    value = p95_ms(lambda: queries.desk_search(estate.pk, next_term(), now), runs=len(terms))
    baseline = p95_ms(lambda: Unit.objects.get(pk=next_id()), runs=len(ids))
    report("frontdesk_search", value, "ms", baseline)
    print(f"# target p95 < {TARGET_MS:.0f} ms: {'met' if value < TARGET_MS else 'MISSED'}", flush=True)


if __name__ == "__main__":
    main()
