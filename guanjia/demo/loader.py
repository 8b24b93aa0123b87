"""Writing the demo company: staff and their logins, then each estate's buildings, zones,
units and households, through the actions (every change audited) or, above BULK_THRESHOLD
units, in batches with one audit entry per estate."""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import translation

from guanjia.accounts.actions import create_user, post_staff
from guanjia.accounts.models import Posting, User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.core.roles import Post
from guanjia.demo.activity import add_activity
from guanjia.demo.company import DEMO_COMPANY_CODE, DEMO_COMPANY_NAME, DEMO_PASSWORD, STAFF_SINCE, TODAY
from guanjia.demo.people import Member, PeopleMaker, random_date
from guanjia.demo.plans import ESTATE_NAMES, EstatePlan, S, UnitPlan, ZonePlan, plan_zones, unit_state
from guanjia.estates.actions import create_building, create_company, create_estate, create_unit, create_zone
from guanjia.estates.models import Building, Company, Estate, Unit, Zone
from guanjia.people.actions import add_vehicle, clean_person_values, create_person, fill_person, link_person_to_unit
from guanjia.people.models import Person, Residency, Vehicle
from guanjia.reports.actions import backfill as backfill_rollups

ASSISTANT_SHIFTS = ("早班 6:30–14:30", "中班 9:30–14:30", "晚班 14:30–22:30")
HOME_PAGES: dict[str, str] = {
    Post.MANAGER: "工作台：收缴率、满意率、及时率、超时、投诉、待审批及近 12 个月趋势",
    Post.DEPUTY_MANAGER: "工作台：收缴率、满意率、及时率、超时、投诉、待审批及近 12 个月趋势",
    Post.HEAD_BUTLER: "大管家工作台：未派紧急工单、升级到我的工单、各人工作量、超时看板",
    Post.BUTLER: "我的区域待办：{zone}的未关闭工单、待回访、欠费与收缴率",
    Post.ASSISTANT: "今日前台：待取快递、借出钥匙、在访与预约访客、交接班，取件码交付",
    Post.FINANCE: "收费工作台：本期计费、今日收款、待审红冲",
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
            add_activity(first_estate, staff, random.Random(self.seed), say=self.say, owner_unit=self.owner_unit)
        # The workbenches' trends: each estate's monthly figures of the last year, rolled up now.
        for estate_id in company.estates.order_by("pk").values_list("pk", flat=True):
            backfill_rollups(estate=estate_id, months=12)
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
            users: dict[str, User] = {}
            for username, post, _extra in specs:
                user = create_user(
                    actor=None,
                    username=username,
                    password=DEMO_PASSWORD,
                    display_name=names[username],
                    check_password=False,
                )
                # A work phone, so that the owner's "call my butler" has a number to dial.
                user.phone = f"1390000{len(users) + 1:04d}"
                user.save(update_fields=["phone"])
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
