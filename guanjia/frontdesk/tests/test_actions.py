import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.http import Http404
from django.utils import timezone

from guanjia.core.errors import DomainError
from guanjia.frontdesk import actions
from guanjia.frontdesk.access import access_key, access_parcel
from guanjia.frontdesk.models import CustodyEvent, Key, KeyAuthorization, KeyLoan, Parcel


def ledger():
    """Everything the custody ledger holds, to prove a refusal changed nothing."""
    return (
        list(Key.objects.order_by("pk").values()),
        list(KeyLoan.objects.order_by("pk").values()),
        list(KeyAuthorization.objects.order_by("pk").values()),
        list(Parcel.objects.order_by("pk").values()),
        CustodyEvent.objects.count(),
    )


@pytest.fixture
def key(cast):
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-1201", slot="A-03", unit=cast.unit_a
    )
    actions.authorize_borrower(
        actor=cast.butler,
        key=key,
        borrower_name="王阿姨",
        borrower_phone="13900001111",
        purpose="保洁",
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        granted_by=cast.owner_person,
    )
    return key


def later(hours=2):
    return timezone.now() + datetime.timedelta(hours=hours)


def test_lend_and_return_write_the_ledger(cast, key):
    loan = actions.lend_key(
        actor=cast.assistant, key=key, borrower_name="王阿姨", borrower_phone="139 0000 1111", due_at=later()
    )
    key.refresh_from_db()
    assert key.status == Key.Status.LENT and loan.authorization is not None
    actions.return_key(actor=cast.assistant, key=key)
    key.refresh_from_db()
    assert key.status == Key.Status.IN_STORE
    assert list(CustodyEvent.objects.filter(key=key).order_by("at", "id").values_list("action", flat=True)) == [
        "key_registered",
        "key_lent",
        "key_returned",
    ]


@pytest.mark.parametrize("name,phone", [("陌生人", "13900001111"), ("王阿姨", "13900002222")])
def test_lending_to_someone_not_authorized_is_refused(cast, key, name, phone):
    before = ledger()
    with pytest.raises(DomainError) as error:
        actions.lend_key(actor=cast.assistant, key=key, borrower_name=name, borrower_phone=phone, due_at=later())
    assert error.value.field == "borrower_name"
    assert ledger() == before


def test_an_expired_authorization_does_not_count(cast, key):
    KeyAuthorization.objects.update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(DomainError):
        actions.lend_key(
            actor=cast.assistant, key=key, borrower_name="王阿姨", borrower_phone="13900001111", due_at=later()
        )


def test_lending_a_key_already_out_is_refused(cast, key):
    actions.lend_key(
        actor=cast.assistant, key=key, borrower_name="王阿姨", borrower_phone="13900001111", due_at=later()
    )
    before = ledger()
    with pytest.raises(DomainError) as error:
        actions.lend_key(
            actor=cast.butler, key=key, borrower_name="王阿姨", borrower_phone="13900001111", due_at=later()
        )
    assert error.value.field == "key"
    assert ledger() == before


def test_returning_a_key_that_is_not_out_is_refused(cast, key):
    before = ledger()
    with pytest.raises(DomainError) as error:
        actions.return_key(actor=cast.assistant, key=key)
    assert error.value.message == "该钥匙未借出，无需归还。"
    assert ledger() == before


def test_parcel_pickup_code_checked_and_not_reusable(cast):
    parcel = actions.receive_parcel(
        actor=cast.assistant,
        unit=cast.unit_a,
        recipient_name="张三",
        shelf="B2",
        courier="顺丰",
        tracking_number="sf1234567890",
    )
    assert len(parcel.pickup_code) == 6 and parcel.pickup_code.isdigit()
    before = ledger()
    wrong = "000000" if parcel.pickup_code != "000000" else "111111"
    with pytest.raises(DomainError) as error:
        actions.hand_over_parcel(actor=cast.assistant, parcel=parcel, pickup_code=wrong, collected_by_name="张三")
    assert error.value.field == "pickup_code"
    assert ledger() == before
    actions.hand_over_parcel(
        actor=cast.assistant, parcel=parcel, pickup_code=parcel.pickup_code, collected_by_name="张三"
    )
    before = ledger()
    with pytest.raises(DomainError) as error:
        actions.hand_over_parcel(
            actor=cast.assistant, parcel=parcel, pickup_code=parcel.pickup_code, collected_by_name="张三"
        )
    assert error.value.field == "pickup_code"
    assert ledger() == before


