"""Money received for a unit: recorded with its receipt number, allocated to the unit's bills
oldest first, the rest kept as the unit's prepaid balance (预收) for its next bills."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing import queries
from guanjia.billing.actions.checks import NumberInput, parse_decimal
from guanjia.billing.actions.idempotency import Once, run_once
from guanjia.billing.actions.receipts import take_receipt_number
from guanjia.billing.models import Allocation, Bill, IdempotencyKey, Payment
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.estates.models import Unit

# A payer's WeChat or Alipay code scanned at the counter: the transaction number is the proof.
SCANNED_AT_COUNTER = (Payment.Method.WECHAT, Payment.Method.ALIPAY)


def lock_unit(unit_id: int) -> None:
    """Every money action on a unit takes the unit's row lock first, so they run one after
    another per unit and always lock in the same order (unit, bills, payments, counter)."""
    Unit.objects.select_for_update().filter(pk=unit_id).values_list("pk", flat=True).first()


def lock_open_bills(unit: Unit, *, payer: str | None = None) -> list[Bill]:
    """The unit's open bills (of one payer, when given), oldest first, locked."""
    bills = Bill.objects.select_for_update().filter(unit=unit, status=Bill.Status.OPEN)
    if payer is not None:
        bills = bills.filter(payer=payer)
    return list(bills.order_by(*queries.OLDEST_FIRST))


def allocate(payment: Payment, bills: list[Bill], available: Decimal) -> Decimal:
    """Settle `bills` in the order given from `available`; returns what is left over.
    The bills must be locked by the caller."""
    for bill in bills:
        if available <= 0:
            break
        due = bill.amount - bill.paid_amount
        if due <= 0 or bill.status != Bill.Status.OPEN:
            continue
        share = min(due, available)
        Allocation.objects.create(payment=payment, bill=bill, amount=share)
        bill.paid_amount += share
        bill.status = Bill.Status.PAID if bill.paid_amount == bill.amount else Bill.Status.OPEN
        bill.save(update_fields=["paid_amount", "status"])
        available -= share
    return available


@transaction.atomic
def record_payment(
    *,
    actor: User | None,
    unit: Unit,
    amount: NumberInput,
    method: str,
    bill_ids: list[int] | None = None,
    reference: str = "",
    note: str = "",
    received_at: datetime.datetime | None = None,
) -> Payment:
    """Money received for a unit. It settles the chosen bills, or the unit's open bills oldest
    first; whatever is left becomes the unit's prepaid balance (预收). The unit's open bills
    are locked first, so two cashiers paying the same bill at once are served one after the
    other: the second finds the bill paid and its money becomes prepaid."""
    value = parse_decimal(amount, field="amount", places=2, message=_("Amount must be a number of yuan, e.g. 300.00."))
    if value <= 0:
        raise DomainError(_("Amount must be greater than zero."), field="amount")
    if method not in Payment.Method.values:
        raise DomainError(_("Choose a payment method from the list."), field="method")
    reference = reference.strip()
    if method in SCANNED_AT_COUNTER and not reference:
        raise DomainError(
            _(
                "Enter the transaction number (交易单号) of the %(method)s payment: the payer's app shows it "
                "under the payment."
            )
            % {"method": Payment.Method(method).label},
            field="reference",
        )
    lock_unit(unit.pk)
    bills = bills_to_settle(unit, bill_ids, value)
    # Taking the number locks the estate's counter, which serializes the estate's payments:
    # the reference check below cannot race with a second callback carrying the same one.
    receipt_number = take_receipt_number(unit.estate_id)
    if reference and Payment.objects.filter(estate_id=unit.estate_id, reference=reference).exists():
        raise DomainError(_("A payment with this reference is already on file."), field="reference")
    payment = Payment.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        method=method,
        amount=value,
        receipt_number=receipt_number,
        reference=reference,
        note=note[:200],
        received_by=actor,
        received_at=received_at or timezone.now(),
    )
    left = allocate(payment, bills, value)
    record_change(
        actor=actor,
        target=payment,
        verb="create",
        estate_id=unit.estate_id,
        changes={"amount": [None, str(value)], "receipt_number": [None, payment.receipt_number]},
        note=_("prepaid %(left)s") % {"left": left} if left else "",
    )
    return payment


def record_payment_once(
    *,
    actor: User,
    idempotency_key: str | None,
    unit: Unit,
    amount: NumberInput,
    method: str,
    bill_ids: list[int] | None = None,
    reference: str = "",
    note: str = "",
) -> Once[Payment]:
    """record_payment for the cashier's page and the API: carried out once per key. The same
    key again with the same values gives back the payment already recorded (replayed); with
    other values it is refused (KeyReused)."""
    values: dict[str, object] = {
        "unit": unit.pk,
        "amount": amount_as_given(amount),
        "method": method,
        # None settles the oldest first; a list (even empty) is a choice, checked as such.
        "bills": sorted(set(bill_ids)) if bill_ids is not None else None,
        "reference": reference.strip(),
        "note": note,
    }
    return run_once(
        actor=actor,
        key=idempotency_key,
        operation=IdempotencyKey.Operation.PAYMENT,
        values=values,
        model=Payment,
        write=lambda: record_payment(
            actor=actor,
            unit=unit,
            amount=amount,
            method=method,
            bill_ids=bill_ids,
            reference=reference,
            note=note,
        ),
    )


def amount_as_given(amount: NumberInput | None) -> str:
    """An amount as compared between a request and its repeat: 300, 300.0 and 300.00 are the
    same amount; text that is not a number is compared as written (the action refuses it)."""
    text = "" if amount is None else str(amount).strip()
    try:
        return str(Decimal(text).normalize())
    except ArithmeticError:
        return text


def bills_to_settle(unit: Unit, bill_ids: list[int] | None, value: Decimal) -> list[Bill]:
    """The bills a payment of `value` settles, locked, in the order it settles them: the
    chosen ones (refused if one is not open, or if they owe less than `value`), else the
    owner's open bills oldest first."""
    open_bills = lock_open_bills(unit)
    if bill_ids is None:
        # Unless chosen, money from the unit settles the owner's bills only: the developer's
        # lines (days before delivery) are paid by the developer, choosing them explicitly.
        return [bill for bill in open_bills if bill.payer == Bill.Payer.OWNER]
    chosen = [bill for bill in open_bills if bill.pk in set(bill_ids)]
    if len(chosen) != len(set(bill_ids)):
        raise DomainError(_("A chosen bill is already paid, reversed or not this unit's."), field="bills")
    due = sum((bill.amount - bill.paid_amount for bill in chosen), Decimal("0.00"))
    if value > due:
        raise DomainError(
            _("The amount %(amount)s is more than the chosen bills owe (%(due)s).") % {"amount": value, "due": due},
            field="amount",
        )
    return chosen


@transaction.atomic
def apply_prepaid(*, actor: User | None, unit: Unit) -> Decimal:
    """Let the unit's prepaid balance settle its open bills, oldest first. Returns the amount
    applied. Safe to call any time (after a billing run, after a payment)."""
    lock_unit(unit.pk)
    open_bills = lock_open_bills(unit, payer=Bill.Payer.OWNER)
    applied = Decimal("0.00")
    payments = Payment.objects.select_for_update().filter(unit=unit, status=Payment.Status.VALID).order_by("pk")
    for payment in payments:
        left = queries.unallocated(payment)
        if left > 0:
            applied += left - allocate(payment, open_bills, left)
    if applied:
        record_change(
            actor=actor,
            target=unit,
            verb="apply_prepaid",
            estate_id=unit.estate_id,
            changes={"applied": [None, str(applied)]},
        )
    return applied
