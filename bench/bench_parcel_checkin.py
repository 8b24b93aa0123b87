"""Parcel check-in through the API: parcels per second, against a trivial authenticated
endpoint (GET /api/v1/me) in the same run, both through the whole Django stack (middleware,
bearer-token auth, ninja, the action with its pickup code and custody event).

Set-up (not timed): one estate with 2,000 units (BENCH_UNITS), a front-desk assistant with
an API token.

Timed: BENCH_PARCELS (10,000) check-ins, one POST /api/v1/estates/{id}/parcels each, random
units and unique tracking numbers, as a scanner at a busy desk sends them, each followed by
a GET /api/v1/me with the same token (timed apart). Target: check-in at least half the
trivial rate. The units have no portal users, so no notification is written (the unit's
query tells the action so); a notification adds an inbox row and its outbox rows.

    bench/run.sh parcel_checkin
    BENCH_PARCELS=2000 bench/run.sh parcel_checkin     # a quick run
"""

from __future__ import annotations

import json
import os
import random
import time
from decimal import Decimal

from bench.harness import report, setup_django

setup_django()

from django.test import Client  # noqa: E402

from guanjia.accounts.actions import issue_api_token  # noqa: E402
from guanjia.accounts.models import Posting, User  # noqa: E402
from guanjia.estates.actions import create_company, create_estate, create_zone  # noqa: E402
from guanjia.estates.models import Building, Unit  # noqa: E402
from guanjia.frontdesk.models import Parcel  # noqa: E402

UNITS = int(os.environ.get("BENCH_UNITS", "2000"))
PARCELS = int(os.environ.get("BENCH_PARCELS", "10000"))
COURIERS = ["顺丰", "京东", "中通", "圆通", "韵达", "EMS", "申通"]
SHELVES = [f"{row}{n}" for row in "ABCD" for n in range(1, 9)]
SEED = 7


def build() -> tuple[int, list[int], str]:
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
    assistant = User.objects.create_user(username="bench-desk", password=None, display_name="基准助理")
    Posting.objects.create(user=assistant, estate=estate, post="assistant")
    _, token = issue_api_token(actor=assistant, user=assistant, name="bench")
    unit_ids = list(Unit.objects.filter(estate=estate).values_list("id", flat=True))
    return estate.pk, unit_ids, token


def main() -> None:
    estate_id, unit_ids, token = build()
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(SEED)
    url = f"/api/v1/estates/{estate_id}/parcels"
    bodies = [
        json.dumps(
            {
                "unit_id": rng.choice(unit_ids),
                "recipient_name": "业主",
                "shelf": rng.choice(SHELVES),
                "courier": rng.choice(COURIERS),
                "tracking_number": f"BENCH{number:010d}",
            }
        )
        for number in range(PARCELS)
    ]
    # Warm-up: the first requests load URL patterns, the OpenAPI models, connections.
    for _ in range(50):
        assert client.get("/api/v1/me").status_code == 200
    # Interleaved, one check-in then one trivial request, so that both see the same machine
    # (these runs share two cores with other work).
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
    assert Parcel.objects.filter(estate_id=estate_id).count() == PARCELS
    rate, trivial_rate = PARCELS / checkin_seconds, PARCELS / trivial_seconds
    report("parcel_checkin", rate, "parcels/s", trivial_rate)
    print(f"# target: at least half the trivial endpoint's rate: {'met' if rate >= trivial_rate / 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
