"""Fuzzing the whole /api/v1 (every app) with schemathesis: no input may answer 5xx.

The schema is the one the API itself generates; each operation gets a bounded number of
generated cases (FUZZ_EXAMPLES, default 6) with a fixed seed, sent in-process to Django's
WSGI handler (no network), authenticated by a bearer token, once as the manager of the fixed
cast and once as the owner. Most generated ids would only ever meet 404s, so an integer path
parameter is mostly mapped onto an object that exists (the cast's estate, units, people, a
request at each step of its loop...), the rest of the time left as generated.

Anything below 500 is an acceptable answer here (400, 404, 409 and 422 are how the API
refuses); what the answers mean is tested operation by operation elsewhere.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, transaction
from hypothesis import HealthCheck, settings

from config.api import api
from guanjia.accounts.actions import issue_api_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))

# Only the fuzzing phase, bounded and seeded: the coverage phase alone sends dozens of
# boundary cases per operation, more than the suite can afford for ~120 operations.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261128,
        "generation": {"max-examples": EXAMPLES},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"), config=CONFIG)
SCHEMA.app = WSGIHandler()


@pytest.fixture
def in_process(db):
    """Django's WSGI handler closes the database connection at the end of each request; inside
    a test that would throw away the test's transaction. The test client disconnects the same
    receivers for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def known_objects(cast: Any) -> dict[str, list[int]]:
    """Ids worth aiming at, per path parameter name: objects of both estates, so that the
    fuzzer meets allowed and refused answers alike."""
    from guanjia.servicedesk import actions as desk
    from guanjia.servicedesk.tests.factories import photo_upload, receive, walk

    requests = [receive(cast), receive(cast, unit=cast.unit_b, person=cast.neighbour)]
    requests.append(walk(cast, receive(cast), "resolved"))
    requests.append(walk(cast, receive(cast), "closed"))
    complaint = receive(cast, kind="complaint", unit=None)
    requests.append(complaint)
    photo = desk.add_request_photo(actor=cast.assistant, service_request=requests[0], upload=photo_upload())
    return {
        "estate_id": [cast.estate.pk, cast.other_estate.pk],
        "zone_id": [cast.zone_a.pk, cast.zone_b.pk],
        "unit_id": [cast.unit_a.pk, cast.unit_b.pk, cast.other_unit.pk],
        "person_id": [cast.owner_person.pk, cast.neighbour.pk, cast.stranger.pk],
        "request_id": [request.pk for request in requests],
        "photo_id": [photo.pk],
    }


@pytest.fixture
def fuzz_world(cast, in_process):
    return known_objects(cast)


@pytest.fixture
def bearer(cast, role) -> dict[str, str]:
    _, token = issue_api_token(actor=cast.user(role), user=cast.user(role), name="fuzz")
    return {"Authorization": f"Bearer {token}"}


def aim(case: Any, known: dict[str, list[int]]) -> None:
    """Map a generated integer path parameter onto a known object three times out of four;
    unknown names fall back to small ids, which the cast's other objects tend to have."""
    for name, value in (case.path_parameters or {}).items():
        if not isinstance(value, int) or isinstance(value, bool) or value % 4 == 0:
            continue
        choices = known.get(name) or [1, 2, 3]
        case.path_parameters[name] = choices[value % len(choices)]


@pytest.mark.parametrize("role", ["manager", "owner"])
@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_the_api_fail(case, role, fuzz_world, bearer):
    aim(case, fuzz_world)
    # A refused statement on PostgreSQL (a number out of range, answered 400) aborts the
    # test's enclosing transaction; a savepoint per case keeps the next case's queries valid.
    savepoint = transaction.savepoint()
    response = case.call(headers=bearer)
    try:
        transaction.savepoint_commit(savepoint)
    except DatabaseError:
        transaction.savepoint_rollback(savepoint)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code}\n{case.as_curl_command()}"
    )


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/v1/estates/{estate}/requests?zone_id=100000000000000000000", 400),
        ("/api/v1/estates/{estate}/requests?offset=100000000000000000000", 200),
        ("/api/v1/estates/{estate}/units?zone_id=100000000000000000000", 400),
        ("/api/v1/estates/{estate}/units?offset=100000000000000000000", 200),
        ("/api/v1/estates/{estate}/people?offset=100000000000000000000", 200),
        ("/api/v1/estates/{estate}/duty-managers?days=100000000000000000000", 200),
    ],
)
def test_numbers_beyond_the_database_are_bad_input(client_as, cast, path, status):
    """Found by the fuzzer: an integer too big for the database was a 500 (OverflowError on
    SQLite, DataError on PostgreSQL). A filter by a row id beyond the databases' integers is now
    refused by the API's validation (400, naming the parameter) on both databases, and list
    endpoints clamp their offsets and spans before querying: past the end, the list is empty."""
    response = client_as("manager").get(path.format(estate=cast.estate.pk))
    assert response.status_code == status
    if status == 400:
        assert [problem["field"] for problem in response.json()["problems"]] == ["zone_id"]
    else:
        assert response.json() == []
