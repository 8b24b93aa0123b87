"""The crawl: every page kind each post can reach, in a real browser, at desk and phone size.

The small demo company (one estate, every post, a few weeks of activity) is loaded into the
live server's database. Each post of the demo signs in and follows the links from its home
page, breadth first, opening each page kind (URL pattern, by its resolved url_name) once. Every
page is opened once, at the size the last page was left at, and looked at in both sizes,
390×844 and 1366×900, without reloading; each page must have:

- no horizontal overflow on the phone (document.scrollingElement.scrollWidth > innerWidth);
- no English words in its visible text, beyond an allow-list (API, PDF, Excel, brands …) and
  what the page sets apart as a code (<code>, <kbd>, <samp>, translate="no");
- no ISO or UTC timestamps (2026-12-01T09:12, +00:00, UTC, "2026-12-0109:12");
- no unformatted money (more than two decimals, or a figure without ¥ in a column whose
  header names an amount: 金额, 应收, 实收, 欠费, 余额, 合计 …; dates, rates, prices and counts
  aside);
- no serious or critical axe-core violation (axe-core from npm);
- no violation of the Content-Security-Policy, no script error, no answer of 400 and above,
  and htmx loaded with evaluation off;
- no link to a page its reader may not open (a dead link: 404 or the sign-in page).

axe-core is evaluated in the page through the browser's debugging protocol, which the
Content-Security-Policy does not govern: the same page load serves the policy check and axe,
and axe leaves no violation behind. axe, the slow check, runs once per page kind (for the
first post that reaches it, at the size the page is at then); the others run for every post.
All failures are collected and reported at once, grouped by page; the page counts and the
crawl's time are printed (`pytest -s`).
"""

from __future__ import annotations

import functools
import io
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import Resolver404, resolve

from tests.support import CHROMIUM

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "guanjia-demo-2026"
DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# One login per post of the demo company (docs/demo-logins.md).
LOGINS = {
    "manager": "manager",
    "deputy": "deputy",
    "head butler": "headbutler",
    "butler": "butler1",
    "assistant": "assistant1",
    "finance": "finance",
    "general affairs": "general",
    "technician": "technician",
    "owner": "owner",
}

# Page kinds not crawled: they sign out, switch the language, or answer with a file (a PDF, a
# workbook, a photo) or a fragment for htmx rather than a page.
NOT_PAGES = {
    "logout",
    "set_language",
    "api_docs",
    "billing:receipt",
    "billing:export_arrears",
    "billing:export_journal",
    "billing:export_receivables",
    "billing:run_progress",
    "frontdesk:custody_photo",
    "frontdesk:visitor_export",
    "people:attachment",
    "people_import:export",
    "people_import:template",
    "people_import:progress",
    "servicedesk:photo",
    "frontdesk:events",
}

# TEMPORARY (issue 12): failures of pages other helpers are rebuilding at the time of writing
# (the workbenches, the field pages, the owner portal, the desk and billing pages). Each entry
# is (url_name, check); the lead empties this set once their work is merged, and the crawl
# then holds every page to every check. Layout-wide failures are fixed in base.html and
# guanjia.css instead of being listed here.
KNOWN_FAILURES: set[tuple[str, str]] = {}

# Words in Latin letters that belong in a Chinese page: abbreviations people use as they are,
# brands, units.
ENGLISH_ALLOWED = {
    "API",
    "PDF",
    "Excel",
    "xlsx",
    "QR",
    "SMS",
    "ID",
    "URL",
    "HTTP",
    "HTTPS",
    "OpenAPI",
    "Token",
    "WeChat",
    "Alipay",
    "Guanjia",
    "VIP",
    "kWh",
    "SLA",
    "CSV",
    "JSON",
    "iOS",
    "Android",
    "App",
    "PM",
    "AM",
    "JPEG",
    "PNG",
    "WebP",
    "KB",
    "MB",
    "POS",  # the card terminal at the cashier, as staff call it
    "zs",  # the search box's example of pinyin initials (张三)
}
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_@.\-/])[A-Za-z]{2,}(?![A-Za-z0-9_@\-/])")
TIMESTAMPS = [
    re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),  # ISO 8601
    re.compile(r"\d{4}-\d{2}-\d{4}:\d{2}"),  # a date and a time run together
    re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)\b"),  # an offset
    re.compile(r"\bUTC\b"),
]
LONG_DECIMAL = re.compile(r"(?<![\d.])\d[\d,]*\.\d{3,}(?![\d.])")
MONEY_HEADER = re.compile(r"金额|应收|实收|已缴|欠费|欠缴|余额|合计|应缴|实缴")
NOT_MONEY_HEADER = re.compile(r"率|单价|户数|笔数|数量|期数|张数|月数|天数|次数|日期|时间|日|月份")

