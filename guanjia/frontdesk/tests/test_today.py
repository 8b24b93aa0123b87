"""The assistant's workbench: today's panel, the pickup-code box and the hand-over from it."""

import datetime

from django.urls import reverse
from django.utils import timezone

from guanjia.frontdesk import actions
from guanjia.frontdesk.models import Handover, Key, KeyLoan, Parcel


def receive(cast, tracking: str = "SF-TODAY") -> Parcel:
    return actions.receive_parcel(
        actor=cast.assistant,
        unit=cast.unit_a,
        recipient_name="张三",
        shelf="B7",
        courier="顺丰",
        tracking_number=tracking,
    )


def test_the_assistant_lands_on_today_at_the_desk(client_as, cast):
    client = client_as("assistant")
    response = client.get(reverse("home"))
    assert response.url == reverse("frontdesk:today", args=[cast.estate.pk])


def test_today_counts_what_the_desk_has_on_its_hands(client_as, cast):
    receive(cast)
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.FACILITY, tag="K-OUT", slot="A1", facility="配电房"
    )
    loan = actions.lend_key(
        actor=cast.assistant,
        key=key,
        borrower_name="工程部老王",
        borrower_phone="13800001111",
        due_at=timezone.now() + datetime.timedelta(hours=1),
    )
    KeyLoan.objects.filter(pk=loan.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))  # two hours on
    actions.check_in_visitor(actor=cast.assistant, unit=cast.unit_a, visitor_name="来访甲", purpose="探亲")
    body = client_as("assistant").get(reverse("frontdesk:today", args=[cast.estate.pk])).content.decode()
    assert "K-OUT" in body and "工程部老王" in body
    assert "来访甲" in body
    assert 'id="tile-parcels"' in body
    tile = body.split('id="tile-keys"')[1].split("</a>")[0]
    assert "逾期" in tile  # the overdue key is counted
    assert "T" not in tile.split("gj-figure-value")[1][:40]


def test_the_pickup_code_finds_the_parcel_and_hands_it_over(client_as, cast):
    parcel = receive(cast)
    client = client_as("assistant")
    url = reverse("frontdesk:today", args=[cast.estate.pk])
    page = client.get(url, {"code": parcel.pickup_code}).content.decode()
    assert 'id="pickup-found"' in page and "B7" in page and "SF-TODAY" in page
    response = client.post(
        reverse("frontdesk:parcel_hand_over", args=[parcel.pk]),
        {"pickup_code": parcel.pickup_code, "collected_by_name": "张三", "back": "today"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.HANDED_OVER and parcel.collected_by_name == "张三"
    assert "已交付" in response.content.decode() or "SF-TODAY" in response.content.decode()  # the toast names it


def test_an_unknown_pickup_code_says_so(client_as, cast):
    receive(cast)
    page = client_as("assistant").get(reverse("frontdesk:today", args=[cast.estate.pk]), {"code": "000000x"})
    assert 'id="pickup-none"' in page.content.decode()


def test_a_wrong_code_from_the_workbench_hands_nothing_over(client_as, cast, unchanged):
    parcel = receive(cast)
    wrong = "111111" if parcel.pickup_code != "111111" else "222222"
    client = client_as("assistant")
    with unchanged():
        response = client.post(
            reverse("frontdesk:parcel_hand_over", args=[parcel.pk]),
            {"pickup_code": wrong, "collected_by_name": "张三", "back": "today"},
        )
    assert response.status_code == 400
    assert Parcel.objects.get(pk=parcel.pk).status == Parcel.Status.WAITING


def test_the_workbench_is_the_desk_staffs_own(client_as, cast):
    url = reverse("frontdesk:today", args=[cast.estate.pk])
    assert client_as("outsider").get(url).status_code == 404
    assert client_as("owner").get(url).status_code == 404


def test_the_handover_is_offered_to_the_next_shift_not_to_its_writer(client_as, cast):
    handover = actions.write_handover(actor=cast.manager, estate=cast.estate, note="配电房钥匙未还")
    writer_page = client_as("manager").get(reverse("frontdesk:handovers", args=[cast.estate.pk])).content.decode()
    ack = reverse("frontdesk:handover_acknowledge", args=[handover.pk])
    assert ack not in writer_page
    client = client_as("assistant")
    assert ack in client.get(reverse("frontdesk:handovers", args=[cast.estate.pk])).content.decode()
    today = client.get(reverse("frontdesk:today", args=[cast.estate.pk])).content.decode()
    assert ack in today and "配电房钥匙未还" in today
    client.post(ack, {"back": "today"})
    assert Handover.objects.get(pk=handover.pk).acknowledged_by == cast.assistant
