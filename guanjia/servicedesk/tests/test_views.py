"""The service desk pages: intake, lists, the request page and its forms, service levels,
complaints and the owner portal — with the bad input the issue names."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from guanjia.core.errors import DomainError
from guanjia.core.roles import Post
from guanjia.notifications.models import Notification
from guanjia.servicedesk import actions
from guanjia.servicedesk.models import RequestEvent, RequestPhoto, ReturnVisit, ServiceLevel, ServiceRequest
from guanjia.servicedesk.tests.factories import image_bytes, photo_upload, receive, staff, walk

S = ServiceRequest.Status
MB = 1024 * 1024


def page_text(response) -> str:
    return response.content.decode()


# --- intake -----------------------------------------------------------------------------------


def test_intake_finds_the_caller_by_phone_tail_and_shows_their_open_requests(client_as, cast):
    earlier = receive(cast, title="阳台漏水")
    client = client_as("assistant")
    url = reverse("servicedesk:intake", args=[cast.estate.pk])
    found = client.get(url, {"q": "1234"})
    assert found.status_code == 200 and f"?person={cast.owner_person.pk}" in page_text(found)
    picked = client.get(url, {"person": cast.owner_person.pk})
    text = page_text(picked)
    assert "张三" in text and earlier.title in text
    assert 'value="1-1-1201"' in text  # the caller's unit is filled in
    assert "13812341234" not in text  # the phone stays masked


def test_intake_by_unit_lists_its_residents(client_as, cast):
    client = client_as("assistant")
    url = reverse("servicedesk:intake", args=[cast.estate.pk])
    assert f"?unit_id={cast.unit_b.pk}" in page_text(client.get(url, {"q": "2-1-0801"}))
    assert "李四" in page_text(client.get(url, {"unit_id": cast.unit_b.pk}))


def test_intake_records_a_request_in_a_few_fields(client_as, cast):
    client = client_as("assistant")
    url = reverse("servicedesk:intake", args=[cast.estate.pk])
    response = client.post(
        f"{url}?person={cast.owner_person.pk}",
        {
            "kind": "repair_in_unit",
            "channel": "phone",
            "priority": "urgent",
            "unit": "1-1-1201",
            "description": "厨房水龙头漏水\n下午在家",
            "person": cast.owner_person.pk,
        },
    )
    created = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("servicedesk:request", args=[created.pk])
    assert (created.title, created.unit, created.person, created.first_responder, created.priority) == (
        "厨房水龙头漏水",
        cast.unit_a,
        cast.owner_person,
        cast.assistant,
        "urgent",
    )


@pytest.mark.parametrize(
    "values,message",
    [
        ({"unit": "9-9-9999"}, "没有该编号的房屋"),
        ({"unit": ""}, "须选择房屋"),  # an in-unit repair without its unit
        ({"person": "stranger"}, "本小区"),  # an owner of another estate
        ({"kind": "plumbing"}, "kind"),
        ({"description": ""}, "description"),
    ],
)
def test_bad_intake_shows_the_message_and_saves_nothing(client_as, cast, unchanged, values, message):
    data = {
        "kind": "repair_in_unit",
        "channel": "phone",
        "priority": "normal",
        "unit": "1-1-1201",
        "description": "漏水",
    }
    if values.get("person") == "stranger":
        values = {"person": cast.stranger.pk}
    data.update(values)
    client = client_as("assistant")
    with unchanged():
        response = client.post(reverse("servicedesk:intake", args=[cast.estate.pk]), data)
        assert response.status_code == 400
        assert "errorlist" in page_text(response)
        if message not in ("kind", "description"):
            assert message in page_text(response)


# --- lists ------------------------------------------------------------------------------------


def test_my_loops_my_work_and_the_board(client_as, cast):
    mine = receive(cast, title="电梯异响")
    actions.assign_request(actor=cast.assistant, service_request=mine, assignee=cast.butler)
    closed = walk(cast, receive(cast, title="已经关闭的"), "closed")
    loops = page_text(client_as("assistant").get(reverse("servicedesk:my_loops", args=[cast.estate.pk])))
    assert "电梯异响" in loops and closed.title not in loops
    work = page_text(client_as("butler").get(reverse("servicedesk:my_work", args=[cast.estate.pk])))
    assert "电梯异响" in work
    board = page_text(client_as("head_butler").get(reverse("servicedesk:board", args=[cast.estate.pk])))
    assert "电梯异响" in board and closed.title not in board


def test_the_board_puts_overdue_requests_first(client_as, cast):
    import datetime as dt

    from django.utils import timezone

    fresh = receive(cast, title="新报修", now=timezone.now())
    late = receive(cast, title="超时报修", now=timezone.now() - dt.timedelta(days=3))
    text = page_text(client_as("head_butler").get(reverse("servicedesk:board", args=[cast.estate.pk])))
    assert text.index(late.title) < text.index(fresh.title)
    assert "sd-overdue" in text


# --- the request page -------------------------------------------------------------------------


def post_action(client, service_request, action, data=None):
    service_request.refresh_from_db()
    payload = {f"{action}-version": service_request.version}
    payload.update({f"{action}-{key}": value for key, value in (data or {}).items()})
    return client.post(reverse("servicedesk:request_action", args=[service_request.pk, action]), payload)


def test_the_request_page_offers_only_what_the_table_allows(client_as, cast):
    service_request = receive(cast)
    text = page_text(client_as("assistant").get(reverse("servicedesk:request", args=[service_request.pk])))
    assert 'id="action-assign"' in text and 'id="action-cancel"' in text
    assert 'id="action-resolve"' not in text and 'id="action-close"' not in text
    # Finance cannot see the request at all; the head butler sees it and may act.
    assert client_as("finance").get(reverse("servicedesk:request", args=[service_request.pk])).status_code == 404


def test_the_whole_loop_through_the_page_forms(client_as, cast):
    service_request = receive(cast)
    assistant = client_as("assistant")
    assert (
        post_action(assistant, service_request, "assign", {"assignee": cast.butler.pk, "note": "请尽快"}).status_code
        == 302
    )
    butler = client_as("butler")
    assert post_action(butler, service_request, "start").status_code == 302
    assert post_action(butler, service_request, "wait_owner", {"note": "业主不在家"}).status_code == 302
    assert post_action(butler, service_request, "resume").status_code == 302
    assert post_action(butler, service_request, "resolve", {"note": "换了阀门"}).status_code == 302
    visit = {"how": "phone", "satisfaction": "5", "solved": "on"}
    assert post_action(butler, service_request, "return_visit", visit).status_code == 302
    assert post_action(butler, service_request, "close").status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == S.CLOSED
    text = page_text(butler.get(reverse("servicedesk:request", args=[service_request.pk])))
    assert "换了阀门" in text and "请尽快" in text and "5/5" in text
    assert RequestEvent.objects.filter(request=service_request).count() == 8


def test_a_transition_the_table_refuses_is_a_message_not_a_change(client_as, cast, unchanged):
    service_request = receive(cast)
    client = client_as("assistant")
    with unchanged():
        response = post_action(client, service_request, "resolve")
        assert response.status_code == 400
        assert "不能" in page_text(response)


def test_someone_elses_change_meanwhile_says_the_request_changed(client_as, cast, unchanged):
    service_request = receive(cast)
    seen = service_request.version
    actions.assign_request(actor=cast.head_butler, service_request=service_request, assignee=cast.butler)
    client = client_as("assistant")
    with unchanged():
        response = client.post(
            reverse("servicedesk:request_action", args=[service_request.pk, "cancel"]),
            {"cancel-version": seen, "cancel-reason": "业主撤回"},
        )
        assert response.status_code == 409
        assert "工单已被他人修改" in page_text(response)


def test_a_rating_out_of_range_is_refused(client_as, cast, unchanged):
    service_request = walk(cast, receive(cast), "resolved")
    client = client_as("butler")
    with unchanged():
        response = post_action(client, service_request, "return_visit", {"how": "phone", "satisfaction": "7"})
        assert response.status_code == 400 and "满意度须为1到5的整数" in page_text(response)


def test_an_unsatisfied_return_visit_needs_the_owner_words(client_as, cast):
    service_request = walk(cast, receive(cast), "resolved")
    butler = client_as("butler")
    response = post_action(butler, service_request, "return_visit", {"how": "phone", "satisfaction": "2"})
    assert response.status_code == 400
    response = post_action(
        butler, service_request, "return_visit", {"how": "phone", "satisfaction": "2", "owner_words": "还在漏"}
    )
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == S.ASSIGNED and service_request.assignee == cast.butler


def test_someone_who_may_only_look_cannot_act(client_as, cast, unchanged):
    service_request = receive(cast, unit=cast.unit_b, person=cast.neighbour)  # zone B: not the butler's zone
    client = client_as("butler")
    with unchanged():
        response = post_action(client, service_request, "cancel", {"reason": "x"})
        assert response.status_code == 404
        assert client.get(reverse("servicedesk:request", args=[service_request.pk])).status_code == 200


def test_an_unknown_action_is_not_found(client_as, cast):
    service_request = receive(cast)
    assert post_action(client_as("assistant"), service_request, "explode").status_code == 404


def test_complaint_classification_on_the_page(client_as, cast):
    service_request = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None)
    url = reverse("servicedesk:classify", args=[service_request.pk])
    response = client_as("head_butler").post(url, {"category": "noise", "validity": "valid", "department": ""})
    assert response.status_code == 302
    service_request.complaint.refresh_from_db()
    assert (service_request.complaint.category, service_request.complaint.validity) == ("noise", "valid")
    assert client_as("assistant").post(url, {"category": "fees", "validity": "valid"}).status_code == 404


# --- photos through the pages -----------------------------------------------------------------


def test_photos_through_the_request_page(client_as, cast, unchanged):
    service_request = receive(cast)
    client = client_as("assistant")
    url = reverse("servicedesk:add_photo", args=[service_request.pk])
    assert client.post(url, {"photo": photo_upload("leak.jpg", "JPEG")}).status_code == 302
    photo = RequestPhoto.objects.get()
    shown = client.get(reverse("servicedesk:photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown["X-Content-Type-Options"] == "nosniff"
    with unchanged():
        exe = SimpleUploadedFile("leak.jpg", b"MZ\x90\x00" + b"\x00" * 300)
        response = client.post(url, {"photo": exe})
        assert response.status_code == 400 and "JPEG" in page_text(response)
        big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (30 * MB))
        response = client.post(url, {"photo": big})
        assert response.status_code == 400 and "30.0" in page_text(response)
    assert client_as("outsider").get(reverse("servicedesk:photo", args=[photo.pk])).status_code == 404


def test_the_request_page_shows_thumbnails_linking_the_full_photo(client_as, cast):
    service_request = receive(cast)
    client = client_as("assistant")
    big = SimpleUploadedFile("leak.png", image_bytes("PNG", size=(2000, 1000)))
    assert client.post(reverse("servicedesk:add_photo", args=[service_request.pk]), {"photo": big}).status_code == 302
    url = reverse("servicedesk:photo", args=[RequestPhoto.objects.get().pk])
    page = client.get(reverse("servicedesk:request", args=[service_request.pk])).content.decode()
    assert f'href="{url}"' in page and f'src="{url}?size=thumb"' in page
    thumbnail = client.get(url, {"size": "thumb"})
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).size == (480, 240)
    assert client_as("outsider").get(url, {"size": "thumb"}).status_code == 404


# --- notifications ----------------------------------------------------------------------------


def test_assignment_and_resolution_notify_the_assignee_and_the_owner(cast, django_capture_on_commit_callbacks):
    service_request = receive(cast)
    actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.butler)
    note = Notification.objects.get(recipient=cast.butler)
    assert str(service_request.pk) in note.subject and note.link == reverse(
        "servicedesk:request", args=[service_request.pk]
    )
    actions.start_work(actor=cast.butler, service_request=service_request)
    actions.resolve_request(actor=cast.butler, service_request=service_request)
    owner_note = Notification.objects.get(recipient=cast.owner)
    assert owner_note.link == reverse("servicedesk:portal_request", args=[service_request.pk])
    # Assigning to oneself tells nobody; a caller without a login is not notified.
    other = receive(cast, unit=cast.unit_b, person=cast.neighbour)
    actions.assign_request(actor=cast.butler, service_request=other, assignee=cast.butler)
    actions.start_work(actor=cast.butler, service_request=other)
    actions.resolve_request(actor=cast.butler, service_request=other)
    assert Notification.objects.count() == 2


def test_a_refused_assignment_notifies_nobody(cast):
    service_request = receive(cast)
    with pytest.raises(DomainError):
        actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.outsider)
    actions.assign_request(
        actor=cast.assistant, service_request=service_request, assignee=cast.butler, expected_version=1
    )
    with pytest.raises(DomainError):
        actions.assign_request(
            actor=cast.assistant, service_request=service_request, assignee=cast.head_butler, expected_version=1
        )
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["butler"]


# --- service levels and complaints ------------------------------------------------------------


def test_the_manager_edits_the_service_levels_in_hours_in_one_form(client_as, cast, unchanged):
    client = client_as("manager")
    url = reverse("servicedesk:service_levels", args=[cast.estate.pk])
    text = page_text(client.get(url))
    assert text.count('id="service-levels-form"') == 1 and text.count("保存服务时限") == 2  # one form
    assert 'value="0.5"' in text  # an emergency repair's 30 minutes, shown in hours
    data = {
        "repair_in_unit-normal-respond_minutes": "0.5",
        "repair_in_unit-normal-arrive_minutes": "",
        "repair_in_unit-normal-resolve_minutes": "8",
        "repair_in_unit-normal-return_visit_minutes": "72",
        "complaint-urgent-respond_minutes": "1.5",
        "complaint-urgent-resolve_minutes": "48",
    }
    assert client.post(url, data).status_code == 302
    levels = {(level.kind, level.priority): level for level in ServiceLevel.objects.all()}
    assert set(levels) == {("repair_in_unit", "normal"), ("complaint", "urgent")}  # only what changed
    repair = levels[("repair_in_unit", "normal")]
    assert (repair.respond_minutes, repair.arrive_minutes, repair.resolve_minutes, repair.return_visit_minutes) == (
        30,
        None,
        480,
        72 * 60,
    )
    assert (levels[("complaint", "urgent")].respond_minutes, levels[("complaint", "urgent")].resolve_minutes) == (
        90,
        48 * 60,
    )
    assert client_as("head_butler").get(url).status_code == 404


@pytest.mark.parametrize("bad", ["-5", "abc", "0.001", "NaN", "99999"])
def test_a_bad_hours_value_names_its_field_and_saves_nothing(client_as, cast, unchanged, bad):
    client = client_as("manager")
    url = reverse("servicedesk:service_levels", args=[cast.estate.pk])
    with unchanged():
        response = client.post(
            url,
            {"inquiry-normal-respond_minutes": "2", "repair_in_unit-emergency-resolve_minutes": bad},
        )
        assert response.status_code == 400
        text = page_text(response)
        assert "未保存任何内容" in text and "户内报修 · 紧急 · 办结" in text  # the field, by name
        assert "不超过 8784 的小时数" in text


def test_the_month_complaint_summary(client_as, cast):
    from django.utils import timezone

    now = timezone.now()
    for _ in range(2):
        complaint = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None, now=now)
        actions.classify_complaint(
            actor=cast.head_butler, service_request=complaint, category="noise", validity="valid"
        )
    client = client_as("head_butler")
    url = reverse("servicedesk:complaints", args=[cast.estate.pk])
    text = page_text(client.get(url, {"month": timezone.localtime(now).strftime("%Y-%m")}))
    assert "张三" in text  # a repeat complainant
    assert "噪音与邻里" in text  # the category, in the page's language
    bad = client.get(url, {"month": "2026-13"})
    assert bad.status_code == 400 and "YYYY-MM" in page_text(bad)
    assert client_as("assistant").get(url).status_code == 404


# --- the owner portal -------------------------------------------------------------------------


def portal_post(client, **values):
    data = {"unit": values.pop("unit"), "kind": "repair_in_unit", "priority": "normal", "description": "卫生间漏水"}
    data.update(values)
    return client.post(reverse("servicedesk:portal_new"), data)


def test_the_owner_submits_with_photos_and_their_butler_owns_it(client_as, cast):
    client = client_as("owner")
    assert "卫生间" not in page_text(client.get(reverse("servicedesk:portal_new")))
    response = portal_post(client, unit=cast.unit_a.pk, photos=[photo_upload("a.png"), photo_upload("b.webp", "WEBP")])
    created = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:portal_request", args=[created.pk])
    assert (created.channel, created.first_responder, created.person) == ("portal", cast.butler, cast.owner_person)
    assert created.photos.count() == 2
    assert Notification.objects.filter(recipient=cast.butler, link__contains=str(created.pk)).exists()
    listing = page_text(client.get(reverse("servicedesk:portal_requests")))
    assert "卫生间漏水" in listing


def test_without_a_zone_butler_the_head_butler_owns_a_portal_request(client_as, cast):
    cast.zone_a.butler = None
    cast.zone_a.save()
    portal_post(client_as("owner"), unit=cast.unit_a.pk)
    assert ServiceRequest.objects.get().first_responder == cast.head_butler


@pytest.mark.parametrize("which", ["other_unit", "unit_b", "unknown"])
def test_the_owner_cannot_submit_for_a_unit_not_theirs(client_as, cast, unchanged, which):
    unit_id = 99999999 if which == "unknown" else getattr(cast, which).pk
    client = client_as("owner")
    with unchanged():
        response = portal_post(client, unit=unit_id)
        assert response.status_code == 400 and "请选择您自己" in page_text(response)


def test_a_bad_photo_keeps_the_whole_portal_request_out(client_as, cast, unchanged):
    client = client_as("owner")
    with unchanged():
        exe = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"\x00" * 300)
        response = portal_post(client, unit=cast.unit_a.pk, photos=[photo_upload(), exe])
        assert response.status_code == 400 and "JPEG" in page_text(response)


def test_staff_and_strangers_do_not_use_the_portal_pages(client_as, cast):
    service_request = receive(cast)
    for role in ("butler", "outsider"):
        assert client_as(role).get(reverse("servicedesk:portal_request", args=[service_request.pk])).status_code == 404
    neighbours = receive(cast, unit=cast.unit_b, person=cast.neighbour)
    assert client_as("owner").get(reverse("servicedesk:portal_request", args=[neighbours.pk])).status_code == 404


def confirm(client, service_request, **values):
    service_request.refresh_from_db()
    data = {"version": service_request.version, "satisfaction": "5", "solved": "yes", "owner_words": ""}
    data.update(values)
    return client.post(reverse("servicedesk:portal_confirm", args=[service_request.pk]), data)


def test_the_owner_confirms_and_rates_and_the_request_closes(client_as, cast):
    service_request = walk(cast, receive(cast), "resolved")
    client = client_as("owner")
    assert 'id="portal-confirm"' in page_text(
        client.get(reverse("servicedesk:portal_request", args=[service_request.pk]))
    )
    assert confirm(client, service_request, satisfaction="4").status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == S.CLOSED
    visit = ReturnVisit.objects.get()
    assert (visit.how, visit.satisfaction, visit.solved, visit.by) == ("portal", 4, True, cast.owner)
    text = page_text(client.get(reverse("servicedesk:portal_request", args=[service_request.pk])))
    assert "已关闭" in text and 'id="portal-confirm"' not in text


def test_the_owner_rejects_with_their_words_and_it_reopens(client_as, cast):
    service_request = walk(cast, receive(cast), "resolved")
    client = client_as("owner")
    assert confirm(client, service_request, solved="no", satisfaction="2").status_code == 400  # words are needed
    assert confirm(client, service_request, solved="no", satisfaction="2", owner_words="还在滴水").status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == S.ASSIGNED and service_request.reopen_count == 1
    assert RequestEvent.objects.filter(request=service_request, action="reopen", note="还在滴水").exists()
    assert Notification.objects.filter(recipient=cast.butler, body="还在滴水").exists()


@pytest.mark.parametrize("rating", ["0", "6", "abc", ""])
def test_a_portal_rating_out_of_range_changes_nothing(client_as, cast, unchanged, rating):
    service_request = walk(cast, receive(cast), "resolved")
    client = client_as("owner")
    with unchanged():
        response = confirm(client, service_request, satisfaction=rating)
        assert response.status_code == 400


def test_the_owner_cannot_confirm_what_is_not_resolved(client_as, cast, unchanged):
    service_request = receive(cast)
    client = client_as("owner")
    with unchanged():
        response = confirm(client, service_request)
        assert response.status_code == 400


def test_the_owner_adds_a_photo_to_an_open_request(client_as, cast):
    service_request = receive(cast)
    url = reverse("servicedesk:portal_add_photo", args=[service_request.pk])
    assert client_as("owner").post(url, {"photo": photo_upload()}).status_code == 302
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * MB))
    response = client_as("owner").post(url, {"photo": big})
    assert response.status_code == 400
    assert RequestPhoto.objects.count() == 1


def test_a_technician_works_an_assigned_request(client_as, cast):
    from django.test import Client

    engineer = staff(cast.estate, Post.TECHNICIAN, "engineer", "钱师傅")
    service_request = receive(cast)
    actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=engineer)
    client = Client()
    client.force_login(engineer)
    home = client.get("/", follow=True)  # a technician's home is the work assigned to them
    assert home.redirect_chain[-1][0] == reverse("servicedesk:my_work", args=[cast.estate.pk])
    assert "厨房水管漏水" in page_text(home)
    assert post_action(client, service_request, "start").status_code == 302
    assert post_action(client, service_request, "resolve").status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == S.RESOLVED


def test_the_head_butler_names_tomorrows_duty_manager(client_as, cast, unchanged):
    import datetime as dt

    from django.utils import timezone

    from guanjia.servicedesk.models import DutyManager

    client = client_as("head_butler")
    url = reverse("servicedesk:duty_managers", args=[cast.estate.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert "林大管家" in page_text(client.get(url))  # offered in the list
    assert client.post(url, {"date": tomorrow.isoformat(), "user": cast.manager.pk}).status_code == 302
    assert DutyManager.objects.get().user == cast.manager
    assert "陈经理" in page_text(client.get(url))
    with unchanged():
        response = client.post(url, {"date": tomorrow.isoformat(), "user": cast.butler.pk})  # a butler cannot stand
        assert response.status_code == 400
        response = client.post(url, {"date": "明天", "user": cast.manager.pk})
        assert response.status_code == 400


def test_a_butler_starts_on_their_zone_and_may_see_all_or_the_overdue(client_as, cast):
    import datetime as dt

    from django.utils import timezone

    receive(cast, title="A区的报修", now=timezone.now())
    receive(cast, title="B区的报修", unit=cast.unit_b, person=cast.neighbour, now=timezone.now() - dt.timedelta(days=3))
    client = client_as("butler")
    url = reverse("servicedesk:board", args=[cast.estate.pk])
    own = page_text(client.get(url))
    assert "A区的报修" in own and "B区的报修" not in own
    everything = page_text(client.get(url, {"zone": "all"}))
    assert "A区的报修" in everything and "B区的报修" in everything
    late = page_text(client.get(url, {"zone": "all", "overdue": "1"}))
    assert "A区的报修" not in late and "B区的报修" in late
    assert "B区的报修" in page_text(client_as("head_butler").get(url))  # no zone of their own: all
