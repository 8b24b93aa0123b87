from decimal import Decimal

import pytest

from guanjia.core.errors import DomainError
from guanjia.core.models import Change
from guanjia.estates import actions
from guanjia.estates.models import Unit


def test_create_unit_builds_the_code_and_records_the_change(cast):
    building = cast.unit_a.building
    unit = actions.create_unit(
        actor=cast.manager,
        building=building,
        entrance="2",
        number="1502",
        floor=15,
        area="101.25",
        house_type=Unit.HouseType.HIGH_RISE,
        zone=cast.zone_a,
    )
    assert unit.code == "1-2-1502"
    assert unit.area == Decimal("101.25")
    change = Change.objects.get(object_id=unit.pk, verb="create")
    assert change.actor == cast.manager and change.estate_id == cast.estate.pk


@pytest.mark.parametrize("area,field", [("-3", "area"), ("0", "area"), ("abc", "area"), ("12.345", "area")])
def test_bad_area_is_refused_and_nothing_saved(cast, area, field):
    before = Unit.objects.count()
    with pytest.raises(DomainError) as error:
        actions.create_unit(
            actor=cast.manager,
            building=cast.unit_a.building,
            number="9901",
            floor=9,
            area=area,
            house_type=Unit.HouseType.HIGH_RISE,
        )
    assert error.value.field == field
    assert Unit.objects.count() == before


def test_duplicate_unit_code_is_refused(cast):
    with pytest.raises(DomainError) as error:
        actions.create_unit(
            actor=cast.manager,
            building=cast.unit_a.building,
            entrance="1",
            number="1201",
            floor=12,
            area="80",
            house_type=Unit.HouseType.HIGH_RISE,
        )
    assert error.value.field == "number"


def test_zone_of_another_estate_is_refused(cast):
    foreign_zone = cast.other_estate.zones.first()
    with pytest.raises(DomainError) as error:
        actions.update_unit(actor=cast.manager, unit=cast.unit_a, zone=foreign_zone)
    assert error.value.field == "zone"
    cast.unit_a.refresh_from_db()
    assert cast.unit_a.zone == cast.zone_a


def test_update_records_old_and_new_values(cast):
    actions.update_unit(actor=cast.butler, unit=cast.unit_a, status=Unit.Status.RENOVATING, area=Decimal("90.00"))
    change = Change.objects.filter(object_id=cast.unit_a.pk, verb="update").get()
    assert change.changes["status"] == ["occupied", "renovating"]
    assert change.changes["area"] == ["89.50", "90.00"]


def test_update_without_difference_writes_no_history(cast):
    actions.update_unit(actor=cast.butler, unit=cast.unit_a, status=cast.unit_a.status)
    assert not Change.objects.filter(object_id=cast.unit_a.pk, verb="update").exists()


def test_only_a_posted_butler_may_look_after_a_zone(cast):
    with pytest.raises(DomainError):
        actions.assign_zone_butler(actor=cast.manager, zone=cast.zone_b, butler=cast.assistant)
    actions.assign_zone_butler(actor=cast.manager, zone=cast.zone_b, butler=cast.butler)
    cast.zone_b.refresh_from_db()
    assert cast.zone_b.butler == cast.butler
