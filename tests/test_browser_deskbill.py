"""The front-desk and finance workbenches in a real browser at desk size (1366×900): the
assistant lands on today at the desk, types the pickup code the collector shows and hands the
parcel over; the finance clerk lands on the billing home and opens the run from its tile."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.billing import actions as billing_actions
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.frontdesk import actions as desk_actions
from guanjia.frontdesk.models import Parcel
from tests.support import PASSWORD, SCREENS

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect
DESK = {"width": 1366, "height": 900}


def open_page(browser):
    context = browser.new_context(locale="zh-CN", viewport=DESK)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    return context, page


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def test_the_assistant_hands_a_parcel_over_from_the_pickup_code_box(live_server, live_cast, browser):
    cast = live_cast
    parcel = desk_actions.receive_parcel(
        actor=cast.assistant,
        unit=cast.unit_a,
        recipient_name="张三",
        shelf="B7",
        courier="顺丰",
        tracking_number="SF-BROWSER",
    )
    context, desk = open_page(browser)
    sign_in(desk, live_server.url, "assistant")
    expect(desk).to_have_url(live_server.url + reverse("frontdesk:today", args=[cast.estate.pk]))
    expect(desk.locator("#tile-parcels")).to_contain_text("1")

    desk.locator("#pickup-code").fill(parcel.pickup_code)
    desk.locator("#pickup-form button[type=submit]").click()
    found = desk.locator("#pickup-found")
    expect(found).to_contain_text("B7")
    expect(found).to_contain_text("1-1-1201")
    expect(desk.locator("#pickup-collector")).to_have_value("张三")
    SCREENS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENS / "frontdesk-today.png"), full_page=True)

    found.locator("button[type=submit]").click()
    expect(desk.locator(".gj-toast")).to_contain_text("SF-BROWSER")
    expect(desk.locator("#pickup-found")).to_have_count(0)
    expect(desk.locator("#tile-parcels")).to_contain_text("0")
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.HANDED_OVER and parcel.handed_over_by == cast.assistant
    assert desk.locator("body").evaluate("b => b.scrollWidth <= window.innerWidth")
    assert desk.problems == []
    context.close()


def test_finance_reads_the_billing_home_and_opens_the_run(live_server, live_cast, browser):
    cast = live_cast
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=Decimal("2.5000"), valid_from=datetime.date(2020, 1, 1))
    billing_actions.run_billing(
        actor=cast.finance, estate=cast.estate, period_start=timezone.localdate().replace(day=1)
    )
    billing_actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    context, page = open_page(browser)
    sign_in(page, live_server.url, "finance")
    expect(page).to_have_url(live_server.url + reverse("billing:home", args=[cast.estate.pk]))
    expect(page.locator("#period-billed")).to_have_text("¥523.75")
    expect(page.locator("#taken-today")).to_have_text("¥100.00")
    expect(page.locator("#reversals-waiting")).to_have_text("0")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "billing-home.png"), full_page=True)
    page.locator("#tile-run").click()
    page.wait_for_load_state("load")
    assert "/billing/runs/" in page.url
    assert page.problems == []
    context.close()
