"""The Content-Security-Policy in a real browser (Debian's Chromium through Playwright, live
server): the front desk searches live and scans a parcel (htmx requests, the scanner's static
script); Chromium reports no violation of the policy, no script error and no failed request.
Every page kind of every post is checked against the policy by the crawl (tests/test_crawl.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect

# Every violation the page sees, whatever the console says about it.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def open_page(browser, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("console", lambda message: console_problem(page, message))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    return context, page


def console_problem(page, message) -> None:
    """A policy violation, or any other error in the console; the browser's own request for
    /favicon.ico (there is none) aside."""
    if message.location.get("url", "").endswith("/favicon.ico"):
        return
    if "Content Security Policy" in message.text or message.type == "error":
        page.problems.append(f"console {message.type}: {message.text} {message.location}")


def check(page, where: str) -> None:
    page.wait_for_load_state("load")
    violations = page.evaluate("() => window.__violations")
    assert not violations, (where, violations)
    assert not page.problems, (where, page.problems)


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def test_htmx_requests_and_the_scanner_work_under_the_policy(live_server, live_cast, browser):
    cast = live_cast
    context, page = open_page(browser, viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "assistant")

    # The live search: an htmx GET swaps the results in.
    page.goto(live_server.url + reverse("people:frontdesk", args=[cast.estate.pk]))
    page.wait_for_load_state("load")
    with page.expect_request(lambda r: "q=zs" in r.url and r.headers.get("hx-request") == "true"):
        page.locator("input[name=q]").fill("zs")
    expect(page.locator("#results table.people-results")).to_contain_text("张三")
    check(page, "front desk search")

    # The scanner: an htmx POST, then static/js/guanjia.js empties the field for the next scan.
    page.goto(live_server.url + reverse("frontdesk:parcel_scan", args=[cast.estate.pk]))
    page.wait_for_load_state("load")
    scan = page.locator("#scan-form")
    scan.locator("[name=unit_code]").fill("1-1-1201")
    scan.locator("[name=shelf]").fill("A1")
    scanner = scan.locator("[name=tracking_number]")
    scanner.fill("SF0000000001")
    with page.expect_response(lambda r: "scan" in r.url and r.request.method == "POST"):
        scanner.press("Enter")
    expect(page.locator("#scanned tr.scan-ok")).to_contain_text("SF0000000001")
    expect(scanner).to_have_value("")
    expect(scanner).to_be_focused()
    expect(scan.locator("[name=shelf]")).to_have_value("A1")
    check(page, "scanner")
    context.close()


def test_an_injected_inline_script_is_refused(live_server, live_cast, browser):
    """The policy is really in force: a script added to the page as markup does not run."""
    context, page = open_page(browser)
    sign_in(page, live_server.url, "manager")
    page.evaluate(
        """() => {
            const holder = document.createElement("div");
            holder.innerHTML = '<img src="data:," onerror="window.__ran = 1">';
            document.body.append(holder);
            const script = document.createElement("script");
            script.textContent = "window.__ran = 2";
            document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__ran") is None
    assert page.evaluate("() => window.__violations.length") >= 2
    context.close()


def test_the_api_documentation_keeps_the_policy(live_server, live_cast, browser):
    context, page = open_page(browser)
    sign_in(page, live_server.url, "manager")
    page.goto(live_server.url + reverse("api_docs"))
    expect(page.locator("#swagger-ui")).to_contain_text("Guanjia API")
    check(page, "api docs")
    context.close()
