"""The manager's workbench in a real browser (Debian's Chromium via Playwright, the live
server) at 1366×900: the manager signs in, lands on the workbench, reads the complaints tile
with its target and trend chart drawn, and follows the tile to the complaints list behind it."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.servicedesk.models import ServiceRequest
from tests.support import CHROMIUM, PASSWORD, SCREENS

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no system Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect


@pytest.mark.django_db(transaction=True)
def test_the_manager_reads_a_tile_and_opens_the_list_behind_it(live_server, cast, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    ServiceRequest.objects.create(
        estate=cast.estate,
        zone=cast.zone_a,
        kind=ServiceRequest.Kind.COMPLAINT,
        channel=ServiceRequest.Channel.PHONE,
        title="电梯噪音",
        first_responder=cast.assistant,
        received_at=timezone.now() - dt.timedelta(minutes=30),
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    try:
        page.goto(live_server.url + reverse("login"))
        page.fill("#id_username", "manager")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + reverse("reports:workbench", args=[cast.estate.pk]))
        expect(page.locator("h1")).to_have_text("翠湖苑 · 工作台")
        tile = page.locator('[data-tile="complaints"]')
        expect(tile).to_contain_text("本月投诉")
        expect(tile.locator("[data-value]")).to_have_text("1")
        # The trend is drawn (ECharts renders SVG into the tile), the rates show their targets.
        expect(tile.locator(".gj-spark svg")).to_have_count(1)
        expect(page.locator('[data-tile="collection_rate"]')).to_contain_text("目标 95.0 %")
        expect(page.locator('#figures-table tr[data-figure="complaints"]')).to_contain_text("1")
        page.screenshot(path=str(SCREENS / "reports-manager-workbench.png"), full_page=True)
        tile.click()
        page.wait_for_url(f"**{reverse('servicedesk:complaints', args=[cast.estate.pk])}?month=*")
        expect(page.locator("main")).to_contain_text("电梯噪音")
        assert problems == []
    finally:
        context.close()
