"""Access rows of the billing API operations (see tests/test_access_matrix.py).

The gateway callbacks (POST /api/v1/billing/gateways/<name>/callback) are not listed: they are
not API operations of a signed-in user but the gateways' notifications, authenticated by the
signature each adapter checks and kept out of the OpenAPI schema; guanjia/billing/tests/
test_gateway.py, test_gateway_adapters.py and test_api.py check that a forged signature is
refused and changes nothing.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

JUNE = datetime.date(2025, 6, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def objects(world: Any) -> dict[str, Any]:
    """A property fee billed for June to both home units, a water item with tiers, a
    payment of unit A's, a reversal request for it waiting for the manager, a billing-run
    job, and the same fee in the other estate."""
    from guanjia.billing import actions
    from guanjia.billing.models import Bill, FeeItem

    cast = world.cast
    fee = actions.create_fee_item(
        actor=cast.finance, estate=cast.estate, code="wyf", name="物业服务费", kind="property_fee"
    )
    actions.set_fee_standard(
        actor=cast.finance,
        fee_item=fee,
        house_type="high_rise",
        unit_price="2.50",
        valid_from=datetime.date(2025, 1, 1),
    )
    water = actions.create_fee_item(
        actor=cast.finance, estate=cast.estate, code="water", name="水费", kind=FeeItem.Kind.METERED
    )
    actions.set_water_tiers(actor=cast.finance, fee_item=water, tiers=[("22", "3.45"), (None, "4.83")])
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    payment = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    pending = actions.request_reversal(actor=cast.finance, payment=payment, reason="矩阵：录错")
    job = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 7, 1))
    other_fee = actions.create_fee_item(
        actor=None, estate=cast.other_estate, code="wyf", name="物业服务费", kind="property_fee"
    )
    return {
        "fee": fee,
        "water": water,
        "other_fee": other_fee,
        "bill_a": Bill.objects.get(unit=cast.unit_a, fee_item=fee),
        "bill_b": Bill.objects.get(unit=cast.unit_b, fee_item=fee),
        "payment_a": payment,
        "pending_reversal": pending,
        "billing_job": job,
    }


def readings_workbook(world: Any) -> dict:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["房号", "读数", "初始读数"])
    sheet.append([world.unit_a.code, 12.5, 0])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("readings.xlsx", buffer.getvalue(), content_type=XLSX)
    return {"file": upload, "period": "2025-06-01"}


def endpoints() -> list[Any]:
    from tests.test_access_matrix import (
        EDITORS_OF_ZONE_A,
        NOBODY,
        OUTSIDER,
        OWNER,
        STAFF_MANAGERS,
        ZONE_EDITORS,
        constant,
        operation,
    )

    readers = frozenset({"manager", "head_butler", "finance"})  # every bill of the estate
    zone_readers = readers | ZONE_EDITORS  # ... and the butler, limited to own zones
    cashiers = frozenset({"manager", "finance"})  # fee standards, runs, payments
    chasers = cashiers | ZONE_EDITORS  # collection log and reminders (zone A is the butler's)
    unit_a_readers = zone_readers | OWNER
    assert EDITORS_OF_ZONE_A >= ZONE_EDITORS

    def reading(world):
        return {"unit_id": world.unit_a.pk, "fee_item_id": world.water.pk, "period": "2025-06-01", "reading": "12.50"}

    def bill_reversal(world):
        return {"bill_id": world.bill_b.pk, "reason": "矩阵：面积录错"}

    return [
        # fee items, standards, tiers
        operation("GET", "/estates/{estate_id}/fee-items", zone_readers, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/fee-items", OUTSIDER, estate_id="other_estate"),
        operation(
            "POST",
            "/estates/{estate_id}/fee-items",
            cashiers,
            constant({"code": "tcf", "name": "停车管理费", "kind": "fixed_monthly"}),
            estate_id="estate",
        ),
        operation("GET", "/fee-items/{fee_item_id}/standards", zone_readers, fee_item_id="fee"),
        operation(
            "POST",
            "/fee-items/{fee_item_id}/standards",
            cashiers,
            constant({"house_type": "high_rise", "unit_price": "2.80", "valid_from": "2026-01-01"}),
            fee_item_id="fee",
        ),
        operation(
            "POST",
            "/fee-items/{fee_item_id}/standards",
            NOBODY,
            constant({"house_type": "villa", "unit_price": "5.00", "valid_from": "2026-01-01"}),
            fee_item_id="other_fee",
        ),
        operation(
            "PUT",
            "/fee-items/{fee_item_id}/tiers",
            cashiers,
            constant({"tiers": [{"upper_bound": "20", "price": "3.50"}, {"upper_bound": None, "price": "5.00"}]}),
            fee_item_id="water",
        ),
        # meter readings
        operation("GET", "/estates/{estate_id}/meter-readings", zone_readers, estate_id="estate"),
        operation("POST", "/estates/{estate_id}/meter-readings", cashiers, reading, estate_id="estate"),
        operation(
            "POST", "/fee-items/{fee_item_id}/meter-readings/import", cashiers, readings_workbook, fee_item_id="water"
        ),
        # billing runs
        operation(
            "POST",
            "/estates/{estate_id}/billing-runs",
            cashiers,
            constant({"period_start": "2025-08-01"}),
            estate_id="estate",
        ),
        operation(
            "GET", "/estates/{estate_id}/billing-runs/{job_id}", cashiers, estate_id="estate", job_id="billing_job"
        ),
        # bills
        operation("GET", "/estates/{estate_id}/bills", zone_readers, estate_id="estate"),
        operation("GET", "/units/{unit_id}/bills", unit_a_readers, unit_id="unit_a"),
        operation("GET", "/units/{unit_id}/bills", readers, unit_id="unit_b"),
        operation("GET", "/units/{unit_id}/bills", NOBODY, unit_id="other_unit"),  # not in the outsider's zone
        operation("GET", "/bills/{bill_id}", unit_a_readers, bill_id="bill_a"),
        operation("GET", "/bills/{bill_id}", readers, bill_id="bill_b"),
        # payments and online orders
        operation(
            "POST",
            "/units/{unit_id}/payments",
            cashiers,
            constant({"amount": "50.00", "method": "cash"}),
            unit_id="unit_b",
        ),
        operation("GET", "/units/{unit_id}/payments", unit_a_readers, unit_id="unit_a"),
        operation("GET", "/payments/{payment_id}", unit_a_readers, payment_id="payment_a"),
        operation(
            "POST", "/units/{unit_id}/payment-orders", cashiers | OWNER, constant({"amount": "50.00"}), unit_id="unit_a"
        ),
        operation("POST", "/units/{unit_id}/payment-orders", cashiers, constant({"amount": "50.00"}), unit_id="unit_b"),
        # reversals: finance asks, the manager approves (not the one who asked)
        operation("POST", "/reversal-requests", cashiers, bill_reversal),
        operation("GET", "/estates/{estate_id}/reversal-requests", cashiers, estate_id="estate"),
        operation(
            "POST",
            "/reversal-requests/{request_id}/approve",
            STAFF_MANAGERS,
            constant({"note": "同意"}),
            request_id="pending_reversal",
        ),
        operation(
            "POST",
            "/reversal-requests/{request_id}/reject",
            STAFF_MANAGERS,
            constant({"note": "不同意"}),
            request_id="pending_reversal",
        ),
        # arrears and collection figures
        operation("GET", "/estates/{estate_id}/arrears", zone_readers, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/collection", zone_readers, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/arrears-recovery", readers, estate_id="estate"),
        operation("POST", "/estates/{estate_id}/arrears-reminders", chasers, constant({}), estate_id="estate"),
        # the collection log: butlers of the unit's zone and finance
        operation("GET", "/units/{unit_id}/collection-logs", zone_readers, unit_id="unit_a"),
        operation("GET", "/units/{unit_id}/collection-logs", readers, unit_id="unit_b"),
        operation(
            "POST",
            "/units/{unit_id}/collection-logs",
            chasers,
            constant({"contact": "phone", "outcome": "no_answer", "note": "矩阵"}),
            unit_id="unit_a",
        ),
        operation(
            "POST",
            "/units/{unit_id}/collection-logs",
            cashiers,
            constant({"contact": "visit", "outcome": "refused"}),
            unit_id="unit_b",
        ),
    ]
