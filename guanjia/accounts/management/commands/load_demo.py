"""`manage.py load_demo`: the demo company 安居物业, its estates, staff, owners and logins.

The default demo is a high-rise estate 翠湖天地 (about 1,600 flats in ten buildings) and a
villa estate 云栖山庄 (about 250 villas and 150 flat mansions), about 2,000 units in all,
with one login per post. `--units N --estates K` makes any size: N units spread over K
estates. The data is made by guanjia.people.demo from a fixed seed, so every run gives the
same company.

Every write goes through the action functions, so the demo carries a full audit trail. Above
BULK_THRESHOLD units (or with --bulk) units, people, residencies, vehicles and zone butlers
are inserted in batches instead, and each estate gets one audit Change that says so.

Running it again when the demo company exists prints a note and does nothing.
"""

from __future__ import annotations

import datetime
import random
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from guanjia.accounts.actions import create_user, post_staff
from guanjia.accounts.demo_activity import add_activity
from guanjia.accounts.models import Posting, User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.roles import Post
from guanjia.estates.actions import create_building, create_company, create_estate, create_unit, create_zone
from guanjia.estates.models import Building, Company, Estate, Unit, Zone
from guanjia.people.actions import add_vehicle, clean_person_values, create_person, fill_person, link_person_to_unit
from guanjia.people.demo import Member, PeopleMaker, random_date
from guanjia.people.models import Person, Residency, Vehicle

DEMO_COMPANY_CODE = "anju-demo"
DEMO_COMPANY_NAME = "安居物业"
DEMO_PASSWORD = "guanjia-demo-2026"
DEFAULT_UNITS = 2000
DEFAULT_ESTATES = 2
BULK_THRESHOLD = 5000
SEED = 2026
TODAY = datetime.date(2026, 3, 1)
STAFF_SINCE = datetime.date(2023, 3, 1)

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

ASSISTANT_SHIFTS = ("早班 6:30–14:30", "中班 9:30–14:30", "晚班 14:30–22:30")
HOME_PAGES: dict[str, str] = {
    Post.MANAGER: "小区概览：房屋、业主、各管家区域",
    Post.DEPUTY_MANAGER: "小区概览：房屋、业主、各管家区域",
    Post.HEAD_BUTLER: "小区概览：房屋、业主、各管家区域",
    Post.BUTLER: "我的分管区域：{zone}的房屋与业主档案",
    Post.ASSISTANT: "前台一键搜索（姓名、拼音首字母、手机尾号、房号）",
    Post.FINANCE: "房屋列表（面积、状态，可导出）",
    Post.GENERAL_AFFAIRS: "员工与岗位",
    Post.TECHNICIAN: "派给我的工单（手机页）",
    Post.CLEANING_CREW: "派给我的工单（手机页）",
    Post.GREENING_CREW: "派给我的工单（手机页）",
    Post.SECURITY_CREW: "派给我的工单（手机页）",
}
# The first estate gets one login per post; the others a manager, a head butler and butlers.
FIRST_ESTATE_STAFF = (
    ("manager", Post.MANAGER, ""),
    ("deputy", Post.DEPUTY_MANAGER, "兼综管部主管"),
    ("headbutler", Post.HEAD_BUTLER, ""),
    ("assistant1", Post.ASSISTANT, ASSISTANT_SHIFTS[0]),
    ("assistant2", Post.ASSISTANT, ASSISTANT_SHIFTS[1]),
    ("assistant3", Post.ASSISTANT, ASSISTANT_SHIFTS[2]),
    ("finance", Post.FINANCE, ""),
    ("general", Post.GENERAL_AFFAIRS, ""),
    ("technician", Post.TECHNICIAN, ""),
    ("cleaner", Post.CLEANING_CREW, ""),
    ("gardener", Post.GREENING_CREW, ""),
    ("security", Post.SECURITY_CREW, ""),
)


# Plans: what to build, before anything is written ------------------------------------------


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


# Writing ------------------------------------------------------------------------------------


@dataclass
class Login:
    post: str
    username: str
    estate: str
    home: str


@dataclass
class Tally:
    units: int = 0
    people: int = 0
    residencies: int = 0
    vehicles: int = 0

    def add(self, other: Tally) -> None:
        self.units += other.units
        self.people += other.people
        self.residencies += other.residencies
        self.vehicles += other.vehicles


def post_label(post: str) -> str:
    with translation.override("zh-hans"):
        return str(Post(post).label)


