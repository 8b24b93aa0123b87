"""Access rows of the billing pages (see tests/test_access_matrix.py).

Objects (prefixed ui_ so as not to meet the API rows' objects): a property fee and a
parking fee billed for June 2025 in both estates (the parking bills stay unpaid), a metered
fee, a payment of unit A, of unit B and of the other estate's unit, an online order of each
(paid on the sandbox's page), a payment of unit A whose
reversal finance asked for, and a billing-run job in each estate."""

from __future__ import annotations

import datetime
import uuid
from types import SimpleNamespace
from typing import Any

JUNE = datetime.date(2025, 6, 1)


def objects(world: Any) -> dict[str, Any]:
    """The objects the rows below name, made once per test on top of the world."""
    from guanjia.billing import actions
    from guanjia.billing.models import Bill
    from guanjia.core import jobs

    cast = world.cast
    made: dict[str, Any] = {}
    for key, estate, unit in (("", cast.estate, cast.unit_a), ("other_", cast.other_estate, cast.other_unit)):
        fee = actions.create_fee_item(actor=None, estate=estate, code="ui-wyf", name="物业服务费", kind="property_fee")
        for house_type in {unit.house_type, cast.unit_b.house_type}:
            actions.set_fee_standard(
                actor=None, fee_item=fee, house_type=house_type, unit_price="2.50", valid_from=datetime.date(2025, 1, 1)
            )
        # A second, fixed fee whose bills nobody pays: bills that may be reversed.
        parking = actions.create_fee_item(
            actor=None, estate=estate, code="ui-parking", name="停车费", kind="fixed_monthly"
        )
        for house_type in {unit.house_type, cast.unit_b.house_type}:
            actions.set_fee_standard(
                actor=None,
                fee_item=parking,
                house_type=house_type,
                unit_price="150",
                valid_from=datetime.date(2025, 1, 1),
            )
        actions.run_billing(actor=None, estate=estate, period_start=JUNE)
        made[f"ui_{key}fee_item"] = fee
        made[f"ui_{key}job"] = jobs.start_job(
            actions.BILLING_JOB, estate.pk, None, params={"period_start": JUNE.isoformat()}
        )
    made["ui_water"] = actions.create_fee_item(
        actor=None, estate=cast.estate, code="ui-water", name="水费", kind="metered"
    )
    for name, unit in (
        ("ui_payment_a", cast.unit_a),
        ("ui_payment_b", cast.unit_b),
        ("ui_payment_other", cast.other_unit),
    ):
        made[name] = actions.record_payment(actor=cast.finance, unit=unit, amount="50.00", method="cash")
    for name, unit in (("ui_bill_a", cast.unit_a), ("ui_bill_b", cast.unit_b), ("ui_bill_other", cast.other_unit)):
        made[name] = Bill.objects.get(unit=unit, fee_item__code="ui-parking", period_start=JUNE)
    for name, unit in (("ui_order_a", cast.unit_a), ("ui_order_b", cast.unit_b), ("ui_order_other", cast.other_unit)):
        order, _checkout = actions.create_payment_order(actor=cast.finance, unit=unit, amount="20.00")
        made[name] = SimpleNamespace(pk=order.order_number)  # the sandbox's page is addressed by order number
    pending = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="10.00", method="cash")
    made["ui_reversal_request"] = actions.request_reversal(actor=cast.finance, payment=pending, reason="矩阵测试")
    return made


