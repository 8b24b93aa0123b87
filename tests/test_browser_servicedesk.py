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

    def __init__(self, browser, live_server, username: str, *, phone: bool = False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
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
        """Open the small form of one action on the request page, fill it, send it."""
        box = self.page.locator(f"#action-{action}")
        if box.get_attribute("open") is None:
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
    assert actions_taken == ["receive", "assign", "start", "resolve", "return_visit", "close"]
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
