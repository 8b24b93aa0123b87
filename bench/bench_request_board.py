"""The head butler's board over 1,000,000 requests: p95 of GET /api/v1/estates/{id}/requests.

Set-up (not timed): one big estate (10,000 units in 5 zones) whose requests span eight
years, 1,000,000 of them (BENCH_REQUESTS for a quicker run), loaded with COPY, then ANALYZE.
As at a real service center almost all are closed or cancelled; the open ones are the last
few weeks' work plus a backlog of old ones never closed (overdue), about 1% in all.

Timed: the board as the API serves it — the whole request through Django in-process (the
test client, bearer-token auth, the ORM, serialization of 50 rows) — against the baseline of
the bare SQL query behind it (the very SQL the ORM sent, run on a cursor, rows fetched) in
the same run. Target: the board's p95 within 2x of the bare query's.

    bench/run.sh request_board
    BENCH_REQUESTS=100000 bench/run.sh request_board        # a quick run
    .venv/bin/python -m bench.bench_request_board           # again on the loaded database
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time

from bench.harness import p95_ms, report, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from guanjia.accounts.actions import issue_api_token  # noqa: E402
from guanjia.accounts.models import Posting, User  # noqa: E402
from guanjia.estates.actions import create_company, create_estate, create_zone  # noqa: E402
from guanjia.estates.models import Building, Estate, Unit  # noqa: E402
from guanjia.servicedesk import deadlines as dl  # noqa: E402
from guanjia.servicedesk import queries  # noqa: E402
from guanjia.servicedesk.models import ServiceRequest  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "300"))
UNITS, ZONES, BUILDINGS = 10_000, 5, 50
YEARS = 8
TARGET_RATIO = 2.0
SEED = 7
CODE = "bench-board"

KINDS = [  # (kind, weight): repairs and inquiries dominate a service desk
    ("repair_in_unit", 30),
    ("repair_common", 12),
    ("inquiry", 20),
    ("complaint", 6),
    ("suggestion", 3),
    ("praise", 2),
    ("agency", 8),
    ("housekeeping", 7),
    ("paid_service", 5),
    ("special_need", 2),
    ("move_in", 5),
]
CHANNELS = ["phone", "walk_in", "portal", "butler_visit", "patrol"]
OPEN_MIX = ["received", "assigned", "in_progress", "in_progress", "waiting_parts", "waiting_owner", "assigned"]


def copy_rows(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def staff(estate: Estate, username: str, post: str) -> User:
    user = User.objects.create_user(username=username, password=None, display_name=username)
    Posting.objects.create(user=user, estate=estate, post=post)
    return user


def build(count: int) -> tuple[Estate, User]:
    started = time.perf_counter()
    company = create_company(actor=None, name="基准物业", code=CODE)
    estate = create_estate(actor=None, company=company, name="基准工单小区", code=CODE, kind="high_rise")
    head = staff(estate, "bench_head_butler", "head_butler")
    desk = [staff(estate, f"bench_assistant{n}", "assistant") for n in range(3)]
    butlers = [staff(estate, f"bench_butler{n}", "butler") for n in range(ZONES)]
    technicians = [staff(estate, f"bench_tech{n}", "technician") for n in range(6)]
    zones = [create_zone(actor=None, estate=estate, code=f"Z{n}", name=f"{n}区") for n in range(ZONES)]
    for zone, butler in zip(zones, butlers, strict=True):
        zone.butler = butler
        zone.save(update_fields=["butler"])
    Building.objects.bulk_create(
        [Building(estate=estate, code=str(n), name=f"{n}号楼", floors=25) for n in range(1, BUILDINGS + 1)]
    )
    buildings = list(Building.objects.filter(estate=estate).order_by("id").values_list("id", flat=True))
    per_building = UNITS // BUILDINGS
    unit_rows = []
    for index in range(UNITS):
        building = index // per_building
        floor, room = divmod(index % per_building, 8)
        number = f"{floor + 1:02d}{room + 1:02d}"
        code = Unit.make_code(str(building + 1), "1", number)
        zone = zones[building * ZONES // BUILDINGS]
        unit_rows.append(
            (
                estate.pk,
                buildings[building],
                zone.pk,
                "1",
                number,
                code,
                floor + 1,
                "98.50",
                "high_rise",
                "occupied",
                "",
            )
        )
    copy_rows(
        Unit._meta.db_table,
        [
            "estate_id",
            "building_id",
            "zone_id",
            "entrance",
            "number",
            "code",
            "floor",
            "area",
            "house_type",
            "status",
            "note",
        ],
        unit_rows,
    )
    units = list(Unit.objects.filter(estate=estate).order_by("id").values_list("id", "zone_id"))

    rng = random.Random(SEED)
    kinds = [kind for kind, weight in KINDS for _ in range(weight)]
    now = timezone.now()
    span = dt.timedelta(days=365 * YEARS)
    recent = dt.timedelta(days=21)
    staff_ids = [user.pk for user in desk + butlers + technicians]

    def rows():
        for n in range(count):
            received = now - span * (1 - (n + rng.random()) / count)  # in time order, like the real table
            kind = rng.choice(kinds)
            priority = rng.choices(["normal", "urgent", "emergency"], [90, 8, 2])[0]
            allowance = dl.default_allowance(kind, priority)
            unit_id, zone_id = rng.choice(units) if kind != "repair_common" else (None, None)
            first = rng.choice(desk).pk if rng.random() < 0.7 else rng.choice(butlers).pk
            assignee = rng.choice(staff_ids)
            is_recent = now - received < recent
            if (is_recent and rng.random() < 0.6) or rng.random() < 0.0008:
                status = rng.choice(OPEN_MIX)
            elif rng.random() < 0.97:
                status = "closed"
            else:
                status = "cancelled"
            started = status not in ("received",)
            finished = status in ("closed", "cancelled")
            paused = received + dt.timedelta(hours=2) if status == "waiting_owner" else None
            resolved = received + dt.timedelta(hours=rng.uniform(1, 30)) if status == "closed" else None
            yield (
                estate.pk,
                unit_id,
                None,
                kind,
                rng.choice(CHANNELS),
                priority,
                f"工单 {n}",
                "",
                status,
                first,
                assignee if started else None,
                zone_id,
                received,
                dl.after(received, allowance.respond),
                dl.after(received, allowance.arrive),
                dl.after(received, allowance.resolve),
                dl.after(resolved, allowance.return_visit) if resolved else None,
                received + dt.timedelta(minutes=10) if started else None,
                received + dt.timedelta(minutes=40) if started and status != "assigned" else None,
                0,
                paused,
                resolved,
                resolved + dt.timedelta(days=1) if resolved else None,
                "业主撤回" if status == "cancelled" else "",
                0,
                4 if finished else 2,
            )

    copy_rows(
        ServiceRequest._meta.db_table,
        [
            "estate_id",
            "unit_id",
            "person_id",
            "kind",
            "channel",
            "priority",
            "title",
            "description",
            "status",
            "first_responder_id",
            "assignee_id",
            "zone_id",
            "received_at",
            "respond_by",
            "arrive_by",
            "resolve_by",
            "return_visit_by",
            "responded_at",
            "arrived_at",
            "paused_seconds",
            "paused_since",
            "resolved_at",
            "closed_at",
            "cancel_reason",
            "reopen_count",
            "version",
        ],
        rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"# set-up: {count} requests, {UNITS} units in {time.perf_counter() - started:.0f} s", flush=True)
    return estate, head


def board_sql(estate: Estate) -> tuple[str, tuple]:
    """The SQL the API's board sends for its rows (the first page of 50)."""
    sent: list[tuple[str, tuple]] = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        list(queries.filtered_board(estate)[:50])
    return sent[-1]


def main() -> None:
    estate = Estate.objects.filter(code=CODE).first()
    if estate is None:
        estate, head = build(REQUESTS)
    else:
        head = User.objects.get(username="bench_head_butler")
        print(f"# reusing {ServiceRequest.objects.filter(estate=estate).count()} requests already loaded", flush=True)
    open_count = ServiceRequest.objects.filter(estate=estate).exclude(status__in=["closed", "cancelled"]).count()
    print(f"# open requests on the board: {open_count}", flush=True)
    _, token = issue_api_token(actor=head, user=head, name="bench")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/estates/{estate.pk}/requests"

    def api_board() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()) == 50

    sql, params = board_sql(estate)

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            assert len(cursor.fetchall()) == 50

    value = p95_ms(api_board, runs=RUNS)
    baseline = p95_ms(bare, runs=RUNS)
    report("request_board", value, "ms", baseline)
    met = value <= TARGET_RATIO * baseline
    print(f"# target within {TARGET_RATIO:.0f}x of the bare query: {'met' if met else 'MISSED'}")
    if os.environ.get("BENCH_EXPLAIN"):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + sql, params)
            print("\n".join("# " + row[0] for row in cursor.fetchall()), flush=True)


if __name__ == "__main__":
    main()