class DemoLoader:
    def __init__(self, *, seed: int, bulk: bool, say: Any):
        self.rng = random.Random(seed)
        self.seed = seed
        self.maker = PeopleMaker(self.rng, today=TODAY)
        self.bulk = bulk
        self.say = say
        self.logins: list[Login] = []
        self.owner_person: Person | None = None
        self.owner_unit: Unit | None = None
        self.total = Tally()
        self.shared_hash = ""

    def load(self, plans: list[EstatePlan]) -> list[Login]:
        company = create_company(actor=None, name=DEMO_COMPANY_NAME, code=DEMO_COMPANY_CODE)
        for index, plan in enumerate(plans):
            started = time.monotonic()
            tally = self.load_estate(company, plan, first=index == 0)
            self.total.add(tally)
            self.say(
                f"  {plan.name}（{plan.code}）：{tally.units} 套房屋，{tally.people} 位住户，"
                f"{tally.vehicles} 辆车，{time.monotonic() - started:.1f} 秒"
            )
        self.add_owner_login()
        if not self.bulk:
            # Requests, custody and bills in the first estate; big bulk demos stay registry-only.
            first_estate = company.estates.order_by("pk")[0]
            staff = {user.username: user for user in User.objects.filter(postings__estate=first_estate)}
            add_activity(first_estate, staff, random.Random(self.seed), say=self.say)
        return self.logins

    # Staff -------------------------------------------------------------------------------
    def load_staff(self, estate: Estate, plan: EstatePlan, zones: list[ZonePlan], first: bool) -> dict[str, User]:
        specs: list[tuple[str, str, str]] = []
        if first:
            specs.extend(FIRST_ESTATE_STAFF[:3])
        else:
            specs.extend(
                [(f"manager{plan.suffix}", Post.MANAGER, ""), (f"headbutler{plan.suffix}", Post.HEAD_BUTLER, "")]
            )
        for number, zone in enumerate(zones, start=1):
            username = f"butler{number}" if first else f"butler{plan.suffix}-{number}"
            specs.append((username, Post.BUTLER, zone.code))
        if first:
            specs.extend(FIRST_ESTATE_STAFF[3:])
        users = self.create_staff(estate, specs)
        zone_names = {zone.code: zone.name for zone in zones}
        for username, post, extra in specs:
            label = post_label(post)
            if post == Post.BUTLER:
                home = HOME_PAGES[post].format(zone=zone_names[extra])
                label = f"{label}（单元专属管家）" if plan.kind == Estate.Kind.HIGH_RISE else f"{label}（专属管家）"
            else:
                home = HOME_PAGES[post]
                label = f"{label}（{extra}）" if extra else label
            self.logins.append(Login(label, username, plan.name, home))
        return users

    def create_staff(self, estate: Estate, specs: list[tuple[str, str, str]]) -> dict[str, User]:
        names = {username: self.maker.staff_name() for username, _post, _extra in specs}
        if not self.bulk:
            users = {}
            for username, post, _extra in specs:
                user = create_user(
                    actor=None,
                    username=username,
                    password=DEMO_PASSWORD,
                    display_name=names[username],
                    check_password=False,
                )
                post_staff(actor=None, user=user, estate=estate, post=post, since=STAFF_SINCE)
                users[username] = user
            return users
        # Hundreds of butlers would take minutes of password hashing: they share one hash.
        if not self.shared_hash:
            self.shared_hash = make_password(DEMO_PASSWORD)
        if User.objects.filter(username__in=list(names)).exists():
            raise DomainError("演示账号的用户名已被占用。", field="username")
        created = User.objects.bulk_create(
            [User(username=username, display_name=names[username], password=self.shared_hash) for username in names]
        )
        users = {user.username: user for user in created}
        Posting.objects.bulk_create(
            [Posting(user=users[username], estate=estate, post=post, since=STAFF_SINCE) for username, post, _ in specs]
        )
        return users

    def add_owner_login(self) -> None:
        if self.owner_person is None:
            self.say("  （没有已入住的业主，未建业主账号 owner）")
            return
        person = self.owner_person
        create_user(
            actor=None,
            username="owner",
            password=DEMO_PASSWORD,
            display_name=person.name,
            person=person,
            check_password=False,
        )
        unit = self.owner_unit
        self.logins.append(
            Login("业主", "owner", ESTATE_NAMES[0][0], f"业主门户：我的房屋 {unit.code if unit else ''} 与专属管家")
        )

    # Estates -----------------------------------------------------------------------------
    def load_estate(self, company: Company, plan: EstatePlan, *, first: bool) -> Tally:
        estate = create_estate(
            actor=None, company=company, name=plan.name, code=plan.code, kind=plan.kind, address=plan.address
        )
        zone_plans = plan_zones(self.rng, plan)
        users = self.load_staff(estate, plan, zone_plans, first)
        butlers = [users[username] for username in self.butler_usernames(plan, zone_plans, first)]
        tally = Tally()
        for index, (zone_plan, butler) in enumerate(zip(zone_plans, butlers, strict=True)):
            zone = create_zone(actor=None, estate=estate, code=zone_plan.code, name=zone_plan.name, butler=butler)
            for building_plan in zone_plan.buildings:
                building = create_building(
                    actor=None,
                    estate=estate,
                    code=building_plan.code,
                    name=building_plan.name,
                    floors=building_plan.floors,
                )
                households = [self.plan_household(plan.kind, building_plan.phase, unit) for unit in building_plan.units]
                wants_owner = first and index == 0 and self.owner_person is None
                if self.bulk:
                    tally.add(self.write_bulk(estate, building, zone, households, wants_owner))
                else:
                    tally.add(self.write_with_actions(building, zone, households, wants_owner))
        if self.bulk:
            record_change(
                actor=None,
                target=estate,
                verb="load_demo",
                estate_id=estate.pk,
                changes={
                    "units": [None, tally.units],
                    "people": [None, tally.people],
                    "residencies": [None, tally.residencies],
                    "vehicles": [None, tally.vehicles],
                    "staff": [None, len(users)],
                },
                note="演示数据批量载入（manage.py load_demo --bulk）",
            )
        return tally

    @staticmethod
    def butler_usernames(plan: EstatePlan, zones: list[ZonePlan], first: bool) -> list[str]:
        return [f"butler{n}" if first else f"butler{plan.suffix}-{n}" for n in range(1, len(zones) + 1)]

    def plan_household(self, kind: str, phase: int, unit: UnitPlan) -> tuple[UnitPlan, dict, list[Member]]:
        status, delivered, note = unit_state(self.rng, kind, phase)
        members = self.maker.household(status=status, delivered=delivered, villa=kind == Estate.Kind.VILLA)
        if members and members[0].relation == "owner" and self.rng.random() < 0.12 and delivered:
            # A resale: the present owner bought the unit some years after the handover.
            members[0].since = random_date(self.rng, delivered, TODAY - datetime.timedelta(days=60))
            for member in members[1:]:
                if member.relation == "co_owner":
                    member.since = members[0].since
        values = {"status": status, "delivery_date": delivered, "note": note}
        return unit, values, members

    def take_owner_login(self, person: Person, unit: Unit, status: str, members: list[Member]) -> None:
        """The owner login goes to an owner who lives in their unit in the first butler's zone
        (saved later in bulk mode: it only needs the object now)."""
        if status == S.OCCUPIED and all(member.relation != "tenant" for member in members):
            self.owner_person, self.owner_unit = person, unit

    def write_with_actions(self, building: Building, zone: Zone, households: list, wants_owner: bool) -> Tally:
        tally = Tally()
        for plan, values, members in households:
            unit = create_unit(
                actor=None,
                building=building,
                number=plan.number,
                entrance=plan.entrance,
                floor=plan.floor,
                area=plan.area,
                house_type=plan.house_type,
                zone=zone,
                **values,
            )
            tally.units += 1
            for member in members:
                person = create_person(actor=None, estate=building.estate, **member.values)
                link_person_to_unit(actor=None, person=person, unit=unit, relation=member.relation, since=member.since)
                for plate, description in member.vehicles:
                    add_vehicle(actor=None, person=person, plate=plate, description=description)
                tally.people += 1
                tally.residencies += 1
                tally.vehicles += len(member.vehicles)
                if wants_owner and self.owner_person is None and member.relation == "owner":
                    self.take_owner_login(person, unit, values["status"], members)
        return tally

    def write_bulk(self, estate: Estate, building: Building, zone: Zone, households: list, wants_owner: bool) -> Tally:
        units = [
            Unit(
                estate=estate,
                building=building,
                zone=zone,
                entrance=plan.entrance,
                number=plan.number,
                code=Unit.make_code(building.code, plan.entrance, plan.number),
                floor=plan.floor,
                area=plan.area,
                house_type=plan.house_type,
                **values,
            )
            for plan, values, _members in households
        ]
        Unit.objects.bulk_create(units, batch_size=1000)
        problems = Problems()
        people: list[tuple[Person, Unit, Member]] = []
        for unit, (_plan, values, members) in zip(units, households, strict=True):
            for member in members:
                person = Person(estate=estate)
                # The same cleaning and derived fields (pinyin, phone tail, encrypted ID) as create_person.
                fill_person(person, clean_person_values(dict(member.values), problems))
                people.append((person, unit, member))
                if wants_owner and self.owner_person is None and member.relation == "owner":
                    self.take_owner_login(person, unit, values["status"], members)
        problems.raise_if_any("演示数据有误")
        Person.objects.bulk_create([person for person, _unit, _member in people], batch_size=1000)
        Residency.objects.bulk_create(
            [
                Residency(unit=unit, person=person, relation=member.relation, since=member.since)
                for person, unit, member in people
            ],
            batch_size=2000,
        )
        vehicles = [
            Vehicle(person=person, plate=plate, description=description)
            for person, _unit, member in people
            for plate, description in member.vehicles
        ]
        Vehicle.objects.bulk_create(vehicles, batch_size=2000)
        return Tally(units=len(units), people=len(people), residencies=len(people), vehicles=len(vehicles))


