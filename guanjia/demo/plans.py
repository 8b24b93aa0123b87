"""Plans for the demo company: which estates, buildings, zones and units to build, and in what
state, decided from a fixed seed before anything is written."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from guanjia.demo.company import TODAY
from guanjia.estates.models import Estate, Unit

# (name, code, address); odd positions are high-rise estates, even ones villa estates.
ESTATE_NAMES = (
    ("翠湖天地", "cuihu", "上海市闵行区翠湖路1688弄"),
    ("云栖山庄", "yunqi", "上海市青浦区云栖路99弄"),
    ("锦绣江南", "jinxiu", "上海市浦东新区锦绣路2580弄"),
    ("香樟名邸", "xiangzhang", "上海市松江区香樟路318弄"),
    ("滨江花园", "binjiang", "上海市徐汇区龙腾大道1288弄"),
    ("桃源山墅", "taoyuan", "上海市嘉定区桃源路66弄"),
    ("世纪华庭", "shiji", "上海市杨浦区世纪大道1500弄"),
    ("梧桐山庄", "wutong", "上海市奉贤区梧桐路888弄"),
)
# A high-rise estate has four times the units of a villa estate in the default split.
KIND_WEIGHT: dict[str, int] = {Estate.Kind.HIGH_RISE: 4, Estate.Kind.VILLA: 1}

HIGH_RISE_FLOOR_CYCLE = (18, 18, 24, 24, 18, 18, 26, 18, 18, 24)
HIGH_RISE_ENTRANCES = ("1", "2")
HIGH_RISE_ROOMS = 4
VILLA_ROW_LENGTHS = (22, 28, 25, 31, 24, 27, 20, 26, 30, 23)
FLAT_MANSION_BUILDING = (3, 6, 2)  # entrances, floors, rooms per floor: 36 flat mansions
FLAT_MANSION_SHARE = 0.36

# Each estate was handed over in two phases; later phases have more vacant and renovating units.
PHASE_HANDOVER: dict[tuple[str, int], datetime.date] = {
    (Estate.Kind.HIGH_RISE, 1): datetime.date(2018, 6, 28),
    (Estate.Kind.HIGH_RISE, 2): datetime.date(2022, 12, 20),
    (Estate.Kind.VILLA, 1): datetime.date(2016, 9, 30),
    (Estate.Kind.VILLA, 2): datetime.date(2020, 5, 20),
}
S = Unit.Status
# fmt: off
STATUS_WEIGHTS: dict[tuple[str, int], dict[str, int]] = {
    (Estate.Kind.HIGH_RISE, 1): {S.OCCUPIED: 84, S.VACANT: 6, S.ENTRUSTED_VACANT: 4, S.RENOVATING: 3, S.UNDELIVERED: 3},
    (Estate.Kind.HIGH_RISE, 2): {S.OCCUPIED: 66, S.VACANT: 9, S.ENTRUSTED_VACANT: 6, S.RENOVATING: 12,
                                  S.UNDELIVERED: 7},
    (Estate.Kind.VILLA, 1): {S.OCCUPIED: 66, S.VACANT: 12, S.ENTRUSTED_VACANT: 14, S.RENOVATING: 5, S.UNDELIVERED: 3},
    (Estate.Kind.VILLA, 2): {S.OCCUPIED: 70, S.VACANT: 8, S.ENTRUSTED_VACANT: 10, S.RENOVATING: 7, S.UNDELIVERED: 5},
}
# fmt: on


@dataclass
class UnitPlan:
    entrance: str
    number: str
    floor: int
    area: Decimal
    house_type: str


@dataclass
class BuildingPlan:
    code: str
    name: str
    floors: int
    phase: int
    units: list[UnitPlan]


@dataclass
class ZonePlan:
    code: str
    name: str
    buildings: list[BuildingPlan] = field(default_factory=list)

    @property
    def unit_count(self) -> int:
        return sum(len(building.units) for building in self.buildings)


@dataclass
class EstatePlan:
    name: str
    code: str
    address: str
    kind: str
    units: int
    suffix: str  # appended to the logins of every estate but the first: manager2, butler2-1


def plan_estates(units: int, estates: int) -> list[EstatePlan]:
    """Spread `units` over `estates`, alternating high-rise and villa estates, four to one."""
    kinds = [Estate.Kind.HIGH_RISE if index % 2 == 0 else Estate.Kind.VILLA for index in range(estates)]
    total_weight = sum(KIND_WEIGHT[kind] for kind in kinds)
    shares = [units * KIND_WEIGHT[kind] // total_weight for kind in kinds]
    shares[0] += units - sum(shares)
    plans = []
    for index, (kind, share) in enumerate(zip(kinds, shares, strict=True)):
        if index < len(ESTATE_NAMES):
            name, code, address = ESTATE_NAMES[index]
        else:
            name, code, address = f"安居示范小区{index + 1}", f"anju-demo-{index + 1}", "上海市"
        plans.append(EstatePlan(name, code, address, kind, share, "" if index == 0 else str(index + 1)))
    return plans


def square_metres(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(f"{rng.uniform(low, high):.2f}")


def row_code(index: int) -> str:
    """A, B, … Z, AA, AB, …: the rows of villas."""
    code = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        code = chr(ord("A") + remainder) + code
    return code


def take(units: Iterator[UnitPlan], count: int) -> list[UnitPlan]:
    return list(islice(units, count))


def high_rise_buildings(rng: random.Random, count: int) -> list[BuildingPlan]:
    """Buildings of 18 to 26 floors, two entrances (单元), four flats a floor, numbered by
    floor and room: 1201 is floor 12, room 01. The same flat has the same area on every
    floor. The last building holds what is left of `count`, from the ground up."""
    buildings: list[BuildingPlan] = []
    left = count
    while left > 0:
        floors = HIGH_RISE_FLOOR_CYCLE[len(buildings) % len(HIGH_RISE_FLOOR_CYCLE)]
        areas = (
            square_metres(rng, 125, 160),
            square_metres(rng, 70, 98),
            square_metres(rng, 82, 112),
            square_metres(rng, 118, 150),
        )
        plans = (
            UnitPlan(entrance, f"{floor:02d}{room:02d}", floor, areas[room - 1], Unit.HouseType.HIGH_RISE)
            for floor in range(1, floors + 1)
            for entrance in HIGH_RISE_ENTRANCES
            for room in range(1, HIGH_RISE_ROOMS + 1)
        )
        code = str(len(buildings) + 1)
        units = take(plans, left)
        buildings.append(BuildingPlan(code, f"{code}号楼", floors, 1, units))
        left -= len(units)
    for building in buildings[(len(buildings) + 1) // 2 :]:
        building.phase = 2
    return buildings


def villa_buildings(rng: random.Random, count: int) -> tuple[list[BuildingPlan], list[BuildingPlan]]:
    """Rows of villas (A-08: row A, house 08, no entrance) and low buildings of flat mansions
    (平层官邸, 3 entrances × 6 floors × 2), handed over in a later phase."""
    entrances, floors, rooms = FLAT_MANSION_BUILDING
    per_building = entrances * floors * rooms
    flat_count = per_building * round(count * FLAT_MANSION_SHARE / per_building)
    villa_count = count - flat_count
    rows: list[BuildingPlan] = []
    while villa_count > 0:
        length = min(VILLA_ROW_LENGTHS[len(rows) % len(VILLA_ROW_LENGTHS)], villa_count)
        base = rng.choice(((260, 340), (340, 450), (450, 680)))  # 联排, 双拼 or 独栋 row
        units = []
        for house in range(1, length + 1):
            end_of_row = house in (1, length)
            area = square_metres(rng, base[0] * (1.08 if end_of_row else 1), base[1] * (1.08 if end_of_row else 1))
            units.append(UnitPlan("", f"{house:02d}", 1, area, Unit.HouseType.VILLA))
        code = row_code(len(rows))
        rows.append(BuildingPlan(code, f"{code}排别墅", 3, 1, units))
        villa_count -= length
    flats: list[BuildingPlan] = []
    while flat_count > 0:
        areas = [square_metres(rng, 180, 320) for _ in range(rooms)]
        plans = (
            UnitPlan(str(entrance), f"{floor:02d}{room:02d}", floor, areas[room - 1], Unit.HouseType.FLAT_MANSION)
            for floor in range(1, floors + 1)
            for entrance in range(1, entrances + 1)
            for room in range(1, rooms + 1)
        )
        units = take(plans, flat_count)
        code = str(len(flats) + 1)
        flats.append(BuildingPlan(code, f"官邸{code}号楼", floors, 2, units))
        flat_count -= len(units)
    return rows, flats


def group_into_zones(
    buildings: list[BuildingPlan], *, min_units: int, max_buildings: int, first_number: int, label: str
) -> list[ZonePlan]:
    """A butler's zone takes buildings in order until it has `min_units` or `max_buildings`."""
    zones: list[ZonePlan] = []
    current = ZonePlan("", "")
    for building in buildings:
        current.buildings.append(building)
        if current.unit_count >= min_units or len(current.buildings) >= max_buildings:
            zones.append(current)
            current = ZonePlan("", "")
    if current.buildings:
        # A short remainder joins the zone before it rather than make a butler of its own.
        if zones and current.unit_count < min_units // 2:
            zones[-1].buildings.extend(current.buildings)
        else:
            zones.append(current)
    for number, zone in enumerate(zones, start=first_number):
        first, last = zone.buildings[0].code, zone.buildings[-1].code
        span = first if first == last else f"{first}-{last}"
        zone.code = f"Z{number:02d}"
        zone.name = f"{number}区（{label.format(span=span)}）"
    return zones


