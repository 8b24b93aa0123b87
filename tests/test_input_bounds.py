"""Issue 11, items 12 and 8: every number and every text is bounded by its column.

A number too big for its column was a 500 on both databases (`"1e30"`, 31 digits), and on
SQLite `99999999999999.99` was stored as a payment, after which every read of the unit's
payments failed; text of 10,000 characters was stored where the column says 50; a date that
does not exist answered pydantic's 422 instead of the API's 400. Now each is a 400 in the one
error shape ({detail, field, problems}), naming the field, and nothing is written. The pages
refuse the same values under the field.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from guanjia.billing import actions as billing
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory

API = "/api/v1"
HUGE = ["1e30", "1" * 31, "99999999999999.99", 1e30, "NaN", "Infinity", "-Infinity"]


@pytest.fixture
def fee(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=Decimal("2.5000"), valid_from=datetime.date(2025, 1, 1))
    return item


@pytest.fixture
def billed(cast, fee):
    billing.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 6, 1))
    return fee


@dataclass
class Operation:
    role: str
    method: str
    path: Callable[[Any, Any], str]
    body: Callable[[Any], dict]
    field: str


NUMBERS = {
    "unit area (create)": Operation(
        "manager",
        "POST",
        lambda cast, fee: f"/estates/{cast.estate.pk}/units",
        lambda cast: {"building_id": cast.unit_a.building_id, "number": "0909", "floor": 9, "house_type": "high_rise"},
        "area",
    ),
    "unit area (edit)": Operation(
        "manager", "PATCH", lambda cast, fee: f"/units/{cast.unit_a.pk}", lambda c: {}, "area"
    ),
    "unit price": Operation(
        "finance",
        "POST",
        lambda cast, fee: f"/fee-items/{fee.pk}/standards",
        lambda cast: {"house_type": "high_rise", "valid_from": "2026-01-01"},
        "unit_price",
    ),
    "vacant rate": Operation(
        "finance",
        "POST",
        lambda cast, fee: f"/estates/{cast.estate.pk}/fee-items",
        lambda cast: {"code": "parking", "name": "停车费", "kind": "fixed_monthly"},
        "vacant_rate",
    ),
    "payment amount": Operation(
        "finance",
        "POST",
        lambda cast, fee: f"/units/{cast.unit_a.pk}/payments",
        lambda cast: {"method": "cash"},
        "amount",
    ),
    "payment-order amount": Operation(
        "owner", "POST", lambda cast, fee: f"/units/{cast.unit_a.pk}/payment-orders", lambda cast: {}, "amount"
    ),
}


def send(client, method: str, path: str, body: dict):
    client.raise_request_exception = False  # a 500 is an answer to assert on, not an exception
    # Money endpoints want a key per payment; the others ignore it.
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    return client.generic(method, API + path, json.dumps(body), content_type="application/json", **key)


def assert_refused(response, field: str) -> dict:
    assert response.status_code == 400, response.content[:500]
    data = response.json()
    assert set(data) == {"detail", "field", "problems"}, data
    assert data["field"] == field and isinstance(data["detail"], str) and data["detail"], data
    assert field in [problem["field"] for problem in data["problems"]]
    return data


@pytest.mark.parametrize("value", HUGE, ids=[str(value)[:20] for value in HUGE])
@pytest.mark.parametrize("operation", NUMBERS.values(), ids=NUMBERS.keys())
def test_a_number_too_big_for_its_column_is_a_400_naming_the_field(
    client_as, cast, billed, unchanged, operation, value
):
    client = client_as(operation.role)
    with unchanged():
        response = send(
            client, operation.method, operation.path(cast, billed), operation.body(cast) | {operation.field: value}
        )
    assert_refused(response, operation.field)


@pytest.mark.parametrize(
    ("operation", "value"),
    [("payment amount", "-1"), ("payment-order amount", "-0.01"), ("unit price", "-2"), ("unit area (edit)", "-5")],
)
def test_a_negative_number_where_the_domain_has_none_is_refused(client_as, cast, billed, unchanged, operation, value):
    operation = NUMBERS[operation]
    with unchanged():
        response = send(
            client_as(operation.role),
            operation.method,
            operation.path(cast, billed),
            operation.body(cast) | {operation.field: value},
        )
    assert_refused(response, operation.field)


def test_the_largest_payment_the_column_holds_is_taken_and_read_back(client_as, cast, billed):
    """The edge itself: 9,999,999,999.99 fits Payment.amount (12 digits, 2 places) and the
    receipt journal still reads; one fen more is refused."""
    client = client_as("finance")
    refused = send(client, "POST", f"/units/{cast.unit_a.pk}/payments", {"method": "cash", "amount": "10000000000.00"})
    assert_refused(refused, "amount")
    taken = send(client, "POST", f"/units/{cast.unit_a.pk}/payments", {"method": "cash", "amount": "9999999999.99"})
    assert taken.status_code == 201, taken.content
    assert client.get(f"{API}/units/{cast.unit_a.pk}/payments").status_code == 200


def test_an_integer_beyond_its_column_is_a_400(client_as, cast, unchanged):
    client = client_as("manager")
    with unchanged():
        response = send(client, "PATCH", f"/units/{cast.unit_a.pk}", {"floor": 10**20})
        assert_refused(response, "floor")
        response = send(client, "POST", f"/estates/{cast.estate.pk}/buildings", {"code": "9", "floors": 70000})
        assert_refused(response, "floors")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/units/{unit}", {"delivery_date": "2026-02-30"}, "delivery_date"),
        (
            "POST",
            "/fee-items/{fee}/standards",
            {"house_type": "high_rise", "unit_price": "2", "valid_from": "2026-02-30"},
            "valid_from",
        ),
        ("POST", "/estates/{estate}/billing-runs", {"period_start": "2026-13-01"}, "period_start"),
        ("GET", "/estates/{estate}/meter-readings?period=2026-02-30", {}, "period"),
        ("PATCH", "/units/{unit}", {"floor": "three"}, "floor"),
        ("PATCH", "/units/{unit}", {"area": [1]}, "area"),
    ],
)
def test_a_date_that_does_not_exist_answers_like_every_other_bad_field(
    client_as, cast, fee, unchanged, method, path, body, field
):
    """No stray 422: the parser's refusals have the same 400 shape as the actions' refusals."""
    role = "manager" if path.startswith("/units") else "finance"
    path = path.format(unit=cast.unit_a.pk, fee=fee.pk, estate=cast.estate.pk)
    with unchanged():
        response = send(client_as(role), method, path, body)
    data = assert_refused(response, field)
    assert all(set(problem) == {"field", "message"} for problem in data["problems"])


def test_a_refusal_names_the_field_in_chinese(client_as, cast, unchanged):
    with unchanged():
        response = send(client_as("manager"), "PATCH", f"/units/{cast.unit_a.pk}", {"area": "1e30", "note": "长" * 301})
    data = assert_refused(response, "area")
    assert data["detail"].startswith("建筑面积")
    assert {problem["field"] for problem in data["problems"]} == {"area", "note"}
    assert "300" in [problem for problem in data["problems"] if problem["field"] == "note"][0]["message"]


# -- text -------------------------------------------------------------------------------------

TEXTS = [
    ("manager", "PATCH", "/units/{unit}", {}, "note", 300),
    ("manager", "POST", "/estates/{estate}/buildings", {}, "code", 20),
    ("butler", "PATCH", "/people/{person}", {}, "name", 50),
    ("butler", "PATCH", "/people/{person}", {}, "emergency_contact_name", 50),
    ("assistant", "POST", "/estates/{estate}/parcels", {"unit_id": "{unit}", "shelf": "A1"}, "recipient_name", 50),
    ("assistant", "POST", "/estates/{estate}/keys", {"kind": "unit", "slot": "A1"}, "tag", 30),
    ("assistant", "POST", "/estates/{estate}/visits", {"unit_id": "{unit}"}, "visitor_name", 50),
    ("assistant", "POST", "/estates/{estate}/requests", {"kind": "consultation", "channel": "phone"}, "title", 200),
    ("finance", "POST", "/units/{unit}/collection-logs", {"contact": "phone", "outcome": "promised"}, "note", 500),
    (
        "owner",
        "POST",
        "/my/passes",
        {
            "unit_id": "{unit}",
            "kind": "one_time",
            "valid_from": "2030-01-01T09:00:00+08:00",
            "valid_until": "2030-01-01T18:00:00+08:00",
        },
        "visitor_name",
        50,
    ),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "field", "limit"), TEXTS, ids=[f"{t[2]}:{t[4]}" for t in TEXTS]
)
def test_text_longer_than_its_column_is_a_400_naming_the_field(
    client_as, cast, unchanged, role, method, path, body, field, limit
):
    names = {"unit": cast.unit_a.pk, "estate": cast.estate.pk, "person": cast.owner_person.pk}
    body = {key: (int(value.format(**names)) if value == "{unit}" else value) for key, value in body.items()}
    client = client_as(role)
    with unchanged():
        for length in (limit + 1, 10_000):
            response = send(client, method, path.format(**names), body | {field: "长" * length})
            data = assert_refused(response, field)
            assert str(limit) in data["detail"]


def test_a_pickup_code_in_chinese_characters_is_a_wrong_code_not_a_500(client_as, cast, unchanged):
    """Found by the boundary run: six Chinese characters fit the column, and the constant-time
    comparison raised TypeError on them."""
    from guanjia.frontdesk import actions as desk

    parcel = desk.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="A1", tracking_number="SF1"
    )
    client = client_as("assistant")
    with unchanged():
        response = send(
            client,
            "POST",
            f"/parcels/{parcel.pk}/handover",
            {"pickup_code": "一二三四五六", "collected_by_name": "张三"},
        )
        assert_refused(response, "pickup_code")
        page = client.post(
            reverse("frontdesk:parcel_hand_over", args=[parcel.pk]),
            {"pickup_code": "一二三四五六", "collected_by_name": "张三"},
        )
        assert page.status_code == 400


# -- the pages --------------------------------------------------------------------------------


def error_under(response, field: str) -> str:
    form = response.context["form"]
    return " ".join(str(message) for message in form.errors.get(field, []))


@pytest.mark.parametrize("amount", ["1e30", "1" * 31, "99999999999999.99", "NaN", "Infinity"])
def test_the_cashier_page_refuses_a_number_too_big_under_the_amount(client_as, cast, billed, unchanged, amount):
    client = client_as("finance")
    client.raise_request_exception = False
    with unchanged():
        response = client.post(reverse("billing:cashier", args=[cast.unit_a.pk]), {"method": "cash", "amount": amount})
    assert response.status_code == 400
    assert error_under(response, "amount")


@pytest.mark.parametrize(
    ("field", "value"),
    [("area", "1e30"), ("area", "1" * 31), ("area", "NaN"), ("floor", "1" * 25), ("note", "长" * 301)],
)
def test_the_unit_page_refuses_a_value_its_column_cannot_hold(client_as, cast, unchanged, field, value):
    client = client_as("manager")
    client.raise_request_exception = False
    data = {"floor": "12", "area": "89.50", "house_type": "high_rise", "status": "occupied", "note": ""}
    with unchanged():
        response = client.post(reverse("estates:unit_edit", args=[cast.unit_a.pk]), data | {field: value})
    assert response.status_code == 200
    assert error_under(response, field)


@pytest.mark.parametrize("tiers", ["1e30 3.50\n- 6.00", "15 1e30\n- 6.00", "15 3.50\n- 123456789012345"])
def test_water_tiers_beyond_their_columns_are_refused_on_the_page(client_as, cast, unchanged, tiers):
    water = billing.create_fee_item(actor=cast.finance, estate=cast.estate, code="water", name="水费", kind="metered")
    client = client_as("finance")
    client.raise_request_exception = False
    with unchanged():
        response = client.post(reverse("billing:fee_item", args=[water.pk]), {"tiers": tiers})
    assert response.status_code == 400


def test_null_in_a_person_patch_clears_text_and_a_cleared_name_is_refused(client_as, cast, unchanged):
    """Found by the fuzzing: a JSON null for a person's field was a 500."""
    client = client_as("manager")
    path = f"/people/{cast.owner_person.pk}"
    with unchanged():
        assert_refused(send(client, "PATCH", path, {"name": None, "email": None}), "name")
    cleared = send(client, "PATCH", path, {"note": None, "emergency_contact_phone": None})
    assert cleared.status_code == 200, cleared.content
    cast.owner_person.refresh_from_db()
    assert cast.owner_person.note == "" and cast.owner_person.emergency_contact_phone == ""
