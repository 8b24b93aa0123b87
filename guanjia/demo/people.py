"""Realistic, deterministic make-believe people for the demo company and the benchmarks.

Everything here is pure: a `random.Random` goes in, plain values come out, nothing touches
the database. Names follow the frequency of Chinese surnames and the given-name fashions of
each generation; phone numbers use real mainland prefixes; resident ID numbers carry real
region codes, real birth dates, a serial whose parity matches the sex and a correct check
character. The same seed always gives the same people.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from guanjia.core.validators import id_check_character
from guanjia.people import pinyin

# fmt: off
# The most common surnames with their approximate share of the population (per cent),
# after the 2020 census; a few compound surnames at the rare end.
SURNAME_SHARES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.6), ("杨", 3.1), ("黄", 2.5), ("赵", 2.3),
    ("吴", 2.0), ("周", 2.0), ("徐", 1.5), ("孙", 1.5), ("马", 1.3), ("朱", 1.3), ("胡", 1.2), ("郭", 1.2),
    ("何", 1.2), ("林", 1.1), ("高", 1.1), ("罗", 1.1), ("郑", 1.0), ("梁", 0.9), ("谢", 0.8), ("宋", 0.8),
    ("唐", 0.8), ("许", 0.7), ("韩", 0.7), ("邓", 0.7), ("冯", 0.7), ("曹", 0.7), ("彭", 0.6), ("曾", 0.6),
    ("肖", 0.6), ("田", 0.6), ("董", 0.5), ("潘", 0.5), ("袁", 0.5), ("蔡", 0.5), ("蒋", 0.5), ("余", 0.5),
    ("于", 0.5), ("杜", 0.5), ("叶", 0.5), ("程", 0.5), ("魏", 0.4), ("苏", 0.4), ("吕", 0.4), ("丁", 0.4),
    ("任", 0.4), ("卢", 0.4), ("姚", 0.4), ("沈", 0.4), ("钟", 0.4), ("姜", 0.4), ("崔", 0.4), ("谭", 0.4),
    ("陆", 0.3), ("范", 0.3), ("汪", 0.3), ("廖", 0.3), ("石", 0.3), ("金", 0.3), ("韦", 0.3), ("贾", 0.3),
    ("夏", 0.3), ("付", 0.3), ("方", 0.3), ("邹", 0.3), ("熊", 0.3), ("白", 0.3), ("孟", 0.3), ("秦", 0.3),
    ("邱", 0.3), ("侯", 0.3), ("江", 0.3), ("尹", 0.3), ("薛", 0.2), ("闫", 0.2), ("段", 0.2), ("雷", 0.2),
    ("龙", 0.2), ("黎", 0.2), ("史", 0.2), ("陶", 0.2), ("贺", 0.2), ("毛", 0.2), ("郝", 0.2), ("顾", 0.2),
    ("龚", 0.2), ("邵", 0.2), ("万", 0.2), ("覃", 0.1), ("武", 0.2), ("钱", 0.2), ("戴", 0.2), ("严", 0.2),
    ("莫", 0.1), ("孔", 0.1), ("向", 0.1), ("常", 0.1), ("单", 0.05), ("翟", 0.05), ("欧阳", 0.03),
    ("司马", 0.01), ("上官", 0.01), ("诸葛", 0.01),
)
# fmt: on
SURNAMES = tuple(name for name, _share in SURNAME_SHARES)
SURNAME_CUMULATIVE = tuple(accumulate(share for _name, share in SURNAME_SHARES))


@dataclass(frozen=True)
class NameFashion:
    """The given names of one generation and sex: one-character names, or a first and a second character."""

    single: str
    first: str
    second: str
    single_share: float


# Given names by sex and generation: born before 1965, 1965–1994, and from 1995.
# fmt: off
FASHIONS: dict[tuple[str, str], NameFashion] = {
    ("M", "old"): NameFashion("华明军强平林荣忠福祥", "建国志德文永春立海振学金卫庆长树",
                              "华国明平军强林生荣忠民良兴福祥根发新成", 0.3),
    ("F", "old"): NameFashion("英兰珍芳华梅琴凤霞莲", "秀桂玉淑美凤兰丽月金素翠",
                              "英兰珍芳华梅琴娥凤云霞莲娣", 0.3),
    ("M", "mid"): NameFashion("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁峰", "晓志文俊伟海宏建立明永军小振",
                              "东峰斌杰勇涛辉鹏刚波磊强华明亮军林", 0.4),
    ("F", "mid"): NameFashion("芳娜敏静丽艳娟霞秀玲红萍雪琳婷慧莉颖倩洁晶燕", "晓丽秀春雪海美红燕静慧佳",
                              "燕红梅琳霞丽敏静娟婷颖萍莉洁云", 0.4),
    ("M", "young"): NameFashion("浩宇轩睿哲阳磊凯航", "子浩宇俊博嘉思天一泽梓睿皓家明",
                                "轩然豪辰航洋睿泽宇杰瑞涵铭博", 0.15),
    ("F", "young"): NameFashion("悦琪涵萱彤妍菲瑶", "欣梓雨思诗一若佳可语紫梦子",
                                "怡涵萱彤琪琳悦妍然菲诺瑶雯", 0.15),
}


# Resident ID region codes (the first six digits) and their weights for an estate in
# Shanghai: most owners registered in the city (some under district codes that were merged
# away since, which their cards still carry), many from the neighbouring provinces.
REGION_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("310101", 3), ("310103", 2), ("310104", 4), ("310105", 3), ("310106", 3), ("310107", 3), ("310108", 2),
    ("310109", 3), ("310110", 3), ("310112", 5), ("310113", 3), ("310114", 2), ("310115", 6), ("310116", 1),
    ("310117", 2), ("310118", 1), ("310120", 1), ("310230", 1),
    ("320102", 1), ("320105", 1), ("320106", 1), ("320205", 1), ("320211", 1), ("320402", 1), ("320508", 2),
    ("320583", 1), ("320602", 1), ("320902", 1), ("321002", 1),
    ("330102", 1), ("330106", 1), ("330203", 1), ("330302", 1), ("330402", 1), ("330502", 1), ("330602", 1),
    ("330782", 1), ("331002", 1),
    ("340102", 1), ("340104", 1), ("340202", 1), ("341202", 1), ("360102", 0.5), ("350203", 0.5),
    ("350102", 0.5), ("370102", 0.5), ("370202", 0.5), ("410105", 0.5), ("411302", 0.5), ("420106", 0.5),
    ("420111", 0.5), ("430104", 0.5), ("510104", 0.5), ("510107", 0.5), ("500103", 0.5), ("110101", 0.5),
    ("110105", 0.5), ("110108", 0.5), ("120101", 0.3), ("440106", 0.3), ("440305", 0.3), ("610113", 0.3),
    ("230103", 0.3), ("210102", 0.3), ("210202", 0.3), ("220104", 0.3), ("130102", 0.3), ("140105", 0.3),
    ("530102", 0.2), ("450103", 0.2), ("620102", 0.2), ("150102", 0.2), ("650102", 0.2),
)
# fmt: on
REGIONS = tuple(code for code, _weight in REGION_WEIGHTS)
REGION_CUMULATIVE = tuple(accumulate(weight for _code, weight in REGION_WEIGHTS))

# fmt: off
# Mainland mobile prefixes of the three carriers.
MOBILE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159", "172", "178",
    "182", "183", "184", "187", "188", "195", "198",
    "130", "131", "132", "145", "155", "156", "166", "175", "176", "185", "186", "196",
    "133", "149", "153", "173", "177", "180", "181", "189", "190", "191", "193", "199",
)

# Plate regions around an estate in Shanghai, weighted towards 沪.
PLATE_REGIONS = (
    ("沪A", 4), ("沪B", 3), ("沪D", 2), ("沪E", 1), ("沪F", 1), ("沪G", 1), ("沪H", 1), ("沪J", 1), ("沪K", 1),
    ("沪L", 1), ("沪M", 1), ("沪N", 1), ("沪C", 1), ("苏E", 1), ("苏A", 0.5), ("浙A", 0.5), ("浙F", 0.5),
    ("皖A", 0.3),
)
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates
CARS = (
    # (description, electric?) — electric cars carry the 8-character green plate.
    ("白色 大众 帕萨特", False), ("黑色 奥迪 A6L", False), ("银色 丰田 凯美瑞", False), ("白色 本田 雅阁", False),
    ("灰色 宝马 530Li", False), ("黑色 奔驰 E300L", False), ("白色 别克 GL8", False), ("红色 马自达 CX-5", False),
    ("蓝色 大众 朗逸", False), ("白色 日产 轩逸", False), ("白色 特斯拉 Model Y", True), ("黑色 比亚迪 汉", True),
    ("白色 蔚来 ES6", True), ("灰色 理想 L7", True), ("白色 小鹏 P7", True), ("绿色 埃安 S", True),
)
LUXURY_CARS = (
    ("黑色 保时捷 卡宴", False), ("白色 路虎 揽胜", False), ("黑色 奔驰 S450L", False), ("灰色 宝马 X7", False),
    ("黑色 雷克萨斯 LM", False), ("白色 特斯拉 Model S", True), ("黑色 蔚来 ET7", True), ("银色 理想 L9", True),
)
# fmt: on

SPECIAL_NEEDS = (
    "行动不便，轮椅出行；电梯检修时请提前告知并协助上下楼",
    "听力较弱，请发短信或上门沟通，勿只打电话",
    "家中有新生儿，午间（12:00–14:00）请勿安排上门维修",
    "孕期，报修请优先安排，施工噪音请提前告知",
    "对消毒剂气味过敏，公共区域消杀请提前一天通知",
    "患有心脏病，急救药品放在玄关抽屉，紧急情况请联系紧急联系人",
    "视力不好，快递代收后请送货上门",
    "长期在国外，委托管家代收信件并每月拍照告知",
)
LIVING_ALONE_NEED = "独居老人，需每周探访"
PREFERENCES = (
    "偏好微信联系，工作日白天不方便接电话",
    "上门前请提前一小时电话预约",
    "周末上午不希望被打扰",
    "快递请放前台代收，晚上下班后自取",
    "维修请安排女性工作人员上门",
    "喜欢参加社区活动，可邀请参加业主沙龙",
    "停车位附近请勿堆放杂物",
)
VILLA_PREFERENCES = (
    "养有两只金毛犬，上门前请先电话告知",
    "花园草坪请勿使用除草剂",
    "泳池每周二维护，请与家政阿姨对接",
    "车库门遥控器备用一个，寄存在管家处",
)
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "outlook.com", "gmail.com")


def weighted_choice(rng: random.Random, values: tuple[str, ...], cumulative: tuple[float, ...]) -> str:
    return rng.choices(values, cum_weights=cumulative, k=1)[0]


def surname_of(name: str) -> str:
    return name[:2] if name[:2] in SURNAMES else name[:1]


def generation(birth_year: int) -> str:
    if birth_year < 1965:
        return "old"
    return "mid" if birth_year < 1995 else "young"


def random_date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return datetime.date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


@dataclass
class Member:
    """One person of a household: their relation to the unit, the values for create_person,
    the vehicles they register and since when they are linked."""

    relation: str
    values: dict[str, Any]
    birth: datetime.date
    since: datetime.date | None = None
    vehicles: list[tuple[str, str]] = field(default_factory=list)


class PeopleMaker:
    """Makes people who never repeat a phone or ID number within one maker."""

    def __init__(self, rng: random.Random, *, today: datetime.date | None = None):
        self.rng = rng
        self.today = today or datetime.date(2026, 3, 1)
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self.plates: set[str] = set()

    # Names -------------------------------------------------------------------------------
    def surname(self) -> str:
        return weighted_choice(self.rng, SURNAMES, SURNAME_CUMULATIVE)

    def given_name(self, sex: str, birth_year: int) -> str:
        fashion = FASHIONS[(sex, generation(birth_year))]
        if self.rng.random() < fashion.single_share:
            return self.rng.choice(fashion.single)
        first = self.rng.choice(fashion.first)
        second = self.rng.choice(fashion.second)
        while second == first:
            second = self.rng.choice(fashion.second)
        return first + second

    def name(self, sex: str, birth_year: int, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given_name(sex, birth_year)

    # Numbers -----------------------------------------------------------------------------
    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def id_number(self, sex: str, birth: datetime.date, region: str | None = None) -> str:
        """An 18-character resident ID: region, birth date, a serial whose last digit is odd
        for men and even for women, and the check character."""
        region = region or weighted_choice(self.rng, REGIONS, REGION_CUMULATIVE)
        while True:
            serial = self.rng.randrange(100) * 10 + self.rng.choice((1, 3, 5, 7, 9) if sex == "M" else (0, 2, 4, 6, 8))
            first = f"{region}{birth:%Y%m%d}{serial:03d}"
            number = first + id_check_character(first)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def plate(self, electric: bool = False) -> str:
        regions = tuple(code for code, _weight in PLATE_REGIONS)
        weights = tuple(weight for _code, weight in PLATE_REGIONS)
        while True:
            prefix = self.rng.choices(regions, weights=weights, k=1)[0]
            if electric:
                tail = self.rng.choice("DF") + f"{self.rng.randrange(100_000):05d}"
            else:
                chars = [str(self.rng.randrange(10)) for _ in range(5)]
                for position in self.rng.sample(range(5), self.rng.choice((0, 0, 1, 1, 2))):
                    chars[position] = self.rng.choice(PLATE_LETTERS)
                tail = "".join(chars)
            plate = prefix + tail
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def email(self, name: str) -> str:
        # A surname with several readings (余: yú, tú, xú) has them all, spaced: take the first.
        reading = pinyin.full_pinyin(name).split()[0]
        return f"{reading}{self.rng.randrange(1, 1000)}@{self.rng.choice(EMAIL_DOMAINS)}"

    def birth_date(self, first_year: int, last_year: int) -> datetime.date:
        return random_date(self.rng, datetime.date(first_year, 1, 1), datetime.date(last_year, 12, 31))

    # People ------------------------------------------------------------------------------
    def person(
        self,
        *,
        sex: str,
        birth: datetime.date,
        surname: str | None = None,
        phone: bool = True,
        region: str | None = None,
    ) -> dict[str, Any]:
        """The values create_person takes for one made-up person."""
        name = self.name(sex, birth.year, surname)
        values: dict[str, Any] = {"name": name, "id_number": self.id_number(sex, birth, region)}
        if phone:
            values["phone"] = self.phone()
        return values

    def adult(self, first_year: int, last_year: int, sex: str | None = None) -> tuple[str, datetime.date, dict]:
        sex = sex or self.rng.choice("MF")
        birth = self.birth_date(first_year, last_year)
        return sex, birth, self.person(sex=sex, birth=birth)

    def staff_name(self) -> str:
        return self.name(self.rng.choice("MF"), self.rng.randint(1970, 1998))

    def household(self, *, status: str, delivered: datetime.date | None, villa: bool) -> list[Member]:
        """Who is on file for one unit. Undelivered units have nobody yet; every other unit has
        an owner, often a co-owner (the spouse); lived-in units have family or tenants."""
        rng = self.rng
        if status == "undelivered" or delivered is None:
            return []
        owner_first, owner_last = (1950, 1988) if villa else (1950, 1996)
        sex, birth, values = self.adult(owner_first, owner_last)
        owner = Member("owner", values, birth, since=delivered)
        members = [owner]
        if rng.random() < (0.35 if villa else 0.3):
            values["email"] = self.email(values["name"])
        spouse_birth = None
        if rng.random() < 0.5 and self.age(birth) >= 26:
            spouse_sex = "F" if sex == "M" else "M"
            spouse_birth = random_date(
                rng, birth - datetime.timedelta(days=5 * 365), birth + datetime.timedelta(days=4 * 365)
            )
            spouse_birth = min(spouse_birth, self.today - datetime.timedelta(days=23 * 365))
            members.append(
                Member("co_owner", self.person(sex=spouse_sex, birth=spouse_birth), spouse_birth, since=delivered)
            )
        lived_in = status == "occupied"
        rented = lived_in and not villa and rng.random() < 0.15
        if rented:
            # The owner lives elsewhere; one or two tenants live here since a recent lease.
            lease = random_date(rng, max(delivered, self.today - datetime.timedelta(days=3 * 365)), self.today)
            for index in range(rng.choice((1, 1, 2))):
                _sex, tenant_birth, tenant = self.adult(1978, 2003)
                members.append(Member("tenant", tenant, tenant_birth, since=lease))
                if index == 0 and rng.random() < 0.5:
                    tenant["emergency_contact_name"] = self.name(rng.choice("MF"), tenant_birth.year - 28)
                    tenant["emergency_contact_phone"] = self.phone()
        elif lived_in:
            self.add_family(members, owner, spouse_birth, delivered)
        self.add_care_notes(members, owner, lived_in and not rented, villa)
        self.add_vehicles(members, villa, lived_in)
        return members

    def age(self, birth: datetime.date) -> int:
        return (self.today - birth).days // 365

    def add_family(
        self, members: list[Member], owner: Member, spouse_birth: datetime.date | None, delivered: datetime.date
    ) -> None:
        rng = self.rng
        surname = surname_of(owner.values["name"])
        parent_year = min(owner.birth.year, spouse_birth.year if spouse_birth else owner.birth.year)
        # Children of owners young enough to have them at home.
        if self.age(owner.birth) < 62:
            for _ in range(rng.choice((0, 1, 1, 1, 2, 2))):
                child_birth = self.birth_date(parent_year + 24, min(parent_year + 38, self.today.year - 1))
                if child_birth > self.today:
                    continue
                child_sex = rng.choice("MF")
                has_phone = self.age(child_birth) >= 14
                members.append(
                    Member(
                        "family",
                        self.person(
                            sex=child_sex,
                            birth=child_birth,
                            surname=surname,
                            phone=has_phone,
                            region=owner.values["id_number"][:6],
                        ),
                        child_birth,
                        since=max(delivered, child_birth),
                    )
                )
        # A parent who moved in to help with the grandchildren.
        if self.age(owner.birth) < 50 and rng.random() < 0.25:
            elder_birth = self.birth_date(parent_year - 32, parent_year - 24)
            elder_sex = rng.choice("MF")
            elder = self.person(
                sex=elder_sex,
                birth=elder_birth,
                surname=surname if elder_sex == "M" else None,
                region=owner.values["id_number"][:6],
            )
            members.append(Member("family", elder, elder_birth, since=delivered))

    def add_care_notes(self, members: list[Member], owner: Member, lives_here: bool, villa: bool) -> None:
        rng = self.rng
        values = owner.values
        alone = lives_here and len(members) == 1
        if alone and self.age(owner.birth) >= 70 and rng.random() < 0.85:
            values["special_needs"] = LIVING_ALONE_NEED
        elif rng.random() < 0.04:
            values["special_needs"] = rng.choice(SPECIAL_NEEDS)
        if rng.random() < 0.2:
            values["preferences"] = rng.choice(VILLA_PREFERENCES if villa and rng.random() < 0.5 else PREFERENCES)
        # An emergency contact outside the household: a grown child, a sibling or a friend.
        if rng.random() < (0.95 if alone else 0.7):
            same_family = rng.random() < 0.6
            contact_year = owner.birth.year + (28 if self.age(owner.birth) >= 60 else rng.randint(-8, 8))
            contact_year = min(contact_year, self.today.year - 20)
            surname = surname_of(values["name"]) if same_family else None
            values["emergency_contact_name"] = self.name(rng.choice("MF"), contact_year, surname)
            values["emergency_contact_phone"] = self.phone()
        for member in members[1:]:
            if member.relation == "family" and self.age(member.birth) >= 75 and rng.random() < 0.3:
                member.values["special_needs"] = "高龄老人，行动较慢，电梯困人演练请提前告知家属"

    def add_vehicles(self, members: list[Member], villa: bool, lived_in: bool) -> None:
        rng = self.rng
        if not lived_in:
            return
        drivers = [m for m in members if m.relation in {"owner", "co_owner", "tenant"} and "phone" in m.values]
        if not drivers:
            return
        cars = rng.choice((1, 2, 2, 3)) if villa else rng.choice((0, 0, 1, 1, 1, 2))
        catalogue = LUXURY_CARS + CARS if villa else CARS
        for index in range(cars):
            description, electric = rng.choice(catalogue)
            driver = drivers[index % len(drivers)]
            driver.vehicles.append((self.plate(electric), description))
