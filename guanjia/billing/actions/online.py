"""Online payment (线上支付): an order opened with the gateway, and the gateway's signed callback
that records the money once, however many times it is delivered."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing import gateways, queries
from guanjia.billing.actions.checks import MAX_PRICE, NumberInput, parse_decimal
from guanjia.billing.actions.idempotency import Once, run_once
from guanjia.billing.actions.payments import amount_as_given, record_payment
from guanjia.billing.models import Bill, IdempotencyKey, Payment, PaymentOrder
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.estates.models import Unit

logger = logging.getLogger(__name__)
ForgedCallback = gateways.ForgedCallback


@transaction.atomic
def create_payment_order(
    *, actor: User | None, unit: Unit, bill_ids: list[int] | None = None, amount: NumberInput | None = None
) -> tuple[PaymentOrder, gateways.Checkout]:
    """Open an online payment for a unit: for chosen open bills (their whole outstanding
    amount), or for an amount (settled oldest first; the rest becomes prepaid), or, with
    neither, for everything the unit owes. Returns the order and what the payer is shown."""
    value, chosen = order_amount(unit, bill_ids, amount)
    if value <= 0:
        raise DomainError(_("Amount must be greater than zero."), field="amount")
    if value >= MAX_PRICE:
        raise DomainError(_("Amount is too large."), field="amount")
    order = PaymentOrder.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        order_number=f"GJ{unit.estate_id}-{secrets.token_hex(10).upper()}",
        amount=value,
        bill_ids=chosen,
        created_by=actor,
    )
    record_change(
        actor=actor,
        target=order,
        verb="create",
        estate_id=unit.estate_id,
        changes={"amount": [None, str(value)], "bills": [None, chosen]},
    )
    return order, checkout_of(order, unit)


def checkout_of(order: PaymentOrder, unit: Unit) -> gateways.Checkout:
    """What the payer is shown for an order (the same for the order each time it is asked)."""
    subject = _("Property fees of %(unit)s") % {"unit": unit.code}
    try:
        gateway = gateways.current_gateway()
        return gateway.checkout(order_number=order.order_number, amount=order.amount, subject=subject)
    except gateways.GatewayUnavailable:
        logger.exception("online payment unavailable")
        raise DomainError(_("Online payment is not available yet. Please pay at the service center.")) from None


def create_payment_order_once(
    *,
    actor: User,
    idempotency_key: str | None,
    unit: Unit,
    bill_ids: list[int] | None = None,
    amount: NumberInput | None = None,
) -> tuple[Once[PaymentOrder], gateways.Checkout]:
    """create_payment_order for the portal and the API, once per key: a double click on "pay"
    opens one order (so the payer cannot pay twice for it), and the repeat is sent to the
    same checkout."""
    values: dict[str, object] = {
        "unit": unit.pk,
        "bills": sorted(set(bill_ids)) if bill_ids else None,
        "amount": amount_as_given(amount),
    }

    def create() -> PaymentOrder:
        order, _checkout = create_payment_order(actor=actor, unit=unit, bill_ids=bill_ids, amount=amount)
        return order

    once = run_once(
        actor=actor,
        key=idempotency_key,
        operation=IdempotencyKey.Operation.PAYMENT_ORDER,
        values=values,
        model=PaymentOrder,
        write=create,
    )
    return once, checkout_of(once.result, unit)


def order_amount(unit: Unit, bill_ids: list[int] | None, amount: NumberInput | None) -> tuple[Decimal, list[int]]:
    """What an order is for: (the amount, the ids of the bills it settles, sorted)."""
    if bill_ids:
        ids = set(bill_ids)
        bills = list(Bill.objects.filter(unit=unit, status=Bill.Status.OPEN, payer=Bill.Payer.OWNER, pk__in=ids))
        if len(bills) != len(ids):
            raise DomainError(_("A chosen bill is already paid, reversed or not this unit's."), field="bills")
        return sum((bill.amount - bill.paid_amount for bill in bills), Decimal("0.00")), sorted(ids)
    if amount is not None and str(amount).strip() != "":
        message = _("Amount must be a number of yuan, e.g. 300.00.")
        return parse_decimal(amount, field="amount", places=2, message=message), []
    return queries.outstanding_of(unit), []


class CallbackResult(NamedTuple):
    order: PaymentOrder
    payment: Payment | None
    created: bool


def handle_gateway_callback(*, gateway: gateways.Gateway, headers: Mapping[str, str], body: bytes) -> CallbackResult:
    """A gateway tells us an order was paid. Its adapter checks the signature over the raw
    request before anything is read from it (ForgedCallback: refused, nothing recorded).

    The order's row lock serializes notifications for one order, and the gateway's
    transaction id is the payment's reference (unique per estate), so a repeated notification
    finds the payment already on file and records nothing: it is answered OK all the same,
    which is what makes the gateway stop retrying.

    The amount paid must be the order's: a notification for another amount records nothing
    and is logged for finance to look into (it is answered FAIL, so the gateway keeps it)."""
    try:
        notice = gateway.verify(headers=headers, body=body)
    except gateways.CallbackError:
        raise DomainError(_("The callback body cannot be read."), field="body") from None
    if not notice.transaction_id:
        raise DomainError(_("The callback has no transaction id."), field="transaction_id")
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().filter(order_number=notice.order_number).first()
        if order is None:
            raise DomainError(_("No such payment order."), field="order_number")
        if not notice.paid:
            return CallbackResult(order, None, False)
        existing = Payment.objects.filter(estate_id=order.estate_id, reference=notice.transaction_id).first()
        if existing is not None:
            return CallbackResult(order, existing, False)
        if notice.amount != order.amount:
            logger.warning(
                "%s notification for order %s: paid %s, ordered %s (transaction %s); nothing recorded",
                gateway.name,
                order.order_number,
                notice.amount,
                order.amount,
                notice.transaction_id,
            )
            raise DomainError(_("The amount paid does not match the order."), field="amount")
        unit = Unit.objects.get(pk=order.unit_id)
        payment = record_payment(
            actor=None,
            unit=unit,
            amount=notice.amount,
            method=Payment.Method.ONLINE,
            bill_ids=bills_paid_online(order, unit, notice.amount),
            reference=notice.transaction_id,
            note=_("Online order %(order)s") % {"order": order.order_number},
        )
        if order.payment_id is None:
            order.status = PaymentOrder.Status.PAID
            order.payment = payment
            order.paid_at = timezone.now()
            order.save(update_fields=["status", "payment", "paid_at"])
        return CallbackResult(order, payment, True)


def bills_paid_online(order: PaymentOrder, unit: Unit, paid: Decimal) -> list[int] | None:
    """The order's chosen bills when the money paid settles exactly what they still owe;
    None (the unit's bills oldest first) otherwise, or when the order chose none."""
    paid_as_ordered = bool(order.bill_ids) and order.payment_id is None and paid == order.amount
    if paid_as_ordered and queries.owed_on(unit, order.bill_ids) == paid:
        return list(order.bill_ids)
    return None


def pay_in_sandbox(*, order: PaymentOrder) -> CallbackResult:
    """The sandbox's "pay" button: the notification the sandbox gateway sends for the order,
    signed, handed to the same handler as the callback endpoint (in process: a request to our
    own server would tie up a worker waiting for itself). Its transaction id is fixed per
    order, as a real gateway's is, so pressing "pay" twice pays once."""
    try:
        sandbox = gateways.gateway_named(gateways.SandboxGateway.name)
    except gateways.GatewayUnavailable:
        raise DomainError(_("Online payment is not available yet. Please pay at the service center.")) from None
    assert isinstance(sandbox, gateways.SandboxGateway)
    headers, body = sandbox.notification(
        order_number=order.order_number, transaction_id=f"SBX-{order.order_number}", amount=order.amount
    )
    return handle_gateway_callback(gateway=sandbox, headers=headers, body=body)
