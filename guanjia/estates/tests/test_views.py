"""The unit page links only to what the reader may open."""

from django.urls import reverse

from guanjia.people.tests.factories import PersonFactory, ResidencyFactory


def test_an_owner_sees_their_household_but_links_only_to_their_own_archive(client_as, cast):
    child = PersonFactory(estate=cast.estate, name="张小三", phone="")
    ResidencyFactory(person=child, unit=cast.unit_a, relation="family")
    page = client_as("owner").get(reverse("people:unit", args=[cast.unit_a.pk])).content.decode()
    assert "张小三" in page
    assert reverse("people:person", args=[child.pk]) not in page
    assert reverse("people:person", args=[cast.owner_person.pk]) in page
    # Staff who may read the registry get the link.
    staff_page = client_as("butler").get(reverse("people:unit", args=[cast.unit_a.pk])).content.decode()
    assert reverse("people:person", args=[child.pk]) in staff_page


def test_the_change_history_speaks_chinese_not_field_names(client_as, cast):
    import datetime

    from guanjia.estates.actions import update_unit
    from guanjia.estates.models import Unit

    update_unit(
        actor=cast.manager, unit=cast.unit_a, status=Unit.Status.VACANT, delivery_date=datetime.date(2026, 3, 8)
    )
    page = client_as("manager").get(reverse("estates:unit_history", args=[cast.unit_a.pk])).content.decode()
    assert "交付日期" in page and "2026-03-08" in page
    assert str(Unit.Status.VACANT.label) in page or "空置" in page
    for raw in ("delivery_date", "vacant", ">update<"):
        assert raw not in page


def test_buildings_and_units_are_listed_as_people_count_them(client_as, cast):
    from guanjia.estates.tests.factories import BuildingFactory, UnitFactory

    estate = cast.estate
    ten, two = BuildingFactory(estate=estate, code="40"), BuildingFactory(estate=estate, code="8")
    for building, entrance, floor, number in [
        (ten, "1", 1, "101"),
        (two, "1", 10, "1001"),
        (two, "2", 2, "201"),
        (two, "1", 2, "201"),
        (two, "10", 1, "101"),
    ]:
        UnitFactory(building=building, estate=estate, entrance=entrance, floor=floor, number=number)
    page = client_as("manager").get(reverse("estates:units", args=[estate.pk]), {"page": 1}).content.decode()
    wanted = ["8-1-201", "8-1-1001", "8-2-201", "8-10-101", "40-1-101"]
    positions = [page.index(f">{code}<") for code in wanted]
    assert positions == sorted(positions)
    overview = client_as("manager").get(reverse("estates:dashboard", args=[estate.pk])).content.decode()
    assert overview.index(str(two)) < overview.index(str(ten))


def test_a_persons_history_names_relations_and_plates_in_chinese(client_as, cast):
    from guanjia.people import actions as people_actions
    from guanjia.people.tests.factories import PersonFactory

    person = PersonFactory(estate=cast.estate, name="欧阳娜娜")
    people_actions.link_person_to_unit(actor=cast.manager, person=person, unit=cast.unit_a, relation="owner")
    people_actions.add_vehicle(actor=cast.manager, person=person, plate="沪A12345")
    page = client_as("manager").get(reverse("people:person_history", args=[person.pk])).content.decode()
    assert "业主" in page and "沪A12345" in page
    for raw in (">owner<", "plate", "link_unit", "relation"):
        assert raw not in page
