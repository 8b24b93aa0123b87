"""Parcel check-in through the API, parcels per second, against a trivial authenticated
endpoint (GET /api/v1/me) in the same run.

Set-up (not timed): one estate with 2,000 units (BENCH_UNITS), three front-desk assistants
with API tokens, ANALYZE; then the production server started exactly as scripts/serve.sh starts it
(gunicorn, WEB_WORKERS workers, the huey worker beside it) on this PostgreSQL database.

Timed, `parcel_checkin`: BENCH_PARCELS (10,000) check-ins, one POST
/api/v1/estates/{id}/parcels each (random units, unique tracking numbers, as scanners at a
busy desk send them), from 16 clients (4 processes x 4 threads, a new connection per request)
until all are answered 201; against as many GET /api/v1/me from the same clients on the same
server, in alternation (ME, CHECK-IN, ME, CHECK-IN, ... a quarter of the parcels each time) so
that both see the same machine. Target: check-in at least half the trivial rate.

Also printed, `parcel_checkin_in_process`: BENCH_IN_PROCESS_PARCELS (2,000) check-ins through
Django's test client in this process, one at a time, each followed by a GET /api/v1/me (timed
apart) - the whole Django stack without the HTTP server, the cost of the code alone.

Nobody lives in the units, so no notification is written (the unit's read says so); residents
cost a query for their logins, and those who sign in an inbox row and its outbox rows each.

    bench/run.sh parcel_checkin
    BENCH_PARCELS=2000 bench/run.sh parcel_checkin     # a quick run
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import threading
import time
from decimal import Decimal

from bench.harness import report, setup_django
from bench.served import call, served

setup_django()

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402

from guanjia.accounts.actions import issue_api_token  # noqa: E402
from guanjia.accounts.models import Posting, User  # noqa: E402
from guanjia.estates.actions import create_company, create_estate, create_zone  # noqa: E402
from guanjia.estates.models import Building, Unit  # noqa: E402
from guanjia.frontdesk.models import Parcel  # noqa: E402

UNITS = int(os.environ.get("BENCH_UNITS", "2000"))
PARCELS = int(os.environ.get("BENCH_PARCELS", "10000"))
IN_PROCESS_PARCELS = int(os.environ.get("BENCH_IN_PROCESS_PARCELS", "2000"))
PROCESSES, THREADS = 4, 4  # 16 clients
ROUNDS = 4  # ME, CHECK-IN, ME, CHECK-IN, ... a quarter of the parcels each time
COURIERS = ["顺丰", "京东", "中通", "圆通", "韵达", "EMS", "申通"]
SHELVES = [f"{row}{n}" for row in "ABCD" for n in range(1, 9)]
SEED = 7


def build() -> tuple[int, list[int], list[str]]:
    company = create_company(actor=None, name="基准物业", code="bench-parcels")
    estate = create_estate(actor=None, company=company, name="快递小区", code="bench-parcels", kind="high_rise")
    zone = create_zone(actor=None, estate=estate, code="Z01", name="基准区")
    buildings = [Building.objects.create(estate=estate, code=str(n), name=f"{n}号楼", floors=30) for n in range(1, 11)]
    per_building = -(-UNITS // len(buildings))
    units = []
    for building in buildings:
        for index in range(per_building):
            floor, room = divmod(index, 4)
            number = f"{floor + 1:02d}{room + 1:02d}"
            units.append(
                Unit(
                    estate=estate,
                    building=building,
                    zone=zone,
                    entrance="1",
                    number=number,
                    code=Unit.make_code(building.code, "1", number),
                    floor=floor + 1,
                    area=Decimal("98.50"),
                    house_type="high_rise",
                    status="occupied",
                )
            )
    Unit.objects.bulk_create(units[:UNITS])
    tokens = []
    for desk in range(3):
        assistant = User.objects.create_user(username=f"bench-desk{desk}", password=None, display_name="基准助理")
        Posting.objects.create(user=assistant, estate=estate, post="assistant")
        tokens.append(issue_api_token(actor=assistant, user=assistant, name="bench")[1])
    unit_ids = list(Unit.objects.filter(estate=estate).values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as a live database has them
    return estate.pk, unit_ids, tokens


def parcel_bodies(unit_ids: list[int], first: int, count: int) -> list[bytes]:
    rng = random.Random(SEED + first)
    return [
        json.dumps(
            {
                "unit_id": rng.choice(unit_ids),
                "recipient_name": "业主",
                "shelf": rng.choice(SHELVES),
                "courier": rng.choice(COURIERS),
                "tracking_number": f"BENCH{number:010d}",
            },
            ensure_ascii=False,
        ).encode()
        for number in range(first, first + count)
    ]


def client_process(args: tuple) -> int:
    """THREADS clients in one process sending their share of the calls one after the other;
    returns how many were not answered as expected."""
    port, method, path, tokens, bodies, expected = args
    failures = [0]
    lock = threading.Lock()

    def client(number: int) -> None:
        token = tokens[number % len(tokens)]
        bad = sum(call(port, method, path, token, body) != expected for body in bodies[number::THREADS])
        with lock:
            failures[0] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures[0]


def served_rate(pool, port: int, method: str, path: str, tokens: list[str], bodies: list, expected: int) -> float:
    """Calls per second for all of `bodies` (one call each, None for a GET), spread over the
    16 clients, from the first call to the last answer."""
    shares = [(port, method, path, tokens, bodies[p::PROCESSES], expected) for p in range(PROCESSES)]
    started = time.monotonic()
    failures = sum(pool.map(client_process, shares))
    elapsed = time.monotonic() - started
    if failures:
        raise SystemExit(f"{method} {path}: {failures} unexpected answers")
    return len(bodies) / elapsed


def measure_served(estate_id: int, unit_ids: list[int], tokens: list[str]) -> None:
    url = f"/api/v1/estates/{estate_id}/parcels"
    bounds = [PARCELS * n // ROUNDS for n in range(ROUNDS + 1)]
    rounds = [parcel_bodies(unit_ids, start, end - start) for start, end in zip(bounds, bounds[1:], strict=False)]
    with served(tokens[0], "parcels") as port:
        connections.close_all()  # the client processes are forked: they must not share it
        with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
            served_rate(pool, port, "GET", "/api/v1/me", tokens, [None] * 400, 200)  # warm every worker up
            me_seconds = checkin_seconds = 0.0
            for bodies in rounds:
                gets = [None] * len(bodies)
                me_seconds += len(bodies) / served_rate(pool, port, "GET", "/api/v1/me", tokens, gets, 200)
                checkin_seconds += len(bodies) / served_rate(pool, port, "POST", url, tokens, bodies, 201)
    if Parcel.objects.filter(estate_id=estate_id).count() != PARCELS:
        raise SystemExit("not every parcel was checked in")
    rate, trivial_rate = PARCELS / checkin_seconds, PARCELS / me_seconds
    report("parcel_checkin", rate, "parcels/s", trivial_rate)
    workers = os.environ.get("WEB_WORKERS", "3")
    print(f"# {PROCESSES * THREADS} clients, gunicorn {workers} workers; {PARCELS} parcels")
    print(f"# target: at least half the trivial endpoint's rate: {'met' if rate >= trivial_rate / 2 else 'MISSED'}")


def measure_in_process(estate_id: int, unit_ids: list[int], token: str) -> None:
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/estates/{estate_id}/parcels"
    bodies = parcel_bodies(unit_ids, PARCELS, IN_PROCESS_PARCELS)
    # Warm-up: the first requests load URL patterns, the OpenAPI models, connections.
    for _ in range(50):
        assert client.get("/api/v1/me").status_code == 200
    # Interleaved, one check-in then one trivial request, so that both see the same machine.
    checkin_seconds = trivial_seconds = 0.0
    for body in bodies:
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        checkin_seconds += time.perf_counter() - started
        if response.status_code != 201:
            raise SystemExit(f"check-in refused: {response.status_code} {response.content[:300]!r}")
        started = time.perf_counter()
        response = client.get("/api/v1/me")
        trivial_seconds += time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit("GET /api/v1/me failed")
    report("parcel_checkin_in_process", len(bodies) / checkin_seconds, "parcels/s", len(bodies) / trivial_seconds)


def main() -> None:
    estate_id, unit_ids, tokens = build()
    measure_served(estate_id, unit_ids, tokens)
    if IN_PROCESS_PARCELS:
        measure_in_process(estate_id, unit_ids, tokens[0])


if __name__ == "__main__":
    main()
