"""The service desk's face: service levels shown truthfully, the dispatch list, the head
butler's workbench, the field worker's one action at a time and the logged call button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanjia.core.roles import Post
from guanjia.servicedesk import actions, queries
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.models import Escalation, RequestCall, RequestEvent, RequestPhoto, ServiceRequest
from guanjia.servicedesk.templatetags.servicedesk_tags import verdict
from guanjia.servicedesk.tests.factories import at, photo_upload, receive, staff
from guanjia.servicedesk.views import staff_choices


def page_text(response) -> str:
    return response.content.decode()


def resolved_seven_days_late(cast):
    """A normal in-unit repair (resolve within 1 day) received 2 March 10:00 and resolved on
    10 March 10:00: 7 days late. Dispatched within 5 minutes (respond: 30 minutes)."""
    request = receive(cast, now=at(2, 10))
    actions.assign_request(actor=cast.assistant, service_request=request, assignee=cast.butler, now=at(2, 10, 5))
    actions.start_work(actor=cast.butler, service_request=request, now=at(2, 11))
    actions.resolve_request(actor=cast.butler, service_request=request, now=at(10, 10))
    return request


# --- service levels shown truthfully --------------------------------------------------------


def test_a_step_is_met_only_when_done_by_its_deadline():
    due = at(3, 10)
    assert dl.step_timing("resolve", due, at(3, 9), at(20, 0)).state == dl.MET
    assert dl.step_timing("resolve", due, due, at(20, 0)).state == dl.MET
    late = dl.step_timing("resolve", due, at(10, 10), at(20, 0))
    assert (late.state, late.late_by) == (dl.LATE, dt.timedelta(days=7))
    overdue = dl.step_timing("resolve", due, None, at(4, 13))
    assert (overdue.state, overdue.late_by) == (dl.OVERDUE, dt.timedelta(days=1, hours=3))
    assert dl.step_timing("resolve", due, None, at(3, 9)).state == dl.OPEN
    assert dl.step_timing("resolve", due, None, at(4, 13), paused=True).state == dl.PAUSED
    assert dl.step_timing("arrive", None, at(2, 11), at(4, 0)).state == dl.NO_LIMIT
    assert dl.lateness([late, overdue]) == dt.timedelta(days=7)


def test_the_verdicts_read_in_chinese():
    with translation.override("zh-hans"):
        assert verdict(dl.step_timing("resolve", at(3, 10), at(3, 9), at(20, 0))) == "✓ 按时"
        assert verdict(dl.step_timing("resolve", at(3, 10), at(10, 10), at(20, 0))) == "超时 7 天"
        assert verdict(dl.step_timing("resolve", at(3, 10), None, at(3, 13))) == "已超时 3 小时"
        assert verdict(dl.step_timing("resolve", at(3, 10), None, at(3, 9)), at(3, 9)) == "剩余 1 小时"
        assert [str(dl.STEP_LABELS[name]) for name in (dl.RESPOND, dl.ARRIVE, dl.RESOLVE)] == ["响应", "到场", "办结"]
        assert dl.step_label("resolve:2") == "办结"


def test_a_job_resolved_late_keeps_its_late_mark_and_no_tick(client_as, cast):
    request = resolved_seven_days_late(cast)
    steps = {step.name: step for step in queries.service_steps(request, timezone.now())}
    assert steps["respond"].state == dl.MET
    assert (steps["resolve"].state, steps["resolve"].late_by) == (dl.LATE, dt.timedelta(days=7))
    text = page_text(client_as("head_butler").get(reverse("servicedesk:request", args=[request.pk])))
    resolve_line = text[text.index('data-step="resolve"') :].split("</div>\n", 2)[1]
    assert "超时 7 天" in resolve_line and "✓" not in resolve_line
    respond_line = text[text.index('data-step="respond"') :].split("</div>\n", 2)[1]
    assert "✓ 按时" in respond_line
    assert 'id="request-late"' in text  # the request keeps its late mark after resolution


def test_a_cancelled_request_is_not_overdue(cast):
    request = receive(cast, now=at(2, 10))
    actions.cancel_request(actor=cast.assistant, service_request=request, reason="业主撤回", now=at(2, 10, 1))
    steps = queries.service_steps(request, at(20, 0))
    assert not any(step.is_late for step in steps) and dl.lateness(steps) is None


def test_escalation_lines_name_the_step_in_chinese(client_as, cast):
    request = receive(cast, now=at(2, 10))
    Escalation.objects.create(
        request=request,
        rung="head_butler",
        deadline="resolve:1",
        notified=cast.head_butler,
        due_at=at(3, 10),
        at=at(3, 22),
    )
    text = page_text(client_as("head_butler").get(reverse("servicedesk:request", args=[request.pk])))
    line = text[text.index("已升级通知") :][:400]
    assert "办结" in line and "resolve" not in line and "2026-03-03 10:00" in line


# --- the dispatch list ----------------------------------------------------------------------


def test_the_dispatch_list_offers_only_those_who_do_the_work(client_as, cast, unchanged):
    technician = staff(cast.estate, Post.TECHNICIAN, "engineer", "钱师傅")
    cleaner = staff(cast.estate, Post.CLEANING_CREW, "cleaner", "孙阿姨")
    general = staff(cast.estate, Post.GENERAL_AFFAIRS, "general", "综管")
    offered = {int(user_id) for user_id, _label in staff_choices(cast.estate.pk)}
    assert {technician.pk, cleaner.pk, cast.butler.pk, cast.head_butler.pk, cast.assistant.pk} <= offered
    assert not offered & {cast.finance.pk, general.pk, cast.manager.pk, cast.outsider.pk}
    request = receive(cast)
    client = client_as("assistant")
    text = page_text(client.get(reverse("servicedesk:request", args=[request.pk])))
    assert "钱师傅 · 工程维修" in text and "郑财务" not in text
    with unchanged():
        response = client.post(
            reverse("servicedesk:request_action", args=[request.pk, "assign"]),
            {"assign-assignee": cast.finance.pk, "assign-version": request.version},
        )
        assert response.status_code == 400


# --- the head butler's workbench ------------------------------------------------------------


def test_the_head_butler_lands_on_the_workbench_with_emergencies_first(client_as, cast):
    now = timezone.now()
    normal = receive(cast, title="门禁卡失灵", now=now - dt.timedelta(days=3))
    emergency = receive(cast, title="水管爆裂", priority="emergency", now=now - dt.timedelta(hours=2))
    mine = receive(cast, title="电梯困人", now=now - dt.timedelta(days=2))
    actions.assign_request(
        actor=cast.assistant, service_request=mine, assignee=cast.butler, now=now - dt.timedelta(days=2)
    )
    Escalation.objects.create(
        request=mine,
        rung="head_butler",
        deadline="resolve",
        notified=cast.head_butler,
        due_at=now - dt.timedelta(days=1),
        at=now - dt.timedelta(hours=12),
    )
    client = client_as("head_butler")
    home = client.get(reverse("home"), follow=True)
    assert home.redirect_chain[-1][0] == reverse("servicedesk:workbench", args=[cast.estate.pk])
    text = page_text(home)
    emergencies = text[text.index('id="emergencies"') : text.index('id="board"')]
    assert "水管爆裂" in emergencies and "门禁卡失灵" not in emergencies
    escalations = text[text.index('id="escalations"') : text.index('id="workload"')]
    assert "电梯困人" in escalations and "办结" in escalations and "超时 12 小时" in escalations
    workload = text[text.index('id="workload"') :]
    assert "周管家" in workload
    board = text[text.index('id="board"') : text.index('id="escalations"')]
    assert board.index("门禁卡失灵") < board.index("水管爆裂")  # overdue first
    assert "超时 2 天" in board  # how late each request is
    load = queries.workload(cast.estate, now)
    assert [(entry.name, entry.open, entry.overdue) for entry in load] == [("周管家", 1, 1)]
    assert normal.pk and emergency.pk
    assert client_as("finance").get(reverse("servicedesk:workbench", args=[cast.estate.pk])).status_code == 404


def test_the_board_filters_unassigned_emergencies(client_as, cast):
    receive(cast, title="水管爆裂", priority="emergency")
    dispatched = receive(cast, title="燃气泄漏", priority="emergency")
    actions.assign_request(actor=cast.assistant, service_request=dispatched, assignee=cast.butler)
    receive(cast, title="路灯不亮")
    url = reverse("servicedesk:board", args=[cast.estate.pk])
    text = page_text(client_as("head_butler").get(url, {"zone": "all", "unassigned": "1", "priority": "emergency"}))
    assert "水管爆裂" in text and "燃气泄漏" not in text and "路灯不亮" not in text


# --- the field worker -----------------------------------------------------------------------


@pytest.fixture
def technician(cast):
    return staff(cast.estate, Post.TECHNICIAN, "engineer", "钱师傅")


def test_the_technician_does_one_step_at_a_time(client, cast, technician):
    request = receive(cast)
    actions.assign_request(actor=cast.assistant, service_request=request, assignee=technician)
    client.force_login(technician)
    page = reverse("servicedesk:request", args=[request.pk])
    for action, label, status in (
        ("accept", "接单", ServiceRequest.Status.ASSIGNED),
        ("start", "到场", ServiceRequest.Status.IN_PROGRESS),
        ("resolve", "完成", ServiceRequest.Status.RESOLVED),
    ):
        text = page_text(client.get(page))
        primary = text[text.index("data-primary-action") :][:1500]
        assert f'value="{action}"' in primary and f">{label}</button>" in primary
        request.refresh_from_db()
        response = client.post(
            reverse("servicedesk:request_action", args=[request.pk, action]), {f"{action}-version": request.version}
        )
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.status == status
    listed = page_text(client.get(reverse("servicedesk:my_work", args=[cast.estate.pk])))
    assert "厨房水管漏水" not in listed  # resolved: off my list
    events = list(RequestEvent.objects.filter(request=request).values_list("action", "actor_id"))
    assert events[1:] == [
        ("assign", cast.assistant.pk),
        ("assign", technician.pk),
        ("start", technician.pk),
        ("resolve", technician.pk),
    ]


def test_the_job_list_names_the_next_step(client, cast, technician):
    request = receive(cast, title="楼道灯不亮", kind="repair_common", unit=None, person=None)
    actions.assign_request(actor=cast.assistant, service_request=request, assignee=technician)
    client.force_login(technician)
    text = page_text(client.get(reverse("servicedesk:my_work", args=[cast.estate.pk])))
    assert "楼道灯不亮" in text and "下一步：接单" in text
    actions.assign_request(actor=technician, service_request=request, assignee=technician)
    text = page_text(client.get(reverse("servicedesk:my_work", args=[cast.estate.pk])))
    assert "下一步：到场" in text


def test_before_and_after_photos(client, cast, technician, media_root):
    request = receive(cast)
    actions.assign_request(actor=cast.assistant, service_request=request, assignee=technician)
    actions.start_work(actor=technician, service_request=request)
    client.force_login(technician)
    page = reverse("servicedesk:request", args=[request.pk])
    assert 'value="before" class="form-selectgroup-input" id="id_stage_1" checked' in page_text(client.get(page))
    url = reverse("servicedesk:add_photo", args=[request.pk])
    assert client.post(url, {"photo": photo_upload(), "stage": "before"}).status_code == 302
    assert 'value="after" class="form-selectgroup-input" id="id_stage_2" checked' in page_text(client.get(page))
    assert client.post(url, {"photo": photo_upload(), "stage": "after"}).status_code == 302
    assert list(RequestPhoto.objects.filter(request=request).values_list("stage", flat=True)) == ["before", "after"]
    text = page_text(client.get(page))
    assert "施工前" in text and "施工后" in text


def test_the_call_is_logged_and_the_number_stays_off_the_page(client, cast, technician, unchanged):
    request = receive(cast)
    actions.assign_request(actor=cast.assistant, service_request=request, assignee=technician)
    client.force_login(technician)
    text = page_text(client.get(reverse("servicedesk:request", args=[request.pk])))
    assert 'id="call-contact"' in text and "13812341234" not in text and "138****1234" in text
    response = client.post(reverse("servicedesk:call", args=[request.pk]))
    assert response.status_code == 302 and response["Location"] == "tel:13812341234"
    call = RequestCall.objects.get()
    assert (call.request_id, call.caller_id, call.person_id) == (request.pk, technician.pk, cast.owner_person.pk)
    timeline = page_text(client.get(reverse("servicedesk:request", args=[request.pk])))
    assert "拨打了联系人电话" in timeline


def test_someone_not_on_the_job_cannot_call(client, cast, technician, unchanged):
    request = receive(cast)
    client.force_login(technician)
    with unchanged():
        assert client.post(reverse("servicedesk:call", args=[request.pk])).status_code == 404


# --- the month's complaints -----------------------------------------------------------------


def test_the_complaints_page_names_its_month(client_as, cast):
    client = client_as("head_butler")
    text = page_text(client.get(reverse("servicedesk:complaints", args=[cast.estate.pk]), {"month": "2026-03"}))
    assert "2026年3月投诉" in text and "本月投诉" not in text


def test_the_escalation_notice_names_the_step_as_the_pages_do(cast):
    from guanjia.notifications.models import Notification

    request = receive(cast, now=at(2, 10))
    actions.assign_request(actor=cast.assistant, service_request=request, assignee=cast.butler, now=at(2, 10, 5))
    actions.start_work(actor=cast.butler, service_request=request, now=at(2, 11))
    actions.escalate_overdue(now=at(3, 10, 1))  # the day to resolve has passed
    notice = Notification.objects.get(dedupe_key__startswith="escalation:", recipient=cast.butler)
    assert notice.body.startswith("办结时限已于 2026-03-03 10:00 到期")


@pytest.mark.parametrize("minutes", [1, 15, 20, 30, 45, 90, 100, 1440, 4320, 366 * 24 * 60])
def test_limits_in_hours_come_back_as_the_same_minutes(minutes):
    from guanjia.servicedesk.forms import HoursField, hours_text

    assert HoursField(required=False).clean(hours_text(minutes)) == minutes
