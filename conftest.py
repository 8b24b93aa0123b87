"""The fixed cast every test can call on.

Home estate 翠湖苑 has zones A (the butler's) and B; the owner 张三 lives in 1-1-1201 in zone
A; 李四 lives in 2-1-0801 in zone B. The outsider is a butler of another estate, 云栖苑,
where 王五 lives. Everyone's password is "correct-horse-battery".
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from guanjia.accounts.tests.factories import PostingFactory, UserFactory
from guanjia.core.roles import Post
from guanjia.estates.models import Unit
from guanjia.estates.tests.factories import BuildingFactory, CompanyFactory, EstateFactory, UnitFactory, ZoneFactory
from guanjia.people.tests.factories import PersonFactory, ResidencyFactory, valid_id_number

PASSWORD = "correct-horse-battery"


@dataclass
class Cast:
    estate: Any
    other_estate: Any
    zone_a: Any
    zone_b: Any
    unit_a: Any
    unit_b: Any
    other_unit: Any
    owner_person: Any
    neighbour: Any
    stranger: Any
    manager: Any
    head_butler: Any
    butler: Any
    assistant: Any
    finance: Any
    owner: Any
    outsider: Any

    def user(self, role: str) -> Any:
        return getattr(self, role)


ROLES = ["manager", "head_butler", "butler", "assistant", "finance", "owner", "outsider"]


def make_staff(username: str, name: str, estate: Any, post: str) -> Any:
    user = UserFactory(username=username, display_name=name)
    PostingFactory(user=user, estate=estate, post=post)
    return user


@pytest.fixture
def cast(db) -> Cast:
    return make_cast()


def make_cast() -> Cast:
    """The cast, written to the database (for fixtures that keep it longer than one test)."""
    company = CompanyFactory(name="安居物业", code="anju")
    estate = EstateFactory(company=company, name="翠湖苑", code="cuihu")
    other_estate = EstateFactory(company=company, name="云栖苑", code="yunqi", kind="villa")
    butler = make_staff("butler", "周管家", estate, Post.BUTLER)
    zone_a = ZoneFactory(estate=estate, code="A", name="A区", butler=butler)
    zone_b = ZoneFactory(estate=estate, code="B", name="B区")
    building1 = BuildingFactory(estate=estate, code="1")
    building2 = BuildingFactory(estate=estate, code="2")
    unit_a = UnitFactory(building=building1, entrance="1", number="1201", floor=12, zone=zone_a)
    unit_b = UnitFactory(building=building2, entrance="1", number="0801", floor=8, zone=zone_b, area=Decimal("120.00"))
    other_building = BuildingFactory(estate=other_estate, code="A")
    other_unit = UnitFactory(
        building=other_building,
        entrance="",
        number="08",
        floor=1,
        house_type=Unit.HouseType.VILLA,
        area=Decimal("320.00"),
    )
    owner_person = PersonFactory(estate=estate, name="张三", phone="13812341234", id_number=valid_id_number(11))
    neighbour = PersonFactory(estate=estate, name="李四", phone="13987655678", id_number=valid_id_number(12))
    stranger = PersonFactory(estate=other_estate, name="王五", phone="13700007777", id_number=valid_id_number(13))
    ResidencyFactory(person=owner_person, unit=unit_a)
    ResidencyFactory(person=neighbour, unit=unit_b)
    ResidencyFactory(person=stranger, unit=other_unit)
    owner = UserFactory(username="owner", display_name="张三", person=owner_person)
    outsider = make_staff("outsider", "外区管家", other_estate, Post.BUTLER)
    ZoneFactory(estate=other_estate, code="A", name="别墅区", butler=outsider)
    return Cast(
        estate=estate,
        other_estate=other_estate,
        zone_a=zone_a,
        zone_b=zone_b,
        unit_a=unit_a,
        unit_b=unit_b,
        other_unit=other_unit,
        owner_person=owner_person,
        neighbour=neighbour,
        stranger=stranger,
        manager=make_staff("manager", "陈经理", estate, Post.MANAGER),
        head_butler=make_staff("head_butler", "林大管家", estate, Post.HEAD_BUTLER),
        butler=butler,
        assistant=make_staff("assistant", "吴助理", estate, Post.ASSISTANT),
        finance=make_staff("finance", "郑财务", estate, Post.FINANCE),
        owner=owner,
        outsider=outsider,
    )


@pytest.fixture
def client_as(client, cast):
    """client_as("butler") -> a test client signed in as that member of the cast."""

    def sign_in(role: str):
        client.force_login(cast.user(role))
        return client

    return sign_in


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """A MEDIA_ROOT of the test's own, so that the files a test writes are its own to count."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
