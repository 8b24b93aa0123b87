"""Online payment (线上支付): an order opened with the gateway, and the gateway's signed callback
that records the money once, however many times it is delivered."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing import gateway, queries
from guanjia.billing.actions.checks import MAX_PRICE, NumberInput, parse_decimal
from guanjia.billing.actions.idempotency import Once, run_once
from guanjia.billing.actions.payments import amount_as_given, record_payment
from guanjia.billing.models import Bill, IdempotencyKey, Payment, PaymentOrder
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.estates.models import Unit


@transaction.atomic
def create_payment_order(
    *, actor: User | None, unit: Unit, bill_ids: list[int] | None = None, amount: NumberInput | None = None
) -> tuple[PaymentOrder, gateway.Checkout]:
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


def checkout_of(order: PaymentOrder, unit: Unit) -> gateway.Checkout:
    """What the payer is shown for an order (the same for the order each time it is asked)."""
    subject = _("Property fees of %(unit)s") % {"unit": unit.code}
    return gateway.current_gateway().checkout(order_number=order.order_number, amount=order.amount, subject=subject)


def create_payment_order_once(
    *,
    actor: User,
    idempotency_key: str | None,
    unit: Unit,
    bill_ids: list[int] | None = None,
    amount: NumberInput | None = None,
) -> tuple[Once[PaymentOrder], gateway.Checkout]:
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


class ForgedCallback(Exception):
    """A callback whose signature does not check out: refused, nothing recorded."""


class CallbackResult(NamedTuple):
    order: PaymentOrder
    payment: Payment | None
    created: bool


def handle_gateway_callback(*, body: bytes, signature: str) -> CallbackResult:
    """The gateway tells us an order was paid. The signature is checked over the raw body
    before anything is read from it. The order's row lock serializes callbacks for one order,
    and the transaction id is the payment's reference (unique per estate), so a repeated
    callback finds the payment already on file and records nothing: it is answered OK all
    the same, which is what makes the gateway stop retrying.

    The money paid is recorded even if it differs from the order (it was received): the
    chosen bills are settled only when it matches them exactly and they still owe it;
    otherwise it settles the unit's bills oldest first and the rest becomes prepaid."""
    if not gateway.signature_valid(body, signature):
        raise ForgedCallback
    try:
        data = gateway.current_gateway().parse_callback(body)
    except gateway.CallbackError:
        raise DomainError(_("The callback body cannot be read."), field="body") from None
    if not data.transaction_id:
        raise DomainError(_("The callback has no transaction id."), field="transaction_id")
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().filter(order_number=data.order_number).first()
        if order is None:
            raise DomainError(_("No such payment order."), field="order_number")
        if data.status != gateway.SUCCESS:
            return CallbackResult(order, None, False)
        existing = Payment.objects.filter(estate_id=order.estate_id, reference=data.transaction_id).first()
        if existing is not None:
            return CallbackResult(order, existing, False)
        unit = Unit.objects.get(pk=order.unit_id)
        payment = record_payment(
            actor=None,
            unit=unit,
            amount=data.amount,
            method=Payment.Method.ONLINE,
            bill_ids=bills_paid_online(order, unit, data.amount),
            reference=data.transaction_id,
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
