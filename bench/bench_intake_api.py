"""Intake through the API at 16 concurrent clients on the production server: requests/s.

Set-up (not timed): an estate of 2,000 units in 4 zones with their butlers, a head butler and
three front-desk assistants, each assistant with a bearer token, ANALYZE; then the production server
started exactly as scripts/serve.sh starts it (gunicorn, WEB_WORKERS workers, the huey worker
beside it) on this PostgreSQL database.

Timed: 16 clients (4 processes x 4 threads, a new connection per request as gunicorn's sync
workers close each one) POST /api/v1/estates/{id}/requests as fast as they get answers —
a phone repair for a random unit, or an inquiry, a complaint, a common-area repair — each
answered 201 with the new request and its timeline. The baseline is the trivial
authenticated endpoint GET /api/v1/me on the same server in the same run, measured in
alternation with intake (ME, INTAKE, ME, INTAKE) so that both see the same machine.
Target: intake at least half the baseline's rate.

    bench/run.sh intake_api
    BENCH_SECONDS=5 bench/run.sh intake_api                 # a quick run
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import threading
import time

from bench.harness import report, setup_django
from bench.served import call, served

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402

from guanjia.accounts.actions import issue_api_token  # noqa: E402
from guanjia.accounts.models import Posting, User  # noqa: E402
from guanjia.estates.actions import create_company, create_estate, create_zone  # noqa: E402
from guanjia.estates.models import Building, Estate, Unit  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
PROCESSES, THREADS = 4, 4  # 16 clients
UNITS, ZONES = 2000, 4
TARGET = 0.5
CODE = "bench-intake"
SEED = 11


def staff(estate: Estate, username: str, post: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=None, display_name=username)
        Posting.objects.create(user=user, estate=estate, post=post)
    return user


def build() -> tuple[Estate, list[int], list[str]]:
    estate = Estate.objects.filter(code=CODE).first()
    if estate is None:
        company = create_company(actor=None, name="基准受理物业", code=CODE)
        estate = create_estate(actor=None, company=company, name="基准受理小区", code=CODE, kind="high_rise")
        zones = []
        for n in range(ZONES):
            zone = create_zone(actor=None, estate=estate, code=f"Z{n}", name=f"{n}区")
            zone.butler = staff(estate, f"intake_butler{n}", "butler")
            zone.save(update_fields=["butler"])
            zones.append(zone)
        buildings = Building.objects.bulk_create(
            [Building(estate=estate, code=str(n), name=f"{n}号楼", floors=25) for n in range(1, 21)]
        )
        Unit.objects.bulk_create(
            [
                Unit(
                    estate=estate,
                    building=buildings[n // 100],
                    zone=zones[n * ZONES // UNITS],
                    entrance="1",
                    number=f"{n % 100 // 4 + 1:02d}{n % 4 + 1:02d}",
                    code=Unit.make_code(buildings[n // 100].code, "1", f"{n % 100 // 4 + 1:02d}{n % 4 + 1:02d}"),
                    floor=n % 100 // 4 + 1,
                    area="96.00",
                    house_type="high_rise",
                    status="occupied",
                )
                for n in range(UNITS)
            ]
        )
    staff(estate, "intake_head_butler", "head_butler")
    tokens = []
    for n in range(3):
        assistant = staff(estate, f"intake_assistant{n}", "assistant")
        tokens.append(issue_api_token(actor=assistant, user=assistant, name="bench")[1])
    units = list(Unit.objects.filter(estate=estate).values_list("id", flat=True))
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as a live database has them
    return estate, units, tokens


def intake_body(rng: random.Random, units: list[int]) -> bytes:
    roll = rng.random()
    if roll < 0.6:
        body = {"kind": "repair_in_unit", "channel": "phone", "title": "厨房水管漏水", "unit_id": rng.choice(units)}
    elif roll < 0.8:
        body = {"kind": "inquiry", "channel": "walk_in", "title": "咨询物业费", "unit_id": rng.choice(units)}
    elif roll < 0.9:
        body = {"kind": "complaint", "channel": "phone", "title": "夜间噪音", "unit_id": rng.choice(units)}
    else:
        body = {"kind": "repair_common", "channel": "patrol", "priority": "urgent", "title": "3号楼电梯异响"}
    return json.dumps(body, ensure_ascii=False).encode()


def client_process(args: tuple) -> tuple[int, int]:
    """THREADS clients in one process, each sending one request after the other until the
    end time; returns (answers as expected, other answers)."""
    port, what, path, tokens, units, until, seed = args
    counts = [0, 0]
    lock = threading.Lock()

    def client(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        token = tokens[number % len(tokens)]
        good = bad = 0
        while time.monotonic() < until:
            if what == "intake":
                status = call(port, "POST", path, token, intake_body(rng, units))
                ok = status == 201
            else:
                ok = call(port, "GET", path, token) == 200
            good, bad = (good + 1, bad) if ok else (good, bad + 1)
        with lock:
            counts[0] += good
            counts[1] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts[0], counts[1]


def rate(pool, port: int, what: str, path: str, tokens: list[str], units: list[int], seed: int) -> float:
    started = time.monotonic()
    until = started + SECONDS
    results = pool.map(client_process, [(port, what, path, tokens, units, until, seed + p) for p in range(PROCESSES)])
    elapsed = time.monotonic() - started
    good = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    if bad:
        raise SystemExit(f"{what}: {bad} unexpected answers (and {good} good ones)")
    return good / elapsed


def main() -> None:
    estate, units, tokens = build()
    with served(tokens[0], "intake") as port:
        path = f"/api/v1/estates/{estate.pk}/requests"
        connections.close_all()  # the client processes are forked: they must not share it
        with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
            rate(pool, port, "me", "/api/v1/me", tokens, units, 1)  # warm every worker up
            me, intake = [], []
            for round_number in range(2):
                me.append(rate(pool, port, "me", "/api/v1/me", tokens, units, 10 + round_number))
                intake.append(rate(pool, port, "intake", path, tokens, units, 20 + round_number))
    value, baseline = sum(intake) / len(intake), sum(me) / len(me)
    report("intake_api", value, "req/s", baseline)
    workers = os.environ.get("WEB_WORKERS", "3")
    print(f"# {PROCESSES * THREADS} clients, gunicorn {workers} workers, {settings.DATABASES['default']['NAME']}")
    print(f"# rounds: me {[round(r) for r in me]}, intake {[round(r) for r in intake]} req/s")
    print(f"# target at least {TARGET:.0%} of GET /me: {'met' if value >= TARGET * baseline else 'MISSED'}")


if __name__ == "__main__":
    main()
