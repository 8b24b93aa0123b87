"""The front desk's smaller defects found when the pages were tried as each post uses them."""

import datetime

from django.urls import reverse
from django.utils import timezone

from guanjia.core import display
from guanjia.frontdesk import actions
from guanjia.frontdesk.models import Key


def facility_key(cast, tag: str = "K-DEF") -> Key:
    return actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.FACILITY, tag=tag, slot="A1", facility="配电房"
    )


def lend(cast, key: Key):
    due = (timezone.now() + datetime.timedelta(hours=3)).replace(second=0, microsecond=0)
    return actions.lend_key(
        actor=cast.assistant, key=key, borrower_name="老王", borrower_phone="13800001111", due_at=due
    )


def test_the_handover_shows_key_due_times_in_shanghai_time(client_as, cast):
    loan = lend(cast, facility_key(cast))
    actions.write_handover(actor=cast.manager, estate=cast.estate, note="钥匙未还")
    body = client_as("assistant").get(reverse("frontdesk:handovers", args=[cast.estate.pk])).content.decode()
    shown = display.when(loan.due_at)  # 2026-12-01 17:12, Asia/Shanghai
    assert body.count(shown) >= 2  # the open items now and those stored with the note
    utc = loan.due_at.astimezone(datetime.UTC)
    assert utc.strftime("%Y-%m-%d%H:%M") not in body and utc.isoformat()[:16] not in body


def test_the_desk_search_by_unit_code_lists_its_residents(client_as, cast):
    response = client_as("assistant").get(reverse("frontdesk:search", args=[cast.estate.pk]), {"q": "1-1-1201"})
    hit = response.context["hits"][0]
    assert hit.unit == cast.unit_a and hit.people == ["张三"]
    assert '<td class="residents">张三</td>' in response.content.decode()


def test_a_lent_key_offers_return_not_lend(client_as, cast):
    key = facility_key(cast)
    client = client_as("assistant")
    page = client.get(reverse("frontdesk:key", args=[key.pk])).content.decode()
    assert 'id="lend-form"' in page and reverse("frontdesk:key_return", args=[key.pk]) not in page
    lend(cast, key)
    page = client.get(reverse("frontdesk:key", args=[key.pk])).content.decode()
    assert 'id="lend-form"' not in page and reverse("frontdesk:key_return", args=[key.pk]) in page


def test_a_lost_key_offers_neither_lend_nor_another_report(client_as, cast):
    key = facility_key(cast)
    actions.mark_key(actor=cast.assistant, key=key, status=Key.Status.LOST)
    page = client_as("assistant").get(reverse("frontdesk:key", args=[key.pk])).content.decode()
    assert 'id="lend-form"' not in page and 'id="mark-form"' not in page


def test_reporting_a_key_lost_and_revoking_ask_first_naming_the_thing(client_as, cast):
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-UNIT", slot="A2", unit=cast.unit_a
    )
    actions.authorize_borrower(
        actor=cast.assistant,
        key=key,
        borrower_name="李保姆",
        borrower_phone="13900002222",
        purpose="打扫",
        valid_until=timezone.localdate() + datetime.timedelta(days=5),
    )
    page = client_as("assistant").get(reverse("frontdesk:key", args=[key.pk])).content.decode()
    assert 'data-confirm="挂失或报损钥匙 K-UNIT？"' in page
    assert 'data-confirm="撤销李保姆借用钥匙 K-UNIT 的授权？"' in page


def test_each_desk_action_ends_with_a_message(client_as, cast):
    key = facility_key(cast)
    client = client_as("assistant")
    due = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(
        reverse("frontdesk:key_lend", args=[key.pk]),
        {"borrower_name": "老王", "borrower_phone": "13800001111", "due_at": due},
        follow=True,
    )
    assert "gj-toast" in page.content.decode() and "已借出 K-DEF" in page.content.decode()
    page = client.post(reverse("frontdesk:key_return", args=[key.pk]), follow=True)
    assert "K-DEF" in page.content.decode().split("gj-toasts")[1]
    page = client.post(
        reverse("frontdesk:visitor_check_in", args=[cast.estate.pk]),
        {"unit_code": "1-1-1201", "visitor_name": "来访乙", "purpose": "送货"},
        follow=True,
    )
    assert "来访乙" in page.content.decode().split("gj-toasts")[1]


def test_the_owner_is_asked_before_revoking_and_told_after(client_as, cast):
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-MINE", slot="A3", unit=cast.unit_a
    )
    authorization = actions.authorize_borrower(
        actor=cast.assistant,
        key=key,
        borrower_name="李保姆",
        borrower_phone="13900002222",
        purpose="打扫",
        valid_until=timezone.localdate() + datetime.timedelta(days=5),
    )
    client = client_as("owner")
    page = client.get(reverse("frontdesk:my_keys")).content.decode()
    assert 'data-confirm="撤销李保姆借用钥匙 K-MINE 的授权？"' in page
    page = client.post(reverse("frontdesk:my_authorization_revoke", args=[authorization.pk]), follow=True)
    assert "已撤销李保姆的借钥匙授权" in page.content.decode()