# Runs in the page: what the checks need, in one round trip.
LOOK = """async () => {
  // After a change of size: the next frame, by which the page has had its resize event.
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const visible = (element) => !!(element.offsetWidth || element.offsetHeight || element.getClientRects().length);
  const text = document.body.innerText;
  // Figures in the columns whose header names an amount of money.
  const money = [];
  for (const table of document.querySelectorAll("table")) {
    if (!visible(table)) continue;
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.innerText.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, index) => {
        if (headers[index] !== undefined && visible(cell)) money.push([headers[index], cell.innerText.trim()]);
      });
    }
  }
  // Figures that the page labels as money beside them (a description list, a stat tile).
  for (const cell of document.querySelectorAll("[data-money]")) money.push(["data-money", cell.innerText.trim()]);
  return {
    overflow: document.scrollingElement.scrollWidth - window.innerWidth,
    text,
    placeholders: [...document.querySelectorAll("input[placeholder], textarea[placeholder]")]
      .filter(visible).map((field) => field.placeholder),
    money,
    violations: window.__violations || [],
    // htmx loaded, and evaluates no code (the policy forbids eval).
    links: [...document.querySelectorAll("a[href]")]
      .filter((a) => !a.hasAttribute("download") && a.getAttribute("href") !== "#")
      .map((a) => a.href),
    htmx: typeof window.htmx === "object" && window.htmx.config.allowEval === false,
    // Codes and names in Latin letters set apart as such (a login name, an estate's code).
    exempt: [...document.querySelectorAll("code, kbd, samp, [translate=no]")].map((element) => element.innerText),
  };
}"""

AXE_RUN = """async () => {
  if (typeof window.axe === "undefined") { AXE_SOURCE; }
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}×, e.g. ${v.nodes[0].target.join(" ")})`);
}"""

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@dataclass
class Crawl:
    """What the crawl saw: failures by page, and the pages opened per post."""

    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    known: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    pages: dict[str, list[str]] = field(default_factory=dict)
    axed: set[str] = field(default_factory=set)
    known_checks: set[tuple[str, str]] = field(default_factory=set)

    def fail(self, post: str, url_name: str, url: str, check: str, detail: str) -> None:
        where = f"{url_name} ({post}) {url}"
        known = (url_name, check) in KNOWN_FAILURES
        if known:
            self.known_checks.add((url_name, check))
        target = self.known if known else self.failures
        target[where].append(f"[{check}] {detail}")

    def report(self) -> str:
        lines = []
        for where, problems in sorted(self.failures.items()):
            lines.append(where)
            lines.extend(f"    {problem}" for problem in problems)
        return "\n".join(lines)


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def url_name_of(url: str, origin: str) -> str | None:
    """The URL pattern's name of a link to a page of the app; None for anything else."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith(("/static/", "/media/", "/api/")):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    name = match.view_name
    return None if not name or name in NOT_PAGES else name


def english_words(text: str, exempt: list[str]) -> list[str]:
    codes = {word for code in exempt for word in LATIN_WORD.findall(code)}
    return sorted({word for word in LATIN_WORD.findall(text) if word not in ENGLISH_ALLOWED and word not in codes})


def timestamps(text: str) -> list[str]:
    return sorted({match.group(0) for pattern in TIMESTAMPS for match in pattern.finditer(text)})


def unformatted_money(look: dict) -> list[str]:
    found = {f"{match.group(0)} (more than two decimals)" for match in LONG_DECIMAL.finditer(look["text"])}
    for header, value in look["money"]:
        if header != "data-money" and (not MONEY_HEADER.search(header) or NOT_MONEY_HEADER.search(header)):
            continue
        if re.search(r"\d", value) and "¥" not in value:
            found.add(f"{header}: {value!r} without ¥")
    return sorted(found)


def text_problems(look: dict) -> dict[str, str]:
    """What the page's visible text gets wrong, by check."""
    text = "\n".join([look["text"], *look["placeholders"]])
    found = {}
    if words := english_words(text, look["exempt"]):
        found["english"] = ", ".join(words[:12])
    if stamps := timestamps(text):
        found["timestamp"] = ", ".join(stamps[:5])
    if money := unformatted_money(look):
        found["money"] = "; ".join(money[:5])
    return found


def check_text(crawl: Crawl, post: str, url_name: str, url: str, phone: dict, desk: dict) -> None:
    """The text checks at both sizes (a phone may show other text than a desk), said once
    when both sizes see the same."""
    at_phone, at_desk = text_problems(phone), text_problems(desk)
    for check in sorted(set(at_phone) | set(at_desk)):
        if at_phone.get(check) == at_desk.get(check):
            crawl.fail(post, url_name, url, check, at_phone[check])
            continue
        for size, found in (("390", at_phone), ("1366", at_desk)):
            if check in found:
                crawl.fail(post, url_name, url, check, f"{size}: {found[check]}")


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def open_context(browser, base_url: str):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("console", lambda message: console_problem(page, message))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    return context, page


