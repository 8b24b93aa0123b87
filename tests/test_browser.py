"""The front desk in a real browser: Debian's Chromium driven by Playwright against the live
server. The assistant signs in through the login form, finds 张三 by pinyin initials and by
phone tail (htmx live search), and opens his unit."""

from __future__ import annotations

import os
import re

import pytest
from django.urls import reverse

from tests.support import CHROMIUM, PASSWORD, SCREENS

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no system Chromium at {CHROMIUM} (Debian package 'chromium')", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Anything that goes wrong in the page: script errors, and answers of 400 and above
    # (a missing htmx file would show up here).
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    yield page
    context.close()


def test_assistant_finds_zhang_san_at_the_front_desk(live_server, live_cast, page):
    cast = live_cast
    SCREENS.mkdir(parents=True, exist_ok=True)

    # Sign in through the real form (django-axes sees the request, as in production).
    page.goto(live_server.url + reverse("login"))
    expect(page.locator("h1")).to_contain_text("管家")
    page.fill("#id_username", "assistant")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    # The assistant's home is today at the desk; the people search is the desk's other page, in Chinese.
    page.wait_for_url(live_server.url + reverse("frontdesk:today", args=[cast.estate.pk]))
    frontdesk = live_server.url + reverse("people:frontdesk", args=[cast.estate.pk])
    page.goto(frontdesk)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("翠湖苑 · 前台")
    search = page.locator("input[name=q]")
    expect(search).to_have_attribute("placeholder", re.compile("拼音首字母"))
    page.wait_for_load_state("load")
    assert page.evaluate("() => typeof window.htmx") == "object", "htmx.min.js did not load"

    # Pinyin initials: the live search asks for the results fragment (an htmx request).
    results = page.locator("#results")
    with page.expect_request(lambda r: "q=zs" in r.url and r.headers.get("hx-request") == "true"):
        search.fill("zs")
    people = results.locator("table.people-results")
    expect(people).to_contain_text("张三")
    expect(people).to_contain_text("138****1234")
    expect(people).not_to_contain_text("李四")
    expect(page).to_have_url(re.compile(r"\?q=zs$"))
    expect(page.locator("h1")).to_have_count(1)  # a fragment was swapped in, not a whole page

    # Emptying the box empties the results, so that what shows next comes from the next search.
    search.fill("")
    expect(people).to_have_count(0)

    # The last four digits of the phone.
    with page.expect_request(lambda r: "q=1234" in r.url and r.headers.get("hx-request") == "true"):
        search.fill("1234")
    expect(page).to_have_url(re.compile(r"\?q=1234$"))  # hx-push-url, after the swap
    expect(people).to_contain_text("张三")
    expect(people).to_contain_text("138****1234")
    expect(people).to_contain_text("1-1-1201")
    assert "13812341234" not in page.content()
    page.screenshot(path=str(SCREENS / "frontdesk-search.png"), full_page=True)

    # Open the unit.
    people.get_by_role("link", name="1-1-1201").click()
    page.wait_for_url(live_server.url + reverse("people:unit", args=[cast.unit_a.pk]))
    expect(page.locator("h1")).to_have_text("翠湖苑 1-1-1201")
    residents = page.locator("#residents")
    expect(residents).to_contain_text("张三")
    expect(residents).to_contain_text("138****1234")
    assert "13812341234" not in page.content()
    page.screenshot(path=str(SCREENS / "frontdesk.png"), full_page=True)

    assert page.problems == []