def plan_zones(rng: random.Random, plan: EstatePlan) -> list[ZonePlan]:
    if plan.kind == Estate.Kind.HIGH_RISE:
        # 单元专属管家: one butler for one or two buildings.
        return group_into_zones(
            high_rise_buildings(rng, plan.units), min_units=150, max_buildings=2, first_number=1, label="{span}栋"
        )
    rows, flats = villa_buildings(rng, plan.units)
    villa_zones = group_into_zones(rows, min_units=50, max_buildings=10_000, first_number=1, label="别墅{span}排")
    flat_zones = group_into_zones(
        flats, min_units=60, max_buildings=2, first_number=len(villa_zones) + 1, label="官邸{span}号楼"
    )
    return villa_zones + flat_zones


def unit_state(rng: random.Random, kind: str, phase: int) -> tuple[str, datetime.date | None, str]:
    """Status, delivery date and note of one unit. Owners collect their keys over the months
    after the handover; undelivered units are still held by the developer."""
    weights = STATUS_WEIGHTS[(kind, phase)]
    status = rng.choices(list(weights), weights=list(weights.values()), k=1)[0]
    if status == S.UNDELIVERED:
        return status, None, "开发商保留房源，尚未交付"
    handover = PHASE_HANDOVER[(kind, phase)]
    delivered = handover + datetime.timedelta(days=int(rng.expovariate(1 / 40)))
    note = ""
    if status == S.ENTRUSTED_VACANT:
        note = f"业主委托代管钥匙，钥匙柜 K-{rng.randint(1, 400):03d}"
    elif status == S.RENOVATING:
        note = f"装修备案至 {TODAY + datetime.timedelta(days=rng.randint(20, 150)):%Y-%m-%d}"
    return status, delivered, note
