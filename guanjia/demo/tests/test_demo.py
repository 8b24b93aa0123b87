"""`manage.py load_demo`: a small demo company, loaded through the actions or in bulk."""

import datetime
import random
import re
from io import StringIO

import pytest
from django.core.management import call_command

from guanjia.accounts.models import Posting, User
from guanjia.core.models import Change
from guanjia.core.roles import Post
from guanjia.core.validators import MOBILE_PATTERN, phone_problem, resident_id_problem
from guanjia.demo.company import DEMO_COMPANY_CODE, DEMO_PASSWORD
from guanjia.demo.people import PeopleMaker
from guanjia.demo.plans import plan_estates, plan_zones
from guanjia.estates.models import Building, Company, Estate, Unit, Zone
from guanjia.people.models import Person, Residency, Vehicle


def load_demo(tmp_path, *args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, logins_file=str(tmp_path / "demo-logins.md"), stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (Company, Estate, Zone, Building, Unit, Person, Residency, Vehicle, User, Posting, Change)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", [[], ["--bulk"]], ids=["actions", "bulk"])
def test_small_demo_has_every_post_a_butler_per_zone_and_valid_people(tmp_path, mode):
    output = load_demo(tmp_path, "--units", "160", *mode)

    company = Company.objects.get(code=DEMO_COMPANY_CODE)
    cuihu, yunqi = company.estates.order_by("id")
    assert (cuihu.code, cuihu.kind, yunqi.code, yunqi.kind) == ("cuihu", "high_rise", "yunqi", "villa")
    assert Unit.objects.filter(estate__company=company).count() == 160

    # One login per post in the high-rise estate, all with the demo password.
    assert set(Posting.objects.filter(estate=cuihu, active=True).values_list("post", flat=True)) == set(Post.values)
    assert {Post.MANAGER, Post.HEAD_BUTLER, Post.BUTLER} <= set(
        Posting.objects.filter(estate=yunqi).values_list("post", flat=True)
    )
    for username in ("manager", "deputy", "headbutler", "butler1", "assistant3", "finance", "manager2", "owner"):
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD), username

    # Every zone has a butler posted to its estate, and every unit lies in a zone.
    zones = Zone.objects.filter(estate__company=company)
    assert zones.exists()
    assert not zones.filter(butler=None).exists()
    for zone in zones:
        assert Posting.objects.filter(user=zone.butler, estate=zone.estate, post=Post.BUTLER, active=True).exists()
    assert not Unit.objects.filter(estate__company=company, zone=None).exists()

    # Unit codes, areas and types as the registry expects them.
    for unit in Unit.objects.filter(estate=cuihu):
        assert re.fullmatch(r"\d+-[12]-\d{4}", unit.code), unit.code
        assert unit.code.endswith(f"{unit.floor:02d}{unit.number[-2:]}")
        assert unit.house_type == Unit.HouseType.HIGH_RISE
        assert 70 <= unit.area <= 160
    villas = Unit.objects.filter(estate=yunqi, house_type=Unit.HouseType.VILLA)
    assert villas.exists()
    assert all(re.fullmatch(r"[A-Z]+-\d{2}", code) for code in villas.values_list("code", flat=True))
    assert not Unit.objects.filter(status=Unit.Status.UNDELIVERED).exclude(delivery_date=None).exists()
    assert Unit.objects.filter(status=Unit.Status.OCCUPIED).count() > 80

    # People: valid ID numbers and phones, pinyin for the search box, no number used twice.
    people = list(Person.objects.filter(estate__company=company))
    assert len(people) > 160
    id_numbers = [person.reveal_id_number() for person in people]
    assert all(resident_id_problem(number) is None for number in id_numbers)
    assert len(set(id_numbers)) == len(id_numbers)
    phones = [person.phone for person in people if person.phone]
    assert all(MOBILE_PATTERN.match(phone) for phone in phones)
    assert len(set(phones)) == len(phones)
    for person in people:
        assert person.name_initials and person.name_pinyin
        assert person.phone_tail == person.phone[-4:]
        if person.emergency_contact_phone:
            assert phone_problem(person.emergency_contact_phone) is None
    relations = set(Residency.objects.filter(person__estate__company=company).values_list("relation", flat=True))
    assert {Residency.Relation.OWNER, Residency.Relation.CO_OWNER, Residency.Relation.FAMILY} <= relations
    assert Vehicle.objects.filter(person__estate__company=company).exists()
    for plate in Vehicle.objects.values_list("plate", flat=True):
        assert re.fullmatch(r"[沪苏浙皖][A-Z][0-9A-Z]{5,6}", plate), plate

    # The owner login belongs to an owner living in the first butler's zone.
    owner = User.objects.get(username="owner")
    residency = owner.person.residencies.get()
    assert residency.relation == Residency.Relation.OWNER
    assert residency.unit.estate == cuihu
    assert residency.unit.zone.butler.username == "butler1"

    # The writes are audited, and the logins table is printed and written out.
    assert Change.objects.filter(estate_id=cuihu.pk).exists()
    assert "butler1" in output and "owner" in output
    table = (tmp_path / "demo-logins.md").read_text(encoding="utf-8")
    assert "| 物业服务中心经理 | `manager` |" in table
    assert DEMO_PASSWORD in table


