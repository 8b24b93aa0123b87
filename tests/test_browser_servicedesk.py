"""A repair through the whole loop in a real browser (Debian's Chromium driven by Playwright
against the live server): the assistant takes 张三's phone call on the intake screen and
assigns it to the engineer; the engineer finds it under "assigned to me", starts and
resolves it; the zone butler makes the return visit and closes it; 张三 sees it closed in
the portal, with its timeline. Every step waits for what it needs to see: no sleeps."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from guanjia.core.roles import Post
from guanjia.servicedesk.models import RequestEvent, ServiceRequest
from guanjia.servicedesk.tests.factories import staff
from tests.support import PASSWORD, SCREENS

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect


class Session:
    """One person signed in through the login form, in a browser context of their own."""

    def __init__(self, browser, live_server, username: str, *, phone: bool = False, desk: dict | None = None):
        viewport = {"width": 390, "height": 844} if phone else (desk or {"width": 1280, "height": 800})
        self.context = browser.new_context(locale="zh-CN", viewport=viewport)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status} {r.url}"))
        self.base = live_server.url
        self.page.goto(self.base + reverse("login"))
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))

    def do(self, action: str, fill=None):
        """Open the small form of one action on the request page (the primary action's card is
        open already; the others are folded), fill it, send it."""
        box = self.page.locator(f"#action-{action}")
        if box.locator("summary").count() and box.get_attribute("open") is None:
            box.locator("summary").click()
        if fill:
            fill(box)
        with self.page.expect_navigation():
            box.locator(f"button[value={action}]").click()

    def close(self):
        self.context.close()


def status(page):
    return page.locator("#request-status")


def test_a_phone_repair_goes_round_the_whole_loop(live_server, live_cast, browser):
    cast = live_cast
    engineer = staff(cast.estate, Post.TECHNICIAN, "engineer", "钱师傅")
    SCREENS.mkdir(parents=True, exist_ok=True)
    sessions = []

    # 1. The assistant takes the call: finds 张三 by his phone tail, records the repair.
    desk = Session(browser, live_server, "assistant")
    sessions.append(desk)
    page = desk.page
    page.locator("#gj-menu").get_by_role("button", name="客服").click()
    page.locator("#gj-menu").get_by_role("link", name="受理", exact=True).click()
    expect(page.locator("h1")).to_have_text("翠湖苑 · 工单受理")
    page.wait_for_load_state("load")
    with page.expect_request(lambda r: "q=1234" in r.url and r.headers.get("hx-request") == "true"):
        page.locator("#intake-search").fill("1234")
    caller = page.locator("#intake-results").get_by_role("link", name="张三")
    caller.click()
    expect(page.locator("#caller")).to_contain_text("张三")
    expect(page.locator("#id_unit")).to_have_value("1-1-1201")
    page.select_option("#id_kind", "repair_in_unit")
    page.select_option("#id_channel", "phone")
    page.fill("#id_description", "卫生间水管漏水\n下午两点后在家")
    page.screenshot(path=str(SCREENS / "servicedesk-intake.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="登记工单").click()
    expect(status(page)).to_have_text("已受理")
    request = ServiceRequest.objects.get()
    assert (request.first_responder, request.person, request.title) == (
        cast.assistant,
        cast.owner_person,
        "卫生间水管漏水",
    )

    # ... and assigns it to the engineer.
    desk.do("assign", lambda box: box.locator("select").select_option(str(engineer.pk)))
    expect(status(page)).to_have_text("已派单")
    expect(page.locator("#request-assignee")).to_have_text("钱师傅")
    page.screenshot(path=str(SCREENS / "servicedesk-request.png"), full_page=True)

    # 2. The engineer, on a phone, finds it among the work assigned to him and resolves it.
    work = Session(browser, live_server, "engineer", phone=True)
    sessions.append(work)
    page = work.page
    page.goto(live_server.url + reverse("servicedesk:my_work", args=[cast.estate.pk]))
    page.get_by_role("link", name="卫生间水管漏水").click()
    expect(status(page)).to_have_text("已派单")
    work.do("accept")
    expect(status(page)).to_have_text("已派单")
    work.do("start")
    expect(status(page)).to_have_text("处理中")
    work.do("resolve", lambda box: box.locator("input[name='resolve-note']").fill("更换了角阀"))
    expect(status(page)).to_have_text("已办结")

    # 3. The butler of zone A makes the return visit from the board and closes the request.
    visit = Session(browser, live_server, "butler")
    sessions.append(visit)
    page = visit.page
    page.goto(live_server.url + reverse("servicedesk:board", args=[cast.estate.pk]))
    page.get_by_role("link", name="卫生间水管漏水").click()
    expect(status(page)).to_have_text("已办结")

    def rate(box):
        box.locator("select[name='return_visit-how']").select_option("phone")
        box.locator("select[name='return_visit-satisfaction']").select_option("5")
        box.locator("input[name='return_visit-solved']").check()

    visit.do("return_visit", rate)
    expect(status(page)).to_have_text("已回访")
    visit.do("close")
    expect(status(page)).to_have_text("已关闭")

    # 4. 张三 sees it closed in the portal, with the engineer's note in the timeline.
    owner = Session(browser, live_server, "owner", phone=True)
    sessions.append(owner)
    page = owner.page
    page.get_by_role("link", name="我的工单", exact=True).click()
    expect(page.locator("h1")).to_have_text("我的工单")
    page.get_by_role("link", name="卫生间水管漏水").click()
    expect(status(page)).to_have_text("已关闭")
    expect(page.locator(".sd-timeline")).to_contain_text("更换了角阀")
    page.screenshot(path=str(SCREENS / "servicedesk-portal.png"), full_page=True)

    actions_taken = list(RequestEvent.objects.filter(request=request).values_list("action", flat=True))
    assert actions_taken == ["receive", "assign", "assign", "start", "resolve", "return_visit", "close"]
    for session in sessions:
        assert session.problems == []
        session.close()


def test_the_owner_reports_a_leak_with_a_photo_from_a_phone(live_server, live_cast, browser, tmp_path):
    from guanjia.servicedesk.tests.factories import image_bytes

    cast = live_cast
    SCREENS.mkdir(parents=True, exist_ok=True)
    photo = tmp_path / "leak.jpg"
    photo.write_bytes(image_bytes("JPEG", (64, 48)))
    owner = Session(browser, live_server, "owner", phone=True)
    page = owner.page
    page.get_by_role("link", name="新建工单", exact=True).click()
    expect(page.locator("h1")).to_have_text("新建工单")
    page.select_option("#id_unit", str(cast.unit_a.pk))
    page.select_option("#id_kind", "repair_in_unit")
    page.fill("#id_description", "阳台顶上渗水")
    page.set_input_files("#id_photos", str(photo))
    page.screenshot(path=str(SCREENS / "servicedesk-portal-new.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="提交").click()
    expect(status(page)).to_have_text("已受理")
    image = page.locator(".sd-photos img")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    loaded = "() => { const i = document.querySelector('.sd-photos img'); return i && i.complete && i.naturalWidth; }"
    assert page.wait_for_function(loaded).json_value() == 64  # the photo itself is served
    request = ServiceRequest.objects.get()
    assert (request.channel, request.first_responder, request.photos.count()) == ("portal", cast.butler, 1)
    assert owner.problems == []
    owner.close()


def no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_head_butler_works_from_the_workbench(live_server, live_cast, browser):
    """At 1366×900: the head butler lands on the workbench, sees the unassigned emergency
    first, the escalation that reached them and who carries the overdue work, opens the
    emergency and dispatches it to the engineer."""
    import datetime as dt

    from django.utils import timezone

    from guanjia.servicedesk import actions
    from guanjia.servicedesk.models import Escalation

    cast = live_cast
    engineer = staff(cast.estate, Post.TECHNICIAN, "engineer", "钱师傅")
    now = timezone.now()

    def take(title, priority="normal", ago=dt.timedelta(days=3)):
        return actions.receive_request(
            actor=cast.assistant,
            estate=cast.estate,
            kind="repair_in_unit",
            channel="phone",
            priority=priority,
            title=title,
            unit=cast.unit_a,
            person=cast.owner_person,
            now=now - ago,
        )

    late = take("门禁卡失灵")
    actions.assign_request(
        actor=cast.assistant, service_request=late, assignee=cast.butler, now=now - dt.timedelta(days=3)
    )
    Escalation.objects.create(
        request=late,
        rung="head_butler",
        deadline="resolve",
        notified=cast.head_butler,
        due_at=now - dt.timedelta(days=2),
        at=now - dt.timedelta(days=1),
    )
    emergency = take("水管爆裂", "emergency", dt.timedelta(minutes=50))
    SCREENS.mkdir(parents=True, exist_ok=True)
    desk = Session(browser, live_server, "head_butler", desk={"width": 1366, "height": 900})
    page = desk.page
    expect(page.locator("h1")).to_have_text("翠湖苑 · 客服工作台")
    expect(page.locator("#emergencies")).to_contain_text("水管爆裂")
    expect(page.locator("#escalations")).to_contain_text("门禁卡失灵")
    expect(page.locator("#escalations")).to_contain_text("办结")
    expect(page.locator("#workload")).to_contain_text("周管家")
    expect(page.locator("[data-board-row]").first).to_contain_text("门禁卡失灵")  # overdue first
    expect(page.locator("[data-board-row]").first).to_contain_text("超时")
    assert no_overflow(page)
    page.screenshot(path=str(SCREENS / "servicedesk-workbench.png"), full_page=True)

    # The tile leads to the list behind it: the board, narrowed to unassigned emergencies.
    page.locator("#workbench-figures a").first.click()
    expect(page.locator("h1")).to_have_text("工单看板")
    expect(page.locator("table.sd-list tbody tr")).to_have_count(1)
    page.get_by_role("link", name="水管爆裂").click()
    expect(status(page)).to_have_text("已受理")
    desk.do("assign", lambda box: box.locator("select").select_option(str(engineer.pk)))
    expect(status(page)).to_have_text("已派单")
    expect(page.locator(".gj-toast")).to_contain_text("派单")
    emergency.refresh_from_db()
    assert emergency.assignee == engineer
    page.goto(live_server.url + reverse("servicedesk:workbench", args=[cast.estate.pk]))
    expect(page.locator("#emergencies")).to_contain_text("没有等待派单的紧急工单")
    assert desk.problems == []
    desk.close()


def test_the_engineer_does_the_job_on_the_phone(live_server, live_cast, browser, tmp_path):
    """At 390×844: the engineer's home is the card list of his jobs; he accepts the job, is on
    site, calls the owner (the call logged, the number not shown), takes a photo before and
    one after, and finishes it — one big button at a time."""
    from guanjia.servicedesk import actions
    from guanjia.servicedesk.models import RequestCall, RequestPhoto
    from guanjia.servicedesk.tests.factories import image_bytes

    cast = live_cast
    engineer = staff(cast.estate, Post.TECHNICIAN, "engineer", "钱师傅")
    job = actions.receive_request(
        actor=cast.assistant,
        estate=cast.estate,
        kind="repair_in_unit",
        channel="phone",
        title="卫生间水管漏水",
        description="下午两点后在家",
        unit=cast.unit_a,
        person=cast.owner_person,
    )
    actions.assign_request(actor=cast.assistant, service_request=job, assignee=engineer)
    photo = tmp_path / "leak.jpg"
    photo.write_bytes(image_bytes("JPEG", (64, 48)))
    SCREENS.mkdir(parents=True, exist_ok=True)
    work = Session(browser, live_server, "engineer", phone=True)
    page = work.page
    expect(page.locator("h1")).to_have_text("派给我的工单")
    card = page.locator(f"[data-job='{job.pk}']")
    expect(card).to_contain_text("下一步：接单")
    assert no_overflow(page)
    page.screenshot(path=str(SCREENS / "servicedesk-my-work-phone.png"), full_page=True)
    card.get_by_role("link", name="下一步：接单").click()

    def press(label):
        button = page.locator("[data-primary-action] button.btn-lg")
        expect(button).to_have_text(label)
        with page.expect_navigation():
            button.click()

    press("接单")
    expect(page.locator(".gj-toast")).to_contain_text("接单")
    expect(page.locator("#more-actions")).not_to_contain_text("接单")  # taken: no longer offered
    press("到场")
    expect(status(page)).to_have_text("处理中")

    # The call: logged, then the phone dials; the page never shows the whole number. (From a
    # second tab: after handing tel: to the system, headless Chromium sends no more forms from
    # the tab that dialled.)
    expect(page.locator("#call-contact")).to_contain_text("138****1234")
    assert "13812341234" not in page.content()
    dialler = work.context.new_page()
    dialler.goto(page.url)
    with dialler.expect_response(lambda response: response.url.endswith("/call/")) as answer:
        dialler.locator("#call-contact button").click()
    assert answer.value.status == 302 and answer.value.headers["location"] == "tel:13812341234"
    assert RequestCall.objects.filter(request=job, caller=engineer).count() == 1
    dialler.close()

    page.goto(live_server.url + reverse("servicedesk:request", args=[job.pk]))
    for stage in ("before", "after"):
        photos = page.locator("#field-photos")
        expect(photos.locator(f"input[value={stage}]")).to_be_checked()
        photos.locator("input[type=file]").set_input_files(str(photo))
        with page.expect_navigation():
            photos.get_by_role("button", name="上传").click()
        expect(page.locator(".gj-toast")).to_contain_text("照片")
    expect(page.locator(".sd-photos figure")).to_have_count(2)
    expect(page.locator(".sd-timeline")).to_contain_text("拨打了联系人电话")
    assert no_overflow(page)
    page.screenshot(path=str(SCREENS / "servicedesk-field-phone.png"), full_page=True)
    page.locator("[data-primary-action] input[name='resolve-note']").fill("更换了角阀")
    press("完成")
    expect(status(page)).to_have_text("已办结")
    assert list(RequestPhoto.objects.filter(request=job).values_list("stage", flat=True)) == ["before", "after"]
    job.refresh_from_db()
    assert job.status == "resolved" and job.arrived_at is not None
    assert work.problems == []
    work.close()


def test_the_owner_is_asked_before_sending_a_job_back(live_server, live_cast, browser):
    """At 390×844: "not done" sends the request back to the worker, so the owner confirms it in
    the dialog first; cancelling the dialog sends nothing."""
    from guanjia.servicedesk import actions

    cast = live_cast
    job = actions.receive_request(
        actor=cast.assistant,
        estate=cast.estate,
        kind="repair_in_unit",
        channel="phone",
        title="阳台渗水",
        unit=cast.unit_a,
        person=cast.owner_person,
    )
    actions.assign_request(actor=cast.assistant, service_request=job, assignee=cast.butler)
    actions.start_work(actor=cast.butler, service_request=job)
    actions.resolve_request(actor=cast.butler, service_request=job)
    owner = Session(browser, live_server, "owner", phone=True)
    page = owner.page
    page.goto(live_server.url + reverse("servicedesk:portal_request", args=[job.pk]))
    expect(status(page)).to_have_text("已办结")
    page.select_option("#id_satisfaction", "2")
    page.fill("#id_owner_words", "还在渗水")
    page.get_by_role("button", name="否，尚未解决").click()
    dialog = page.locator("#gj-confirm")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    job.refresh_from_db()
    assert job.status == "resolved"  # nothing sent
    page.get_by_role("button", name="否，尚未解决").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="确认").click()
    expect(status(page)).to_have_text("已派单")
    job.refresh_from_db()
    assert (job.status, job.reopen_count) == ("assigned", 1)
    assert owner.problems == []
    owner.close()
