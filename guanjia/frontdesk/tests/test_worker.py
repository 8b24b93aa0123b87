"""The front desk's reminders through the real huey worker process, with a fixed clock:
overdue keys to the assistants and the zone butler, unclaimed parcels to the people of the
unit and the zone butler after the estate's number of days, unacknowledged handovers to the
head butler; a second run at the same moment adds nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from guanjia.core.testing import run_worker
from guanjia.frontdesk import actions, tasks
from guanjia.frontdesk.models import Key
from guanjia.notifications.models import Notification


def received(dedupe_suffix: str) -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(dedupe_key__endswith=dedupe_suffix).values_list("recipient__username", "dedupe_key")
    )


@pytest.mark.django_db(transaction=True)
def test_desk_reminders_through_the_worker(cast):
    now = timezone.now()
    pump = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.FACILITY, tag="F-PUMP", slot="C1", facility="水泵房"
    )
    unit_key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-A", slot="C2", unit=cast.unit_a
    )
    actions.authorize_borrower(
        actor=cast.butler,
        key=unit_key,
        borrower_name="王阿姨",
        borrower_phone="13900001111",
        purpose="保洁",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    # Due in six hours: the every-five-minutes run on the real clock never finds them overdue.
    for key, name, phone in ((pump, "工程部老李", "13900003333"), (unit_key, "王阿姨", "13900001111")):
        actions.lend_key(
            actor=cast.assistant, key=key, borrower_name=name, borrower_phone=phone, due_at=now + dt.timedelta(hours=6)
        )
    parcel = actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B1", tracking_number="SF-OLD"
    )
    fresh = actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_b, recipient_name="李四", shelf="B2", tracking_number="SF-NEW"
    )
    actions.configure_desk(actor=cast.manager, estate=cast.estate, unclaimed_days=3, handover_ack_minutes=60)
    handover = actions.write_handover(actor=cast.assistant, estate=cast.estate, note="交班")

    with run_worker():
        # 7 hours on: both keys overdue; the handover is 7 hours old; the parcel waited 7 hours.
        result = tasks.desk_alerts_task((now + dt.timedelta(hours=7)).isoformat())
        assert result.get(blocking=True, timeout=60) == 4
        keys = Notification.objects.filter(dedupe_key__startswith="key-loan:")
        # The pump key (a facility: no zone) reaches the assistant; the unit key also zone A's butler.
        assert sorted(keys.values_list("recipient__username", flat=True)) == ["assistant", "assistant", "butler"]
        assert received(f"handover:{handover.pk}:unacknowledged") == [
            ("head_butler", f"handover:{handover.pk}:unacknowledged")
        ]
        assert not Notification.objects.filter(dedupe_key__endswith=":unclaimed").exists()

        # Four days on: the parcels are unclaimed; 张三 (a login in unit A) and zone A's butler
        # hear of his; 李四 has no login and zone B no butler, so nobody of his.
        result = tasks.desk_alerts_task((now + dt.timedelta(days=4)).isoformat())
        assert result.get(blocking=True, timeout=60) == 2
        assert received(f"parcel:{parcel.pk}:unclaimed") == [
            ("butler", f"parcel:{parcel.pk}:unclaimed"),
            ("owner", f"parcel:{parcel.pk}:unclaimed"),
        ]
        assert received(f"parcel:{fresh.pk}:unclaimed") == []
        owner_note = Notification.objects.get(recipient=cast.owner, dedupe_key=f"parcel:{parcel.pk}:unclaimed")
        assert parcel.pickup_code in owner_note.body

        # The same moment again: nothing new.
        result = tasks.desk_alerts_task((now + dt.timedelta(days=4)).isoformat())
        assert result.get(blocking=True, timeout=60) == 0
    assert Notification.objects.filter(dedupe_key__contains=":unclaimed").count() == 2
    assert Notification.objects.filter(dedupe_key__startswith="key-loan:").count() == 3


@pytest.mark.django_db
def test_the_unclaimed_days_follow_the_estate_setting(cast):
    now = timezone.now()
    actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B1", tracking_number="X1"
    )
    assert actions.send_desk_alerts(now=now + dt.timedelta(days=2), estate_id=cast.estate.pk) == 0
    actions.configure_desk(actor=cast.manager, estate=cast.estate, unclaimed_days=1, handover_ack_minutes=60)
    assert actions.send_desk_alerts(now=now + dt.timedelta(days=2), estate_id=cast.estate.pk) == 2


@pytest.mark.django_db
def test_an_acknowledged_handover_alerts_nobody(cast):
    handover = actions.write_handover(actor=cast.assistant, estate=cast.estate, note="交班")
    actions.acknowledge_handover(actor=cast.butler, handover=handover)
    assert actions.send_desk_alerts(now=timezone.now() + dt.timedelta(hours=3)) == 0