@pytest.mark.django_db
def test_loading_twice_adds_nothing(tmp_path):
    load_demo(tmp_path, "--units", "40")
    before = row_counts()

    output = load_demo(tmp_path, "--units", "40")

    assert "已载入" in output
    assert row_counts() == before


@pytest.mark.django_db
def test_spreads_units_over_more_estates(tmp_path):
    load_demo(tmp_path, "--units", "90", "--estates", "3")

    estates = Estate.objects.filter(company__code=DEMO_COMPANY_CODE).order_by("id")
    assert [estate.kind for estate in estates] == ["high_rise", "villa", "high_rise"]
    assert Unit.objects.count() == 90
    assert User.objects.filter(username__in=["manager3", "headbutler3", "butler3-1"]).count() == 3


def test_default_layout_matches_the_demo_description():
    cuihu, yunqi = plan_estates(2000, 2)
    assert (cuihu.units, yunqi.units) == (1600, 400)

    zones = plan_zones(random.Random(1), cuihu)
    buildings = [building for zone in zones for building in zone.buildings]
    assert len(buildings) == 10
    assert all(1 <= len(zone.buildings) <= 2 for zone in zones)

    villa_zones = plan_zones(random.Random(1), yunqi)
    units = [unit for zone in villa_zones for building in zone.buildings for unit in building.units]
    villas = [unit for unit in units if unit.house_type == Unit.HouseType.VILLA]
    flats = [unit for unit in units if unit.house_type == Unit.HouseType.FLAT_MANSION]
    assert 230 <= len(villas) <= 270 and 130 <= len(flats) <= 160
    assert all(40 <= zone.unit_count <= 110 for zone in villa_zones)


def test_made_up_people_are_valid_and_repeatable():
    first = PeopleMaker(random.Random(5))
    second = PeopleMaker(random.Random(5))
    delivered = datetime.date(2019, 5, 1)
    households = [first.household(status="occupied", delivered=delivered, villa=False) for _ in range(300)]
    again = [second.household(status="occupied", delivered=delivered, villa=False) for _ in range(300)]
    assert [[m.values for m in h] for h in households] == [[m.values for m in h] for h in again]

    for household in households:
        assert household[0].relation == "owner"
        for member in household:
            number = member.values["id_number"]
            assert resident_id_problem(number) is None
            assert number[6:14] == f"{member.birth:%Y%m%d}"
            assert 2 <= len(member.values["name"]) <= 4
            assert "phone" not in member.values or MOBILE_PATTERN.match(member.values["phone"])
    assert first.household(status="undelivered", delivered=None, villa=True) == []


@pytest.mark.django_db
def test_the_demo_estate_has_requests_custody_and_bills(tmp_path):
    from guanjia.billing.models import Bill, Payment
    from guanjia.frontdesk.models import Handover, KeyLoan, Parcel
    from guanjia.servicedesk.models import ServiceRequest

    output = load_demo(tmp_path, "--units", "160")
    cuihu = Estate.objects.get(code="cuihu")
    statuses = set(ServiceRequest.objects.filter(estate=cuihu).values_list("status", flat=True))
    assert {"received", "assigned", "in_progress", "resolved", "closed"} <= statuses
    assert KeyLoan.objects.filter(key__estate=cuihu, returned_at=None).count() == 1
    assert Parcel.objects.filter(estate=cuihu, status=Parcel.Status.WAITING).exists()
    assert Handover.objects.filter(estate=cuihu).exists()
    # Three months of property fees, most of them paid, each payment with its receipt number.
    bills = Bill.objects.filter(unit__estate=cuihu)
    assert bills.values("period_start").distinct().count() == 3
    payments = Payment.objects.filter(estate=cuihu)
    assert 0 < payments.count() < bills.count()
    assert sorted(payments.values_list("receipt_number", flat=True)) == list(range(1, payments.count() + 1))
    assert "服务请求" in output
    # The villa estate stays as the registry made it.
    assert not Bill.objects.filter(unit__estate__code="yunqi").exists()
