"""Every write to billing, by sub-area: fee items and prices (fees), meter readings
(readings), the billing run and its job (plan, runs), payments and the prepaid balance
(payments), receipt numbers and prints (receipts), reversals and their approval (reversals),
online payment (online), arrears collection (collection); the input checks they share are in
checks.

The public actions are importable from here (`actions.record_payment(...)`); helpers are
imported from their module. A test that replaces a function patches the module that looks
it up (e.g. `runs.insert_bills`)."""

from guanjia.billing.actions.checks import check_period_start
from guanjia.billing.actions.collection import log_collection, remind_promised_payments, send_arrears_reminders
from guanjia.billing.actions.fees import create_fee_item, set_fee_standard, set_water_tiers
from guanjia.billing.actions.idempotency import KeyReused, Once
from guanjia.billing.actions.online import (
    ForgedCallback,
    create_payment_order,
    create_payment_order_once,
    handle_gateway_callback,
    pay_in_sandbox,
)
from guanjia.billing.actions.payments import apply_prepaid, record_payment, record_payment_once
from guanjia.billing.actions.readings import import_meter_readings, record_meter_reading
from guanjia.billing.actions.receipts import print_receipt
from guanjia.billing.actions.reversals import (
    approve_reversal,
    reject_reversal,
    request_reversal,
    reverse_bill,
    reverse_payment,
)
from guanjia.billing.actions.runs import (
    RunPreview,
    preview_billing_run,
    run_billing,
    run_billing_job,
    start_billing_run,
)
from guanjia.billing.models import BILLING_JOB

__all__ = [
    "BILLING_JOB",
    "ForgedCallback",
    "KeyReused",
    "Once",
    "apply_prepaid",
    "approve_reversal",
    "check_period_start",
    "create_fee_item",
    "create_payment_order",
    "create_payment_order_once",
    "handle_gateway_callback",
    "import_meter_readings",
    "pay_in_sandbox",
    "log_collection",
    "print_receipt",
    "record_meter_reading",
    "record_payment",
    "record_payment_once",
    "reject_reversal",
    "remind_promised_payments",
    "request_reversal",
    "reverse_bill",
    "reverse_payment",
    "run_billing",
    "run_billing_job",
    "send_arrears_reminders",
    "set_fee_standard",
    "set_water_tiers",
    "start_billing_run",
    "preview_billing_run",
    "RunPreview",
]