def test_a_tracking_number_checked_in_twice_is_refused(cast):
    actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B2", tracking_number="YT0001"
    )
    before = ledger()
    with pytest.raises(DomainError) as error:
        actions.receive_parcel(
            actor=cast.assistant, unit=cast.unit_b, recipient_name="李四", shelf="B3", tracking_number="yt0001"
        )
    assert error.value.field == "tracking_number"
    assert ledger() == before


def test_a_key_for_a_unit_of_another_estate_is_refused(cast):
    with pytest.raises(DomainError) as error:
        actions.register_key(
            actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-X", slot="A-1", unit=cast.other_unit
        )
    assert error.value.field == "unit"
    assert not Key.objects.exists()


def test_access_outsider_and_finance_get_404_owner_sees_own_parcel(cast, key):
    parcel = actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B2", tracking_number="JD777"
    )
    for role in ("outsider", "finance", "owner"):
        with pytest.raises(Http404):
            access_key(cast.user(role), key.pk)
    for role in ("outsider", "finance"):
        with pytest.raises(Http404):
            access_parcel(cast.user(role), parcel.pk)
    assert access_parcel(cast.owner, parcel.pk) == parcel
    assert access_key(cast.assistant, key.pk) == key


@pytest.mark.django_db(transaction=True)
def test_two_assistants_lend_the_same_key_at_once(cast_for_threads):
    """On PostgreSQL: two threads, two connections, one key; exactly one loan exists."""
    if connection.vendor != "postgresql":
        pytest.skip("the race needs two real connections to a server database")
    cast, key = cast_for_threads
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def lend(actor):
        try:
            barrier.wait()
            actions.lend_key(actor=actor, key=key, borrower_name="王阿姨", borrower_phone="13900001111", due_at=later())
            outcomes.append("lent")
        except DomainError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=lend, args=(actor,)) for actor in (cast.assistant, cast.butler)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lent", "refused"]
    assert KeyLoan.objects.filter(key=key).count() == 1
    assert CustodyEvent.objects.filter(key=key, action="key_lent").count() == 1


@pytest.fixture
def cast_for_threads(transactional_db, cast):
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-RACE", slot="A-09", unit=cast.unit_a
    )
    actions.authorize_borrower(
        actor=cast.butler,
        key=key,
        borrower_name="王阿姨",
        borrower_phone="13900001111",
        purpose="保洁",
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    return cast, key


def test_a_check_in_writes_the_parcel_and_its_event_as_the_orm_would(cast):
    """On PostgreSQL the parcel and its event go in as one statement: the rows read back equal
    what was built, field by field."""
    parcel = actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="C1", courier="京东", tracking_number="j7"
    )
    stored = Parcel.objects.get(pk=parcel.pk)
    for field in Parcel._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(parcel, field.attname), field.name
    assert stored.tracking_number == "J7" and stored.status == Parcel.Status.WAITING
    event = CustodyEvent.objects.get(parcel=parcel)
    assert (event.action, event.actor_id, event.estate_id) == ("parcel_received", cast.assistant.pk, cast.estate.pk)
    assert (event.counterpart, event.checked_how, event.at) == ("京东", "C1", stored.received_at)
    assert parcel.unit == cast.unit_a and not parcel._state.adding
    stored.shelf = "C2"
    stored.save(update_fields=["shelf"])  # an ordinary saved instance from here on


@pytest.mark.parametrize("inside_a_transaction", [False, True])
def test_a_pickup_code_that_collides_is_drawn_again(cast, monkeypatch, inside_a_transaction):
    first = actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="C1", tracking_number="SF1"
    )
    fresh = "999999" if first.pickup_code != "999999" else "888888"
    codes = iter([first.pickup_code, first.pickup_code, fresh])
    monkeypatch.setattr("guanjia.frontdesk.actions.parcels.new_pickup_code", lambda: next(codes))

    def check_in():
        return actions.receive_parcel(
            actor=cast.assistant, unit=cast.unit_b, recipient_name="李四", shelf="C2", tracking_number="SF2"
        )

    if inside_a_transaction:  # as the check-in page does, with its photo
        with transaction.atomic():
            second = check_in()
    else:
        second = check_in()
    assert second.pickup_code == fresh
    assert Parcel.objects.count() == 2
    assert CustodyEvent.objects.filter(action="parcel_received").count() == 2
