"""Billing in a real browser (Debian's Chromium via Playwright, the live server and a real huey
worker): finance starts a billing run and watches the htmx progress bar fill up, records a
payment at the cashier and lands on its receipt; the owner sees the bill on a phone-sized
portal page with the pay-online button."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

import pytest
from django.urls import reverse

from guanjia.billing.models import Bill, Payment
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.testing import run_worker
from tests.support import CHROMIUM, PASSWORD, SCREENS

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no system Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect


def new_page(browser, **options):
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    return context, page


def sign_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


@pytest.mark.django_db(transaction=True)
def test_billing_run_progress_cashier_and_owner_portal(live_server, cast, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=Decimal("2.5000"), valid_from=datetime.date(2025, 1, 1))

    context, page = new_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(page, live_server, "finance")
    with run_worker():
        page.goto(live_server.url + reverse("billing:run", args=[cast.estate.pk]))
        expect(page.locator("h1")).to_contain_text("计费")
        page.fill("#id_period_start", "2025-07")
        page.click("#run-form button[type=submit]")
        # The preview: two bills, 523.75 in all; the confirmation queues the run.
        expect(page.locator("#preview-bills")).to_have_text("2")
        expect(page.locator("#preview-total")).to_have_text("¥523.75")
        page.click("#run-confirm button[type=submit]")
        card = page.locator("#billing-run")
        # The card polls its fragment until the worker has finished.
        expect(card).to_have_attribute("data-status", "succeeded", timeout=60_000)
        expect(card.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
        expect(card).to_contain_text("完成")
    page.screenshot(path=str(SCREENS / "billing-run.png"), full_page=True)
    assert Bill.objects.filter(period_start=datetime.date(2025, 7, 1)).count() == 2

    # The cashier: a part payment, oldest first; the receipt page opens with its number and the amount in words.
    page.goto(live_server.url + reverse("billing:cashier", args=[cast.unit_a.pk]))
    page.select_option("#id_method", "cash")
    # Ticking a bill fills the amount with what it owes (static/js/cashier.js); unticking empties it.
    page.check("#id_bills_0")
    expect(page.locator("#id_amount")).to_have_value("223.75")
    page.uncheck("#id_bills_0")
    expect(page.locator("#id_amount")).to_have_value("")
    page.fill("#id_amount", "100.00")
    page.click("main button[type=submit]")
    payment = Payment.objects.get()
    page.wait_for_url(live_server.url + reverse("billing:payment", args=[payment.pk]) + "?new=1")
    expect(page.locator("h1")).to_contain_text("00000001")
    expect(page.locator("main")).to_contain_text("壹佰元整")
    expect(page.locator("#print-receipt")).to_have_text("打印收据")
    page.screenshot(path=str(SCREENS / "billing-payment.png"), full_page=True)

    # The collection rate of July: 100.00 received of 523.75 receivable.
    page.goto(live_server.url + reverse("billing:collection", args=[cast.estate.pk]) + "?month=2025-07")
    expect(page.locator("#collection-rate")).to_have_text("19.09%")
    expect(page.locator("table.by-butler")).to_contain_text("周管家")
    page.screenshot(path=str(SCREENS / "billing-collection.png"), full_page=True)
    assert page.problems == []
    context.close()

    # The owner, on a phone.
    context, phone = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(phone, live_server, "owner")
    phone.goto(live_server.url + reverse("billing:portal"))
    expect(phone.locator("h1")).to_have_text("我的账单")
    expect(phone.locator(".portal-payments")).to_contain_text("00000001")
    expect(phone.locator(".owed")).to_have_text("¥123.75")  # 223.75 billed, 100.00 paid
    expect(phone.locator("button.pay-online")).to_contain_text("123.75")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the portal scrolls sideways on a phone ({width}px)"
    phone.screenshot(path=str(SCREENS / "billing-portal.png"), full_page=True)
    assert phone.problems == []
    context.close()
