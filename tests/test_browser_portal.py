"""The owner's portal in a real browser on a phone (390×844, Debian's Chromium through
Playwright, the live server): the owner pays a bill online through the sandbox gateway and
finds the bill paid and its receipt."""

from __future__ import annotations

import datetime
import os
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from guanjia.billing import actions
from guanjia.billing.models import Bill, Payment, PaymentOrder
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from tests.support import CHROMIUM, PASSWORD, SCREENS

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no system Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def new_page(browser, **options):
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    return context, page


def sign_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} scrolls sideways on a phone ({width}px)"


def test_the_owner_pays_a_bill_through_the_sandbox_and_sees_the_receipt(live_server, live_cast, browser):
    cast = live_cast
    SCREENS.mkdir(parents=True, exist_ok=True)
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=Decimal("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 6, 1))
    bill = Bill.objects.get(unit=cast.unit_a)

    context, phone = new_page(browser, **PHONE)
    sign_in(phone, live_server, "owner")
    phone.goto(live_server.url + reverse("billing:portal"))
    card = phone.locator(f"[data-bill='{bill.pk}']")
    expect(card).to_contain_text("¥223.75")
    expect(card.locator(".bill-label")).to_have_text("欠费")  # due on 2025-06-01, long past
    expect(phone.locator(".breadcrumb")).to_contain_text("我的家")
    assert_fits_the_phone(phone)

    # Pay online: the sandbox's own page shows the order, with "pay" and "cancel".
    phone.locator("button.pay-online").click()
    phone.wait_for_url(re.compile(r"/billing/sandbox/GJ[^/]+/$"))
    expect(phone.locator("h1")).to_have_text("模拟支付")
    expect(phone.locator(".sandbox-amount")).to_have_text("¥223.75")
    assert_fits_the_phone(phone)
    phone.screenshot(path=str(SCREENS / "portal-sandbox-pay.png"), full_page=True)
    phone.get_by_role("button", name="确认支付 ¥223.75").click()

    # Back on the bills: paid, nothing owed, the receipt listed.
    phone.wait_for_url(live_server.url + reverse("billing:portal"))
    expect(phone.locator(".gj-toasts")).to_contain_text("支付成功，已开具收据 00000001")
    expect(phone.locator(".portal-bills")).to_contain_text("没有欠费")
    expect(phone.locator(".portal-payments")).to_contain_text("收据 00000001")
    expect(phone.locator(".portal-payments")).to_contain_text("在线支付")
    bill.refresh_from_db()
    payment = Payment.objects.get()
    assert bill.status == Bill.Status.PAID and payment.method == "online" and payment.amount == Decimal("223.75")
    assert PaymentOrder.objects.get().status == PaymentOrder.Status.PAID
    assert_fits_the_phone(phone)
    phone.screenshot(path=str(SCREENS / "portal-bills-paid.png"), full_page=True)

    # The receipt opens (a PDF in a new tab).
    with phone.expect_popup() as popup:
        phone.locator(".portal-payments button").click()
    assert popup.value.url.endswith(reverse("billing:receipt", args=[payment.pk]))
    assert phone.problems == []
    context.close()


def test_the_owner_home_on_a_phone_counts_calls_and_sends_a_visitor_pass(live_server, live_cast, browser):
    """The home's main task: see what is waiting, reach the butler, and let a visitor in —
    issue a pass, read its short code beside the QR and send it on."""
    from guanjia.frontdesk import actions as frontdesk
    from guanjia.frontdesk import passcodes
    from guanjia.frontdesk.models import VisitorPass

    cast = live_cast
    SCREENS.mkdir(parents=True, exist_ok=True)
    cast.butler.phone = "13900001111"
    cast.butler.save(update_fields=["phone"])
    frontdesk.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="A1", courier="顺丰", tracking_number="SF1"
    )
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=Decimal("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 6, 1))

    context, phone = new_page(browser, **PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(phone, live_server, "owner")  # the owner lands on their home
    expect(phone.locator("h1")).to_have_text("张三，您好")
    expect(phone.locator("[data-tile=parcels] .tile-value")).to_have_text("1")
    expect(phone.locator("[data-tile=owed] .tile-value")).to_have_text("¥223.75")
    expect(phone.locator("[data-tile=owed] .tile-note")).to_have_text("其中欠费 ¥223.75")
    expect(phone.locator("[data-tile=requests] .tile-value")).to_have_text("0")
    expect(phone.locator("a.call-butler")).to_have_attribute("href", "tel:13900001111")
    assert_fits_the_phone(phone)
    phone.screenshot(path=str(SCREENS / "portal-home.png"), full_page=True)

    # A visitor is coming: invite them.
    phone.get_by_role("link", name="访客通行证").click()
    phone.wait_for_url(live_server.url + reverse("frontdesk:my_passes"))
    phone.fill("#id_visitor_name", "刘医生")
    phone.get_by_role("button", name="生成通行证").click()
    visitor_pass = VisitorPass.objects.get()
    phone.wait_for_url(live_server.url + reverse("frontdesk:my_pass", args=[visitor_pass.pk]))
    expect(phone.locator(".pass-code")).to_have_text(passcodes.grouped(visitor_pass.code))
    expect(phone.locator(".pass-qr svg")).to_be_visible()
    assert_fits_the_phone(phone)
    phone.locator("button.pass-share").click()
    # Headless Chromium has no share sheet: the message is copied, and the page says so.
    expect(phone.locator("#pass-share-status")).to_have_text("已复制，粘贴到与访客的聊天中即可。")
    copied = phone.evaluate("() => navigator.clipboard.readText()")
    assert passcodes.grouped(visitor_pass.code) in copied and "刘医生" in copied
    phone.screenshot(path=str(SCREENS / "portal-visitor-pass.png"), full_page=True)

    # The desk types the code as read out: the visitor is let in.
    visit = frontdesk.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=visitor_pass.code.lower())
    assert visit.visitor_name == "刘医生"

    # And back home by the breadcrumbs.
    phone.locator(".breadcrumb a", has_text="我的家").click()
    phone.wait_for_url(live_server.url + reverse("accounts:portal"))
    assert phone.problems == []
    context.close()