# Output -------------------------------------------------------------------------------------


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(rows: list[list[str]]) -> str:
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths, strict=True))
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


HEADER = ["岗位", "用户名", "密码", "小区", "登录后首页"]


def compressed(logins: list[Login]) -> list[Login]:
    """Long runs of butlers (big --units) shown as one line: butler1 … butler350."""
    result: list[Login] = []
    index = 0
    while index < len(logins):
        run = [logins[index]]
        while (
            index + len(run) < len(logins)
            and logins[index + len(run)].post == run[0].post
            and logins[index + len(run)].estate == run[0].estate
        ):
            run.append(logins[index + len(run)])
        if len(run) > 12:
            result.append(
                Login(
                    run[0].post,
                    f"{run[0].username} … {run[-1].username}（{len(run)} 个）",
                    run[0].estate,
                    "我的分管区域：本人负责区域的房屋与业主档案",
                )
            )
        else:
            result.extend(run)
        index += len(run)
    return result


def markdown(logins: list[Login], units: int, estates: int) -> str:
    lines = [
        "# 演示账号 / Demo logins",
        "",
        f"`make run` 会执行 `manage.py load_demo`，载入演示公司「{DEMO_COMPANY_NAME}」（代码 `{DEMO_COMPANY_CODE}`）："
        f"{estates} 个小区、约 {units:,} 套房屋，数据为虚构。所有演示账号的密码都是 `{DEMO_PASSWORD}`。",
        "",
        f"`make run` loads the demo company with `manage.py load_demo`; every demo login's password is "
        f"`{DEMO_PASSWORD}`.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for login in compressed(logins):
        lines.append(f"| {login.post} | `{login.username}` | `{DEMO_PASSWORD}` | {login.estate} | {login.home} |")
    lines.append("")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "载入演示公司「安居物业」：小区、房屋、业主、员工和每个岗位的登录账号（已载入则跳过）。"

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=DEFAULT_UNITS, help="房屋总数（默认 2000）")
        parser.add_argument("--estates", type=int, default=DEFAULT_ESTATES, help="小区数（默认 2）")
        parser.add_argument(
            "--bulk", action="store_true", help=f"批量插入房屋和住户（超过 {BULK_THRESHOLD} 套时自动启用）"
        )
        parser.add_argument("--seed", type=int, default=SEED, help="随机种子：同一种子生成同样的数据")
        parser.add_argument(
            "--logins-file",
            default=None,
            help="账号表（Markdown）写到哪里；默认规模时为 docs/demo-logins.md，空字符串表示不写",
        )

    def handle(self, *args, **options):
        if Company.objects.filter(code=DEMO_COMPANY_CODE).exists():
            self.stdout.write(f"演示公司「{DEMO_COMPANY_NAME}」（{DEMO_COMPANY_CODE}）已载入，跳过。")
            return
        units, estates = options["units"], options["estates"]
        if estates < 1 or units < estates:
            raise CommandError("--estates 至少为 1，且 --units 不少于小区数。")
        bulk = options["bulk"] or units > BULK_THRESHOLD
        started = time.monotonic()
        self.stdout.write(
            f"载入演示公司「{DEMO_COMPANY_NAME}」：{estates} 个小区，{units} 套房屋{'（批量插入）' if bulk else ''}…"
        )
        loader = DemoLoader(seed=options["seed"], bulk=bulk, say=self.stdout.write)
        try:
            with transaction.atomic():
                logins = loader.load(plan_estates(units, estates))
        except DomainError as error:
            raise CommandError(f"载入失败：{error.message}") from None
        total = loader.total
        self.stdout.write(
            f"完成：{total.units} 套房屋，{total.people} 位住户，{total.vehicles} 辆车，"
            f"{len(logins)} 个账号，用时 {time.monotonic() - started:.1f} 秒。\n"
        )
        rows = [HEADER] + [
            [login.post, login.username, DEMO_PASSWORD, login.estate, login.home] for login in compressed(logins)
        ]
        self.stdout.write(text_table(rows))
        path = options["logins_file"]
        if path is None and units == DEFAULT_UNITS and estates == DEFAULT_ESTATES:
            path = str(Path(settings.BASE_DIR) / "docs" / "demo-logins.md")
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(markdown(logins, units, estates), encoding="utf-8")
            self.stdout.write(f"\n账号表已写入 {path}")
