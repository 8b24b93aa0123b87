"""The desk pages and the owner portal: each write through its form, and each bad input of
the issue refused with the message under the field it names and nothing changed."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from guanjia.core.errors import DomainError
from guanjia.frontdesk import actions, excel, passcodes, queries
from guanjia.frontdesk.models import (
    CustodyEvent,
    DoNotAdmit,
    Key,
    KeyAuthorization,
    KeyLoan,
    Parcel,
    Visit,
    VisitorPass,
)
from guanjia.notifications.models import Notification

pytestmark = pytest.mark.django_db


def field_errors(response, field: str) -> list[str]:
    form = None
    for name in (
        "form",
        "parcel_form",
        "item_form",
        "lend_form",
        "authorization_form",
        "mark_form",
        "walk_in_form",
        "admit_form",
        "handover_form",
    ):
        candidate = response.context.get(name) if response.context else None
        if candidate is not None and candidate.errors.get(field):
            form = candidate
            break
    return list(form.errors[field]) if form is not None else []


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


def due(hours: int = 3) -> str:
    return (timezone.localtime() + datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_check_in_tells_the_owner_the_code_and_the_portal_shows_it(client_as, cast):
    desk = client_as("assistant")
    response = desk.post(
        reverse("frontdesk:parcel_receive", args=[cast.estate.pk]),
        {
            "tracking_number": "sf-page-1",
            "courier": "顺丰",
            "unit_code": "1-1-1201",
            "recipient_name": "张三",
            "shelf": "B1",
        },
    )
    assert response.status_code == 302
    parcel = Parcel.objects.get()
    assert parcel.tracking_number == "SF-PAGE-1" and parcel.unit == cast.unit_a
    note = Notification.objects.get(recipient=cast.owner)
    assert parcel.pickup_code in note.subject
    listing = desk.get(reverse("frontdesk:parcels", args=[cast.estate.pk])).content.decode()
    assert "SF-PAGE-1" in listing and parcel.pickup_code not in listing
    portal = client_as("owner").get(reverse("frontdesk:my_parcels")).content.decode()
    assert parcel.pickup_code in portal


def test_a_tracking_number_checked_in_twice_is_refused_on_the_page(client_as, cast, unchanged):
    desk = client_as("assistant")
    url = reverse("frontdesk:parcel_receive", args=[cast.estate.pk])
    body = {"tracking_number": "YT0001", "unit_code": "1-1-1201", "recipient_name": "张三", "shelf": "B1"}
    assert desk.post(url, body).status_code == 302
    with unchanged():
        again = desk.post(url, {**body, "tracking_number": "yt0001", "unit_code": "2-1-0801"})
        assert again.status_code == 400
        assert "YT0001" in field_errors(again, "tracking_number")[0]


def test_an_unknown_unit_code_is_refused_under_its_field(client_as, cast, unchanged):
    with unchanged():
        response = client_as("assistant").post(
            reverse("frontdesk:parcel_receive", args=[cast.estate.pk]),
            {"tracking_number": "YT0002", "unit_code": "9-9-9999", "recipient_name": "张三", "shelf": "B1"},
        )
        assert response.status_code == 400 and field_errors(response, "unit_code")


def test_bulk_scan_adds_a_row_per_enter_and_a_refused_row_for_a_duplicate(client_as, cast, unchanged):
    desk = client_as("assistant")
    url = reverse("frontdesk:parcel_scan", args=[cast.estate.pk])
    for number in ("JD001", "JD002"):
        row = desk.post(
            url, {"unit_code": "2-1-0801", "shelf": "B4", "tracking_number": number}, HTTP_HX_REQUEST="true"
        )
        assert row.status_code == 200 and "scan-ok" in row.content.decode() and number in row.content.decode()
    assert list(Parcel.objects.order_by("pk").values_list("tracking_number", "recipient_name", "shelf")) == [
        ("JD001", "李四", "B4"),
        ("JD002", "李四", "B4"),
    ]
    with unchanged():
        refused = desk.post(
            url, {"unit_code": "2-1-0801", "shelf": "B4", "tracking_number": "jd001"}, HTTP_HX_REQUEST="true"
        )
        assert "scan-refused" in refused.content.decode() and "JD001" in refused.content.decode()


def test_an_entrusted_item_is_left_and_collected_with_its_code(client_as, cast):
    desk = client_as("assistant")
    response = desk.post(
        reverse("frontdesk:item_receive", args=[cast.estate.pk]),
        {
            "left_by": "张母",
            "left_by_phone": "13900005555",
            "description": "一袋水果",
            "unit_code": "1-1-1201",
            "recipient_name": "张三",
            "shelf": "C1",
        },
    )
    assert response.status_code == 302
    item = Parcel.objects.get()
    assert item.kind == Parcel.Kind.ITEM and item.description == "一袋水果"
    handed = desk.post(
        reverse("frontdesk:parcel_hand_over", args=[item.pk]),
        {"pickup_code": item.pickup_code, "collected_by_name": "张三的女儿"},
    )
    assert handed.status_code == 302
    item.refresh_from_db()
    assert item.status == Parcel.Status.HANDED_OVER and item.collected_by_name == "张三的女儿"


def test_an_item_without_a_depositor_is_refused(client_as, cast, unchanged):
    with unchanged():
        response = client_as("assistant").post(
            reverse("frontdesk:item_receive", args=[cast.estate.pk]),
            {
                "left_by": " ",
                "description": "一袋水果",
                "unit_code": "1-1-1201",
                "recipient_name": "张三",
                "shelf": "C1",
            },
        )
        assert response.status_code == 400 and field_errors(response, "left_by")


@pytest.mark.parametrize("code", ["wrong", "reused"])
def test_a_wrong_or_reused_pickup_code_is_refused_on_the_page(client_as, cast, unchanged, code):
    parcel = actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B2", tracking_number="SF777"
    )
    desk = client_as("assistant")
    url = reverse("frontdesk:parcel_hand_over", args=[parcel.pk])
    if code == "reused":
        desk.post(url, {"pickup_code": parcel.pickup_code, "collected_by_name": "张三"})
        sent = parcel.pickup_code
    else:
        sent = "000000" if parcel.pickup_code != "000000" else "111111"
    with unchanged():
        response = desk.post(url, {"pickup_code": sent, "collected_by_name": "张三"})
        assert response.status_code == 400
        assert field_errors(response, "pickup_code")


def test_key_lending_through_the_pages(client_as, cast, key):
    desk = client_as("assistant")
    lent = desk.post(
        reverse("frontdesk:key_lend", args=[key.pk]),
        {"borrower_name": "王阿姨", "borrower_phone": "139 0000 1111", "due_at": due()},
    )
    assert lent.status_code == 302
    page = desk.get(reverse("frontdesk:key", args=[key.pk])).content.decode()
    assert "王阿姨" in page
    assert desk.post(reverse("frontdesk:key_return", args=[key.pk])).status_code == 302
    assert KeyLoan.objects.get().returned_at is not None
    actions_seen = set(CustodyEvent.objects.filter(key=key).values_list("action", flat=True))
    assert {"key_lent", "key_returned"} <= actions_seen


@pytest.mark.parametrize("name,phone", [("陌生人", "13900001111"), ("王阿姨", "13900002222")])
def test_lending_to_someone_not_authorized_is_refused_on_the_page(client_as, cast, key, unchanged, name, phone):
    with unchanged():
        response = client_as("assistant").post(
            reverse("frontdesk:key_lend", args=[key.pk]),
            {"borrower_name": name, "borrower_phone": phone, "due_at": due()},
        )
        assert response.status_code == 400 and field_errors(response, "borrower_name")


def test_lending_a_key_already_out_is_refused_on_the_page(client_as, cast, key, unchanged):
    body = {"borrower_name": "王阿姨", "borrower_phone": "13900001111", "due_at": due()}
    client_as("assistant").post(reverse("frontdesk:key_lend", args=[key.pk]), body)
    with unchanged():
        response = client_as("butler").post(reverse("frontdesk:key_lend", args=[key.pk]), body)
        assert response.status_code == 400
        assert response.context["lend_form"].non_field_errors()  # the field "key" is not on the form


def test_returning_a_key_that_is_not_out_is_refused_on_the_page(client_as, cast, key, unchanged):
    with unchanged():
        response = client_as("assistant").post(reverse("frontdesk:key_return", args=[key.pk]))
        assert response.status_code == 400 and response.context["return_error"]


def test_a_lent_key_reported_lost_ends_the_loan(client_as, cast, key):
    desk = client_as("assistant")
    desk.post(
        reverse("frontdesk:key_lend", args=[key.pk]),
        {"borrower_name": "王阿姨", "borrower_phone": "13900001111", "due_at": due()},
    )
    assert (
        desk.post(reverse("frontdesk:key_mark", args=[key.pk]), {"status": "lost", "note": "丢了"}).status_code == 302
    )
    key.refresh_from_db()
    assert key.status == Key.Status.LOST
    assert KeyLoan.objects.get().returned_at is not None
    assert CustodyEvent.objects.filter(key=key, action="key_lost", counterpart="王阿姨").exists()


def test_registering_keys_unit_vacant_and_facility(client_as, cast, unchanged):
    desk = client_as("assistant")
    url = reverse("frontdesk:key_register", args=[cast.estate.pk])
    assert desk.post(url, {"kind": "vacant", "tag": "V-1", "slot": "D1", "unit_code": "2-1-0801"}).status_code == 302
    assert desk.post(url, {"kind": "facility", "tag": "F-1", "slot": "D2", "facility": "水泵房"}).status_code == 302
    assert set(Key.objects.values_list("tag", "kind")) == {("V-1", "vacant"), ("F-1", "facility")}
    with unchanged():
        missing_unit = desk.post(url, {"kind": "unit", "tag": "K-2", "slot": "D3"})
        assert missing_unit.status_code == 400 and field_errors(missing_unit, "unit_code")
        twice = desk.post(url, {"kind": "facility", "tag": "F-1", "slot": "D2", "facility": "水泵房"})
        assert twice.status_code == 400 and field_errors(twice, "tag")


def visitor_pass(cast, **overrides):
    now = timezone.now()
    values = {
        "person": cast.owner_person,
        "unit": cast.unit_a,
        "visitor_name": "刘医生",
        "kind": VisitorPass.Kind.ONE_TIME,
        "valid_from": now - datetime.timedelta(minutes=5),
        "valid_until": now + datetime.timedelta(hours=2),
    }
    return actions.issue_visitor_pass(**{**values, **overrides})


def test_owner_issues_a_pass_shown_as_a_qr_code_and_the_desk_admits_it_once(client_as, cast, unchanged):
    owner = client_as("owner")
    now = timezone.localtime()
    issued = owner.post(
        reverse("frontdesk:my_pass_issue"),
        {
            "unit": cast.unit_a.pk,
            "visitor_name": "刘医生",
            "kind": "one_time",
            "valid_from": now.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (now + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert issued.status_code == 302
    visitor_pass = VisitorPass.objects.get()
    shown = owner.get(issued.url).content.decode()
    code_shown = passcodes.grouped(visitor_pass.code)  # the short code beside the QR, not the long token
    assert "<svg" in shown and code_shown in shown and "http" not in shown.split("<svg", 1)[1][:200]
    desk = client_as("assistant")
    url = reverse("frontdesk:visitor_admit", args=[cast.estate.pk])
    assert desk.post(url, {"token": visitor_pass.token}).status_code == 302
    with unchanged():
        again = desk.post(url, {"token": visitor_pass.token})
        assert again.status_code == 400 and field_errors(again, "token")


@pytest.mark.parametrize("case", ["expired", "foreign", "withdrawn"])
def test_an_expired_foreign_or_withdrawn_pass_is_refused_on_the_page(client, cast, unchanged, case):
    issued = visitor_pass_for(cast, case)
    client.force_login(cast.outsider if case == "foreign" else cast.assistant)
    estate = cast.other_estate if case == "foreign" else cast.estate
    with unchanged():
        response = client.post(reverse("frontdesk:visitor_admit", args=[estate.pk]), {"token": issued.token})
        assert response.status_code == 400 and field_errors(response, "token")


def visitor_pass_for(cast, case: str):
    issued = visitor_pass(cast, kind=VisitorPass.Kind.RECURRING)
    if case == "expired":
        VisitorPass.objects.filter(pk=issued.pk).update(valid_until=timezone.now() - datetime.timedelta(minutes=1))
    elif case == "withdrawn":
        actions.revoke_visitor_pass(person=cast.owner_person, visitor_pass=issued)
    return issued


def test_an_owner_pass_that_ends_before_it_starts_is_refused(client_as, cast, unchanged):
    now = timezone.localtime()
    with unchanged():
        response = client_as("owner").post(
            reverse("frontdesk:my_pass_issue"),
            {
                "unit": cast.unit_a.pk,
                "visitor_name": "刘医生",
                "kind": "one_time",
                "valid_from": (now + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                "valid_until": (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            },
        )
        assert response.status_code == 400 and field_errors(response, "valid_until")


def test_owner_do_not_admit_stops_a_walk_in_at_the_desk(client_as, cast, unchanged):
    owner = client_as("owner")
    assert (
        owner.post(reverse("frontdesk:my_instruction_add"), {"unit": cast.unit_a.pk, "name": "赵某"}).status_code == 302
    )
    desk = client_as("assistant")
    visitors = desk.get(reverse("frontdesk:visitors", args=[cast.estate.pk])).content.decode()
    assert "赵某" in visitors
    with unchanged():
        refused = desk.post(
            reverse("frontdesk:visitor_check_in", args=[cast.estate.pk]),
            {"visitor_name": "赵某", "unit_code": "1-1-1201"},
        )
        assert refused.status_code == 400 and field_errors(refused, "visitor_name")
    instruction = DoNotAdmit.objects.get()
    assert client_as("owner").post(reverse("frontdesk:my_instruction_lift", args=[instruction.pk])).status_code == 302
    admitted = client_as("assistant").post(
        reverse("frontdesk:visitor_check_in", args=[cast.estate.pk]), {"visitor_name": "赵某", "unit_code": "1-1-1201"}
    )
    assert admitted.status_code == 302
    visit = Visit.objects.get()
    assert client_as("assistant").post(reverse("frontdesk:visitor_check_out", args=[visit.pk])).status_code == 302
    with unchanged():
        twice = client_as("assistant").post(reverse("frontdesk:visitor_check_out", args=[visit.pk]))
    assert twice.status_code == 400


def test_owner_views_adds_edits_and_revokes_authorizations(client_as, cast, key, unchanged):
    owner = client_as("owner")
    page = owner.get(reverse("frontdesk:my_keys")).content.decode()
    assert "K-1201" in page and "王阿姨" in page
    until = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    body = {"borrower_name": "小陈", "borrower_phone": "13700001111", "purpose": "修空调", "valid_until": until}
    assert owner.post(reverse("frontdesk:my_authorization_add", args=[key.pk]), body).status_code == 302
    added = KeyAuthorization.objects.get(borrower_name="小陈")
    assert added.granted_by == cast.owner_person
    edited = owner.post(reverse("frontdesk:my_authorization_edit", args=[added.pk]), {**body, "purpose": "修热水器"})
    assert edited.status_code == 302
    added.refresh_from_db()
    assert added.purpose == "修热水器"
    with unchanged():
        past = owner.post(
            reverse("frontdesk:my_authorization_edit", args=[added.pk]), {**body, "valid_until": "2020-01-01"}
        )
        assert past.status_code == 400 and field_errors(past, "valid_until")
        bad_phone = owner.post(
            reverse("frontdesk:my_authorization_add", args=[key.pk]), {**body, "borrower_phone": "12"}
        )
        assert bad_phone.status_code == 400 and field_errors(bad_phone, "borrower_phone")
    assert owner.post(reverse("frontdesk:my_authorization_revoke", args=[added.pk])).status_code == 302
    # A revoked authorization no longer lets 小陈 borrow the key.
    with pytest.raises(DomainError):
        actions.lend_key(
            actor=cast.assistant,
            key=key,
            borrower_name="小陈",
            borrower_phone="13700001111",
            due_at=timezone.now() + datetime.timedelta(hours=1),
        )


def test_handover_page_lists_open_items_and_the_next_shift_acknowledges(client_as, cast):
    from guanjia.servicedesk.actions import receive_request

    actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_b, recipient_name="李四", shelf="B9", tracking_number="EMS1"
    )
    receive_request(
        actor=cast.assistant,
        estate=cast.estate,
        kind="repair_in_unit",
        channel="phone",
        title="卫生间漏水",
        unit=cast.unit_a,
        person=cast.owner_person,
    )
    desk = client_as("assistant")
    page = desk.get(reverse("frontdesk:handovers", args=[cast.estate.pk])).content.decode()
    assert "2-1-0801" in page and "B9" in page and "卫生间漏水" in page
    assert desk.post(reverse("frontdesk:handover_write", args=[cast.estate.pk]), {"note": "交班"}).status_code == 302
    from guanjia.frontdesk.models import Handover

    handover = Handover.objects.get()
    assert [item["title"] for item in handover.open_items["requests_open"]] == ["卫生间漏水"]
    own = desk.post(reverse("frontdesk:handover_acknowledge", args=[handover.pk]))
    assert own.status_code == 400
    assert client_as("butler").post(reverse("frontdesk:handover_acknowledge", args=[handover.pk])).status_code == 302
    # The next shift's open requests are only those received after this handover.
    assert queries.open_items(cast.estate.pk)["requests_open"] == []


def test_custody_log_filters_by_unit_and_kind(client_as, cast, key):
    actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_b, recipient_name="李四", shelf="B9", tracking_number="EMS2"
    )
    desk = client_as("assistant")
    url = reverse("frontdesk:events", args=[cast.estate.pk])
    everything = desk.get(url).content.decode()
    assert "K-1201" in everything and "EMS2" in everything
    only_b = desk.get(url, {"unit": "2-1-0801"}).content.decode()
    assert "EMS2" in only_b and "K-1201" not in only_b
    only_keys = desk.get(url, {"kind": "key"}).content.decode()
    assert "K-1201" in only_keys and "EMS2" not in only_keys
    unknown = desk.get(url, {"unit": "9-9-9"})
    assert unknown.status_code == 400


def test_desk_search_shows_what_the_desk_holds_for_each_unit(client_as, cast, key):
    actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B1", tracking_number="SF1"
    )
    actions.add_do_not_admit(person=cast.owner_person, unit=cast.unit_a, name="赵某")
    response = client_as("assistant").get(reverse("frontdesk:search", args=[cast.estate.pk]), {"q": "zs"})
    hit = response.context["hits"][0]
    assert (hit.unit, hit.people, hit.parcels, hit.keys, hit.instructions) == (cast.unit_a, ["张三"], 1, 1, ["赵某"])
    fragment = client_as("assistant").get(
        reverse("frontdesk:search", args=[cast.estate.pk]), {"q": "1-1-1201"}, HTTP_HX_REQUEST="true"
    )
    assert "<h1>" not in fragment.content.decode() and "1-1-1201" in fragment.content.decode()


def test_visitor_log_exported_to_xlsx_and_read_back(client_as, cast):
    walk_in = actions.check_in_visitor(
        actor=cast.assistant, unit=cast.unit_a, visitor_name="钱某", visitor_phone="13911112222", purpose="送货"
    )
    actions.check_out_visitor(actor=cast.assistant, visit=walk_in)
    with_pass = visitor_pass(cast)
    actions.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=with_pass.token)
    actions.check_in_visitor(actor=cast.outsider, unit=cast.other_unit, visitor_name="外区访客")
    today = timezone.localdate().isoformat()
    response = client_as("assistant").get(
        reverse("frontdesk:visitor_export", args=[cast.estate.pk]), {"from": today, "to": today}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content))[excel.SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == excel.COLUMNS
    assert len(rows) == 3  # the other estate's visitor is not in this log
    first, second = (dict(zip(excel.COLUMNS, row, strict=True)) for row in rows[1:])
    assert first[excel.VISITOR] == "钱某" and first[excel.UNIT] == "1-1-1201" and first[excel.PURPOSE] == "送货"
    assert first[excel.PHONE] == "139****2222" and first[excel.HOW] == excel.WALK_IN
    assert first[excel.CLERK] == str(cast.assistant)
    local_in = timezone.localtime(walk_in.checked_in_at).replace(tzinfo=None, microsecond=0)
    assert first[excel.CHECKED_IN].replace(microsecond=0) == local_in
    assert isinstance(first[excel.CHECKED_OUT], datetime.datetime)
    assert second[excel.VISITOR] == "刘医生" and second[excel.HOW] == excel.WITH_PASS
    assert second[excel.CHECKED_OUT] is None
    # A day with no visits: the header alone.
    empty = client_as("assistant").get(
        reverse("frontdesk:visitor_export", args=[cast.estate.pk]), {"from": "2020-01-01", "to": "2020-01-01"}
    )
    assert len(list(load_workbook(io.BytesIO(empty.content))[excel.SHEET].iter_rows())) == 1


def test_desk_search_sends_the_same_queries_for_one_unit_or_many(cast, django_assert_max_num_queries):
    from guanjia.frontdesk.queries import desk_search
    from guanjia.people.tests.factories import PersonFactory, ResidencyFactory

    now = timezone.now()
    with django_assert_max_num_queries(6):
        one = desk_search(cast.estate.pk, "zs", now)
    for number in ("1101", "1102", "1103"):
        unit = cast.unit_a.__class__.objects.create(
            estate=cast.estate,
            building=cast.unit_a.building,
            zone=cast.zone_a,
            entrance="1",
            number=number,
            code=f"1-1-{number}",
            floor=11,
            area=cast.unit_a.area,
            house_type=cast.unit_a.house_type,
        )
        ResidencyFactory(person=PersonFactory(estate=cast.estate, name="张山"), unit=unit)
        actions.receive_parcel(
            actor=cast.assistant, unit=unit, recipient_name="张山", shelf="B1", tracking_number=f"T{number}"
        )
    with django_assert_max_num_queries(6):
        many = desk_search(cast.estate.pk, "zs", now)
    assert len(one) == 1 and len(many) == 4
    assert [hit.parcels for hit in many] == [1, 1, 1, 0]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_a_visitor_name_that_looks_like_a_formula_is_exported_as_text(client_as, cast, name):
    actions.check_in_visitor(actor=cast.assistant, unit=cast.unit_a, visitor_name=name, purpose="=1+1")
    today = timezone.localdate().isoformat()
    response = client_as("assistant").get(
        reverse("frontdesk:visitor_export", args=[cast.estate.pk]), {"from": today, "to": today}
    )
    sheet = load_workbook(io.BytesIO(response.content))[excel.SHEET]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    # The check-in keeps the name as typed, less the surrounding spaces.
    assert (sheet["A2"].value, sheet["D2"].value) == (name.strip(), "=1+1")
