"""Registry import: 100,000 units with one owner each, from an .xlsx, against a plain
bulk insert of the same rows (Django bulk_create of pre-built objects) in the same run.

    bench/run.sh import_units                  # the full size
    BENCH_UNITS=5000 bench/run.sh import_units # a quick run
    BENCH_PROFILE=1 ...                        # also print where the import spends its time

The import reads and checks the whole workbook (ID checksums, phones, codes), encrypts the
ID numbers and converts names to pinyin, so the target is within 3x of the bulk insert.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal

from bench.harness import report, setup_django

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "玉兰",
    "志强",
    "海燕",
    "晓明",
    "子涵",
    "浩然",
]
BIRTH_START = datetime.date(1950, 1, 1)
BIRTH_DAYS = 18000


def unit_parts(index: int) -> tuple[str, str, str, int]:
    """Building, entrance, room number and floor: 400 units a building, 4 entrances, 25 floors, 4 rooms."""
    floor = (index % 100) // 4 + 1
    return str(index // 400 + 1), str((index // 100) % 4 + 1), f"{floor:02d}{index % 4 + 1:02d}", floor


def owner(index: int) -> tuple[str, str, str]:
    from guanjia.people.tests.factories import valid_id_number

    name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
    birth = (BIRTH_START + datetime.timedelta(days=index % BIRTH_DAYS)).strftime("%Y%m%d")
    return name, f"13{index:09d}", valid_id_number(index // BIRTH_DAYS, birth=birth)


def write_source(path: str, estate_code: str, count: int) -> None:
    from guanjia.people import excel

    def units() -> Iterator[list]:
        for index in range(count):
            building, entrance, number, floor = unit_parts(index)
            yield [
                estate_code,
                building,
                entrance,
                number,
                floor,
                Decimal("89.50") + index % 50,
                "高层公寓",
                "入住",
                datetime.date(2020, 6, 30),
                "ABCD"[int(building) % 4],
            ]

    def people() -> Iterator[list]:
        for index in range(count):
            building, entrance, number, _ = unit_parts(index)
            name, phone, id_number = owner(index)
            yield [f"{building}-{entrance}-{number}", name, "业主", phone, "居民身份证", id_number, "", ""]

    excel.write_registry(path, units(), people())


def bulk_insert_baseline(estate, count: int) -> float:
    """The same rows through bulk_create, objects built (and ID numbers encrypted) beforehand."""
    from guanjia.estates.models import Building, Unit, Zone
    from guanjia.people import pinyin
    from guanjia.people.models import Person, Residency

    zones = {zone.code: zone.pk for zone in Zone.objects.filter(estate=estate)}
    buildings = {}
    for index in range(0, count, 400):
        code = unit_parts(index)[0]
        buildings[code] = Building.objects.create(estate=estate, code=code, floors=25).pk
    units, people = [], []
    for index in range(count):
        building, entrance, number, floor = unit_parts(index)
        units.append(
            Unit(
                estate=estate,
                building_id=buildings[building],
                zone_id=zones["ABCD"[int(building) % 4]],
                entrance=entrance,
                number=number,
                code=f"{building}-{entrance}-{number}",
                floor=floor,
                area=Decimal("89.50") + index % 50,
                house_type="high_rise",
                status="occupied",
                delivery_date=datetime.date(2020, 6, 30),
            )
        )
        name, phone, id_number = owner(index)
        person = Person(
            estate=estate,
            name=name,
            name_initials=pinyin.initials(name),
            name_pinyin=pinyin.full_pinyin(name),
            phone=phone,
            phone_tail=phone[-4:],
        )
        person.set_id_number(id_number)
        people.append(person)

    started = time.perf_counter()
    Unit.objects.bulk_create(units, batch_size=2000)
    Person.objects.bulk_create(people, batch_size=2000)
    Residency.objects.bulk_create(
        [
            Residency(unit_id=unit.pk, person_id=person.pk, relation="owner")
            for unit, person in zip(units, people, strict=True)
        ],
        batch_size=2000,
    )
    return time.perf_counter() - started


def main() -> None:
    setup_django()
    from guanjia.estates.models import Company, Estate, Unit, Zone
    from guanjia.people import actions, import_stages
    from guanjia.people.models import Person

    count = int(os.environ.get("BENCH_UNITS", "100000"))
    run = time.strftime("%H%M%S")
    company = Company.objects.create(name="基准物业", code=f"bench-{run}")
    imported = Estate.objects.create(company=company, name="导入小区", code=f"import-{run}")
    baseline_estate = Estate.objects.create(company=company, name="对照小区", code=f"bulk-{run}")
    for estate in (imported, baseline_estate):
        Zone.objects.bulk_create([Zone(estate=estate, code=code, name=f"{code}区") for code in "ABCD"])

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "registry.xlsx")
        started = time.perf_counter()
        write_source(path, imported.code, count)
        print(
            f"wrote {count} units + {count} owners in {time.perf_counter() - started:.1f}s "
            f"({os.path.getsize(path) // 1024} KiB)",
            file=sys.stderr,
        )

        baseline = bulk_insert_baseline(baseline_estate, count)

        profiler = None
        if os.environ.get("BENCH_PROFILE") == "1":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        phases: dict[str, float] = {}
        started = time.perf_counter()
        counts = actions.import_registry(
            actor=None,
            estate=imported,
            source=path,
            on_stage=lambda stage: phases.setdefault(stage, time.perf_counter()),
        )
        elapsed = time.perf_counter() - started
        checked = phases.get(import_stages.SAVING, started) - started
        print(
            f"import: read and check {checked:.1f}s, write {elapsed - checked:.1f}s; "
            f"bulk_create baseline {baseline:.1f}s",
            file=sys.stderr,
        )
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(35)

    assert counts["units"] == count and counts["people"] == count, counts
    assert Unit.objects.filter(estate=imported).count() == count
    assert Person.objects.filter(estate=imported).count() == count
    report("import_units", elapsed, "s", baseline)


if __name__ == "__main__":
    main()
