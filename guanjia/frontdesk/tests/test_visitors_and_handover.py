import datetime

import pytest
from django.utils import timezone

from guanjia.core.errors import DomainError
from guanjia.frontdesk import actions, queries
from guanjia.frontdesk.models import DoNotAdmit, Handover, Key, Visit, VisitorPass


def window(hours=4):
    now = timezone.now()
    return now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=hours)


def test_one_time_pass_admits_once(cast):
    start, end = window()
    visitor_pass = actions.issue_visitor_pass(
        person=cast.owner_person,
        unit=cast.unit_a,
        visitor_name="刘医生",
        kind=VisitorPass.Kind.ONE_TIME,
        valid_from=start,
        valid_until=end,
    )
    visit = actions.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=visitor_pass.token)
    assert visit.unit == cast.unit_a and visit.visitor_name == "刘医生"
    with pytest.raises(DomainError) as error:
        actions.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=visitor_pass.token)
    assert error.value.field == "token"
    assert Visit.objects.count() == 1


def test_expired_or_foreign_pass_is_refused_and_nothing_written(cast):
    start, end = window()
    visitor_pass = actions.issue_visitor_pass(
        person=cast.owner_person,
        unit=cast.unit_a,
        visitor_name="刘医生",
        kind=VisitorPass.Kind.RECURRING,
        valid_from=start,
        valid_until=end,
    )
    with pytest.raises(DomainError):
        actions.admit_with_pass(actor=cast.outsider, estate=cast.other_estate, token=visitor_pass.token)
    VisitorPass.objects.update(valid_until=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(DomainError):
        actions.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=visitor_pass.token)
    assert not Visit.objects.exists()
    assert VisitorPass.objects.get().used_at is None


def test_do_not_admit_stops_a_walk_in(cast):
    DoNotAdmit.objects.create(unit=cast.unit_a, name="赵某", given_by=cast.owner_person)
    with pytest.raises(DomainError) as error:
        actions.check_in_visitor(actor=cast.assistant, unit=cast.unit_a, visitor_name="赵某")
    assert error.value.field == "visitor_name"
    visit = actions.check_in_visitor(
        actor=cast.assistant, unit=cast.unit_a, visitor_name="钱某", visitor_phone="13911112222", purpose="送货"
    )
    actions.check_out_visitor(actor=cast.assistant, visit=visit)
    with pytest.raises(DomainError):
        actions.check_out_visitor(actor=cast.assistant, visit=visit)


def test_handover_lists_open_items_and_is_acknowledged_by_the_next_shift(cast):
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.FACILITY, tag="F-PUMP", slot="C-1", facility="水泵房"
    )
    actions.lend_key(
        actor=cast.assistant,
        key=key,
        borrower_name="工程部老李",
        borrower_phone="13900003333",
        due_at=timezone.now() + datetime.timedelta(hours=1),
    )
    actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B2", tracking_number="SF9"
    )
    handover = actions.write_handover(actor=cast.assistant, estate=cast.estate, note="水泵房钥匙在工程部")
    assert [k["tag"] for k in handover.open_items["keys_out"]] == ["F-PUMP"]
    assert handover.open_items["parcels_waiting"] == [{"unit": cast.unit_a.code, "recipient": "张三", "shelf": "B2"}]
    with pytest.raises(DomainError):
        actions.acknowledge_handover(actor=cast.assistant, handover=handover)
    later = timezone.now() + datetime.timedelta(hours=1)
    assert list(queries.unacknowledged_handovers(cast.estate.pk, later, datetime.timedelta(minutes=30))) == [handover]
    actions.acknowledge_handover(actor=cast.butler, handover=handover)
    assert Handover.objects.get().acknowledged_by == cast.butler
    assert not queries.unacknowledged_handovers(cast.estate.pk, later, datetime.timedelta(minutes=30)).exists()


def test_overdue_keys_unclaimed_parcels_and_shelf_count(cast):
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.FACILITY, tag="F-ROOF", slot="C-2", facility="天台"
    )
    actions.lend_key(
        actor=cast.assistant,
        key=key,
        borrower_name="工程部老李",
        borrower_phone="13900003333",
        due_at=timezone.now() + datetime.timedelta(hours=1),
    )
    for number, shelf in (("A1", "B1"), ("A2", "B1"), ("A3", "B2")):
        actions.receive_parcel(
            actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf=shelf, tracking_number=number
        )
    later = timezone.now() + datetime.timedelta(days=4)
    assert [loan.key.tag for loan in queries.overdue_loans(cast.estate.pk, later)] == ["F-ROOF"]
    assert queries.unclaimed_parcels(cast.estate.pk, later, days=3).count() == 3
    assert queries.shelf_count(cast.estate.pk) == {"B1": 2, "B2": 1}