def endpoints() -> list[Any]:
    from tests.test_access_matrix import (
        NOBODY,
        OUTSIDER,
        OWNER,
        STAFF_MANAGERS,
        ZONE_EDITORS,
        constant,
        page,
    )

    managers = frozenset({"manager", "finance"})  # manage_billing
    viewers = frozenset({"manager", "head_butler", "finance"})  # view_billing
    readers = viewers | ZONE_EDITORS  # and the butler, limited to own zones
    approvers = STAFF_MANAGERS  # approve_reversals

    new_fee = constant(
        {"code": "matrix", "name": "停车费", "kind": "fixed_monthly", "cycle": "monthly", "vacant_rate": "1"}
    )
    new_price = constant({"house_type": "villa", "unit_price": "3.00", "valid_from": "2030-01-01"})
    run_month = constant({"period_start": "2025-07", "confirm": "1"})

    def cash(world: Any) -> dict:
        return {"method": "cash", "amount": "10.00", "idempotency_key": uuid.uuid4().hex}

    def pay_key(world: Any) -> dict:
        return {"idempotency_key": uuid.uuid4().hex}

    sandbox_pay = constant({"decision": "pay"})
    reason = constant({"reason": "矩阵测试：金额录错"})
    contact = constant({"contact": "phone", "outcome": "no_answer", "note": "矩阵测试"})

    def reading(world: Any) -> dict:
        return {"unit_code": world.unit_a.code, "fee_item": world.ui_water.pk, "period": "2025-06", "reading": "10"}

    return [
        page("GET", "billing:fees", managers, estate_id="estate"),
        page("GET", "billing:fees", NOBODY, estate_id="other_estate"),
        page("POST", "billing:fees", managers, new_fee, estate_id="estate"),
        page("GET", "billing:fee_item", managers, fee_item_id="ui_fee_item"),
        page("GET", "billing:fee_item", NOBODY, fee_item_id="ui_other_fee_item"),
        page("POST", "billing:fee_item", managers, new_price, fee_item_id="ui_fee_item"),
        page("POST", "billing:fee_item", NOBODY, new_price, fee_item_id="ui_other_fee_item"),
        page("GET", "billing:readings", managers, estate_id="estate"),
        page("POST", "billing:readings", managers, reading, estate_id="estate"),
        page("GET", "billing:home", managers, estate_id="estate"),
        page("GET", "billing:home", NOBODY, estate_id="other_estate"),
        page("GET", "billing:run", managers, estate_id="estate"),
        page("GET", "billing:run", NOBODY, estate_id="other_estate"),
        page("POST", "billing:run", managers, run_month, estate_id="estate"),
        page("GET", "billing:run_job", managers, estate_id="estate", job_id="ui_job"),
        page("GET", "billing:run_job", NOBODY, estate_id="estate", job_id="ui_other_job"),
        page("GET", "billing:run_progress", managers, estate_id="estate", job_id="ui_job"),
        page("GET", "billing:arrears", readers, estate_id="estate"),
        page("GET", "billing:arrears", OUTSIDER, estate_id="other_estate"),
        page("POST", "billing:send_reminders", managers | ZONE_EDITORS, estate_id="estate"),
        page("GET", "billing:collection", readers, estate_id="estate"),
        page("GET", "billing:collection", OUTSIDER, estate_id="other_estate"),
        page("GET", "billing:reversals", managers, estate_id="estate"),
        page("GET", "billing:export_receivables", readers, estate_id="estate"),
        page("GET", "billing:export_receivables", OUTSIDER, estate_id="other_estate"),
        page("GET", "billing:export_journal", viewers, estate_id="estate"),
        page("GET", "billing:export_journal", NOBODY, estate_id="other_estate"),
        page("GET", "billing:export_arrears", readers, estate_id="estate"),
        page("GET", "billing:export_arrears", OUTSIDER, estate_id="other_estate"),
        page("GET", "billing:unit", readers | OWNER, unit_id="unit_a"),
        page("GET", "billing:unit", viewers, unit_id="unit_b"),
        page("GET", "billing:unit", NOBODY, unit_id="other_unit"),
        page("POST", "billing:log_collection", managers | ZONE_EDITORS, contact, unit_id="unit_a"),
        page("POST", "billing:log_collection", managers, contact, unit_id="unit_b"),
        page("POST", "billing:log_collection", NOBODY, contact, unit_id="other_unit"),
        page("GET", "billing:cashier", managers, unit_id="unit_a"),
        page("GET", "billing:cashier", NOBODY, unit_id="other_unit"),
        page("POST", "billing:cashier", managers, cash, unit_id="unit_a"),
        page("POST", "billing:cashier", managers, cash, unit_id="unit_b"),
        page("POST", "billing:cashier", NOBODY, cash, unit_id="other_unit"),
        page("POST", "billing:pay_online", managers | OWNER, pay_key, unit_id="unit_a"),
        page("POST", "billing:pay_online", managers, pay_key, unit_id="unit_b"),
        page("POST", "billing:pay_online", NOBODY, pay_key, unit_id="other_unit"),
        page("GET", "billing:sandbox_pay", managers | OWNER, order_number="ui_order_a"),
        page("GET", "billing:sandbox_pay", managers, order_number="ui_order_b"),
        page("GET", "billing:sandbox_pay", NOBODY, order_number="ui_order_other"),
        page("POST", "billing:sandbox_pay", managers | OWNER, sandbox_pay, order_number="ui_order_a"),
        page("POST", "billing:sandbox_pay", managers, sandbox_pay, order_number="ui_order_b"),
        page("POST", "billing:sandbox_pay", NOBODY, sandbox_pay, order_number="ui_order_other"),
        page("POST", "billing:request_bill_reversal", managers, reason, bill_id="ui_bill_a"),
        page("POST", "billing:request_bill_reversal", managers, reason, bill_id="ui_bill_b"),
        page("POST", "billing:request_bill_reversal", NOBODY, reason, bill_id="ui_bill_other"),
        page("GET", "billing:payment", readers | OWNER, payment_id="ui_payment_a"),
        page("GET", "billing:payment", viewers, payment_id="ui_payment_b"),
        page("GET", "billing:payment", NOBODY, payment_id="ui_payment_other"),
        page("POST", "billing:receipt", readers | OWNER, payment_id="ui_payment_a"),
        page("POST", "billing:receipt", viewers, payment_id="ui_payment_b"),
        page("POST", "billing:receipt", NOBODY, payment_id="ui_payment_other"),
        page("POST", "billing:request_reversal", managers, reason, payment_id="ui_payment_a"),
        page("POST", "billing:request_reversal", managers, reason, payment_id="ui_payment_b"),
        page("POST", "billing:request_reversal", NOBODY, reason, payment_id="ui_payment_other"),
        page("POST", "billing:approve_reversal", approvers, request_id="ui_reversal_request"),
        page("POST", "billing:reject_reversal", approvers, request_id="ui_reversal_request"),
        page("GET", "billing:portal", OWNER),
    ]