def console_problem(page, message) -> None:
    if message.location.get("url", "").endswith("/favicon.ico"):
        return
    if "Content Security Policy" in message.text or message.type == "error":
        page.problems.append(f"console {message.type}: {message.text}")


def look_at(crawl: Crawl, page, post: str, url_name: str, url: str) -> list[str]:
    """The checks of one page, at the size the page was opened at (the size the last page was
    left at), then at the other: one change of size a page. Returns the page's links."""
    opened_at = page.viewport_size
    first = page.evaluate(LOOK)
    page.set_viewport_size(DESK if opened_at == PHONE else PHONE)
    second = page.evaluate(LOOK)
    phone, desk = (first, second) if opened_at == PHONE else (second, first)
    if phone["overflow"] > 0:
        crawl.fail(post, url_name, url, "overflow", f"390 px: {phone['overflow']} px wider than the screen")
    check_text(crawl, post, url_name, url, phone, desk)
    if not second["htmx"]:
        page.problems.append("htmx did not load, or may evaluate code")
    if problems := second["violations"] + page.problems:
        crawl.fail(post, url_name, url, "csp", "; ".join(problems[:5]))
    if url_name not in crawl.axed:
        # axe is the slow check (about half a second a page): each page kind once, for the
        # first post that reaches it, at the size the page is at. Evaluated through the
        # browser's debugging protocol, it is not subject to the page's Content-Security-Policy,
        # and leaves no violation behind.
        crawl.axed.add(url_name)
        if violations := page.evaluate(AXE_RUN.replace("AXE_SOURCE", axe_source())):
            size = "390" if opened_at == DESK else "1366"
            crawl.fail(post, url_name, url, "axe", f"{size}: " + "; ".join(violations))
    return second["links"]


def crawl_post(crawl: Crawl, browser, base_url: str, post: str, username: str) -> None:
    context, page = open_context(browser, base_url)
    sign_in(page, base_url, username)
    queue = deque([(page.url, "sign-in")])  # each link with the page kind it was found on
    seen: set[str] = set()
    opened: list[str] = []
    while queue:
        url, found_on = queue.popleft()
        url_name = url_name_of(url, base_url)
        if url_name is None or url_name in seen:
            continue
        seen.add(url_name)
        page.problems.clear()
        response = page.goto(url, wait_until="domcontentloaded")
        if response is None or response.status >= 400 or "/accounts/login/" in page.url:
            # A page offers a link its reader may not follow (a menu item or a tile shown to a
            # post that is refused the page behind it).
            status = response.status if response is not None else "no answer"
            crawl.fail(post, url_name, url, "dead-link", f"{status}, linked from {found_on}")
            continue
        # A link may redirect (home to the post's own home): the page kind is where it landed.
        landed = url_name_of(page.url, base_url)
        if landed != url_name:
            if landed is None or landed in seen:
                continue
            seen.add(landed)
            url_name, url = landed, page.url
        opened.append(url_name)
        queue.extend((link, url_name) for link in look_at(crawl, page, post, url_name, url))
    crawl.pages[post] = opened
    context.close()


@pytest.fixture
def demo(live_server, transactional_db):
    """The small demo company (one estate, every post, a few weeks of activity)."""
    call_command("load_demo", "--units", "40", "--estates", "1", logins_file="", stdout=io.StringIO())
    return live_server.url


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no system Chromium at {CHROMIUM}")
def test_every_page_kind_of_every_post_passes_the_checks(demo, browser):
    started = time.monotonic()
    crawl = Crawl()
    for post, username in LOGINS.items():
        crawl_post(crawl, browser, demo, post, username)
    seconds = time.monotonic() - started
    kinds = {name for names in crawl.pages.values() for name in names}
    total = sum(len(names) for names in crawl.pages.values())
    counts = ", ".join(f"{post} {len(names)}" for post, names in crawl.pages.items())
    print(f"\ncrawl: {total} pages ({len(kinds)} page kinds) at 2 sizes in {seconds:.1f} s — {counts}")
    known = sum(len(problems) for problems in crawl.known.values())
    print(f"known failures (temporary, KNOWN_FAILURES): {known} on {len(crawl.known)} page(s)")
    if gone := sorted(entry for entry in KNOWN_FAILURES if entry not in crawl.known_checks):
        print(f"KNOWN_FAILURES entries that no longer fail (remove them): {gone}")
    assert not crawl.failures, f"the crawl found problems on {len(crawl.failures)} page(s):\n{crawl.report()}"
