"""`make screenshots`: PNGs of the main pages of each post into docs/screenshots/.

Loads the demo company into a throwaway SQLite database, serves it on a free local port
(runserver, DEBUG on so that it serves the static files), signs in as each post in the
system Chromium through Playwright and photographs its main pages at desk size (1366×900)
or phone size (390×844). The file names are stable (the README and the user guides embed
them), so running it again after the pages change updates the pictures in place. With Pillow
the PNGs are reduced to 256 colours, which keeps each file small.

    .venv/bin/python scripts/screenshots.py [--units 2000] [--only desk.png ...]
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "guanjia-demo-2026"
DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Shot:
    file: str
    username: str
    size: dict
    where: Callable[[], str]  # the path to open, worked out once the demo is loaded; "" for home
    search: str = ""  # typed into the page's search box, if it has one, before the picture


def estate_url(name: str) -> Callable[[], str]:
    def where() -> str:
        from django.urls import reverse

        return reverse(name, args=[demo_estate_id()])

    return where


def home() -> str:
    return ""


def first_request() -> str:
    """A repair request with a few steps behind it: the request page at its most telling."""
    from django.urls import reverse

    from guanjia.servicedesk.models import ServiceRequest

    service_request = ServiceRequest.objects.filter(estate_id=demo_estate_id()).order_by("-pk").first()
    return reverse("servicedesk:request", args=[service_request.pk]) if service_request else ""


def cashier() -> str:
    """The cashier of the first unit that owes something."""
    from django.urls import reverse

    from guanjia.billing.models import Bill

    bill = Bill.objects.filter(unit__building__estate_id=demo_estate_id(), status="open").order_by("pk").first()
    return reverse("billing:cashier", args=[bill.unit_id]) if bill else ""


def demo_estate_id() -> int:
    from guanjia.estates.models import Estate

    return Estate.objects.filter(company__code="anju-demo").order_by("pk").values_list("pk", flat=True)[0]


SHOTS = [
    Shot("manager-workbench.png", "manager", DESK, home),
    Shot("manager-complaints.png", "manager", DESK, estate_url("servicedesk:complaints")),
    Shot("headbutler-workbench.png", "headbutler", DESK, home),
    Shot("headbutler-board.png", "headbutler", DESK, estate_url("servicedesk:board")),
    Shot("butler-zone.png", "butler1", DESK, home),
    Shot("butler-phone.png", "butler1", PHONE, home),
    Shot("desk.png", "assistant1", DESK, home),
    Shot("desk-search.png", "assistant1", DESK, estate_url("people:frontdesk"), search="1-1-01"),
    Shot("desk-parcels.png", "assistant1", DESK, estate_url("frontdesk:parcels")),
    Shot("intake.png", "assistant1", DESK, estate_url("servicedesk:intake")),
    Shot("request.png", "headbutler", DESK, first_request),
    Shot("finance-home.png", "finance", DESK, home),
    Shot("finance-collection.png", "finance", DESK, estate_url("billing:collection")),
    Shot("cashier.png", "finance", DESK, cashier),
    Shot("general-staff.png", "general", DESK, home),
    Shot("technician-phone.png", "technician", PHONE, home),
    Shot("owner-portal.png", "owner", PHONE, home),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own local server)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer within {seconds:.0f} s")


def optimise(png: bytes) -> bytes:
    """256 colours and zlib's best: about a quarter of the size, and screenshots of a UI keep
    their look. Without Pillow the PNG stays as Chromium wrote it."""
    try:
        from PIL import Image
    except ImportError:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png


def photograph(base_url: str, shots: list[Shot]) -> None:
    from playwright.sync_api import sync_playwright

    # The paths first: Django refuses database queries once Playwright's event loop runs.
    paths = [shot.where() for shot in shots]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for shot, path in zip(shots, paths, strict=True):
            context = browser.new_context(
                locale="zh-CN", timezone_id="Asia/Shanghai", viewport=shot.size, device_scale_factor=1
            )
            page = context.new_page()
            page.goto(base_url + "/accounts/login/")
            page.fill("#id_username", shot.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            if path:
                page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
            box = page.locator("main input[name=q]")
            if shot.search and box.count():
                box.first.fill(shot.search)
                page.wait_for_timeout(800)  # the live search's pause before it asks
                page.wait_for_load_state("networkidle")
            page.wait_for_timeout(600)  # the charts' entry animation and the toasts' fade
            png = optimise(page.screenshot(full_page=False))
            (OUT / shot.file).write_bytes(png)
            print(f"  {shot.file:28} {shot.username:11} {page.url.removeprefix(base_url):40} {len(png) // 1024} KB")
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000, help="the demo's size (2000, the default demo)")
    parser.add_argument("--only", nargs="*", default=None, help="only these files, e.g. desk.png")
    arguments = parser.parse_args()
    shots = [shot for shot in SHOTS if not arguments.only or shot.file in arguments.only]

    folder = Path(tempfile.mkdtemp(prefix="guanjia-screens-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'demo.sqlite3'}"
    os.environ["DJANGO_DEBUG"] = "1"  # runserver serves the static files from their sources
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django
    from django.core.management import call_command

    django.setup()
    print(f"Loading the demo into {folder} …")
    call_command("migrate", verbosity=0)
    call_command("load_demo", "--units", str(arguments.units), logins_file="", stdout=io.StringIO())

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for(base_url + "/accounts/login/")
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"Photographing {len(shots)} pages into {OUT.relative_to(BASE_DIR)}/:")
        photograph(base_url, shots)
    finally:
        server.terminate()
        server.wait(timeout=10)
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
