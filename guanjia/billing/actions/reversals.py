"""Reversals (红冲) of payments and bills: asked for with a reason, approved or rejected by
someone other than who asked, and then applied with every balance they touched restored."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.accounts.queries import staff_of
from guanjia.billing.actions.checks import check_reason
from guanjia.billing.actions.payments import lock_unit
from guanjia.billing.models import Bill, Payment, Reversal, ReversalRequest
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.roles import Capability, posts_with
from guanjia.notifications.actions import notify


@transaction.atomic
def reverse_payment(*, actor: User | None, payment: Payment, reason: str) -> Reversal:
    """红冲 a payment: it stays on file with its receipt number, marked reversed; every bill it
    settled owes again exactly what it allocated."""
    reason = check_reason(reason)
    locked = lock_valid_payment(payment)
    allocations = list(locked.allocations.all())
    bills = {b.pk: b for b in Bill.objects.select_for_update().filter(pk__in=[a.bill_id for a in allocations])}
    for allocation in allocations:
        bill = bills[allocation.bill_id]
        bill.paid_amount -= allocation.amount
        if bill.status == Bill.Status.PAID:
            bill.status = Bill.Status.OPEN
        bill.save(update_fields=["paid_amount", "status"])
    locked.status = Payment.Status.REVERSED
    locked.save(update_fields=["status"])
    payment.status = locked.status
    reversal = Reversal.objects.create(payment=locked, reason=reason, reversed_by=actor)
    record_change(
        actor=actor,
        target=locked,
        verb="reverse",
        estate_id=locked.estate_id,
        changes={"status": [Payment.Status.VALID, Payment.Status.REVERSED]},
        note=reason,
    )
    return reversal


@transaction.atomic
def reverse_bill(*, actor: User | None, bill: Bill, reason: str) -> Reversal:
    """红冲 a bill issued in error. A bill with money on it is refused: reverse the payment
    first, so that no payment is left pointing at a cancelled bill."""
    reason = check_reason(reason)
    locked = lock_reversible_bill(bill)
    old = locked.status
    locked.status = Bill.Status.REVERSED
    locked.save(update_fields=["status"])
    bill.status = locked.status
    reversal = Reversal.objects.create(bill=locked, reason=reason, reversed_by=actor)
    record_change(
        actor=actor,
        target=locked,
        verb="reverse",
        estate_id=locked.estate_id,
        changes={"status": [old, Bill.Status.REVERSED]},
        note=reason,
    )
    return reversal


def lock_valid_payment(payment: Payment) -> Payment:
    """The payment locked (after its unit), refused if it is already reversed."""
    lock_unit(payment.unit_id)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != Payment.Status.VALID:
        raise DomainError(_("This payment is already reversed."), field="payment")
    return locked


def lock_reversible_bill(bill: Bill) -> Bill:
    """The bill locked (after its unit), refused if reversed already or if it has payments."""
    lock_unit(bill.unit_id)
    locked = Bill.objects.select_for_update().get(pk=bill.pk)
    if locked.status == Bill.Status.REVERSED:
        raise DomainError(_("This bill is already reversed."), field="bill")
    if locked.paid_amount > 0:
        raise DomainError(_("This bill has payments; reverse them first."), field="bill")
    return locked


# -- Requests and their approval --------------------------------------------------------------


@transaction.atomic
def request_reversal(
    *, actor: User, payment: Payment | None = None, bill: Bill | None = None, reason: str
) -> ReversalRequest:
    """Ask for a 红冲 of a payment or of a bill. Nothing is reversed yet: someone else who may
    approve reversals decides (approve_reversal / reject_reversal). Refused without a reason,
    for something already reversed, for a bill that still has payments on it, and when a
    request for the same thing is already waiting."""
    reason = check_reason(reason)
    if payment is not None and bill is None:
        estate_id = lock_valid_payment(payment).estate_id
        what = _("receipt No. %(number)s") % {"number": payment.receipt_number}
    elif bill is not None and payment is None:
        estate_id = lock_reversible_bill(bill).estate_id
        what = _("bill %(bill)s") % {"bill": bill.pk}
    else:
        raise DomainError(_("Choose the payment or the bill to reverse."), field="target")
    try:
        with transaction.atomic():
            reversal = ReversalRequest.objects.create(
                estate_id=estate_id, payment=payment, bill=bill, reason=reason, requested_by=actor
            )
    except IntegrityError:
        raise DomainError(_("A reversal of this is already awaiting approval."), field="target") from None
    record_change(
        actor=actor,
        target=reversal,
        verb="request_reversal",
        estate_id=estate_id,
        changes={"payment": [None, reversal.payment_id], "bill": [None, reversal.bill_id]},
        note=reason,
    )
    for approver in staff_of(estate_id, posts_with(Capability.APPROVE_REVERSALS)):
        if approver.pk != actor.pk:
            notify(
                recipient=approver,
                subject=_("A reversal of %(what)s awaits your approval") % {"what": what},
                body=reason,
                estate=reversal.estate,
                dedupe_key=f"billing:reversal-request:{reversal.pk}",
            )
    return reversal


def lock_pending_reversal(actor: User, reversal: ReversalRequest) -> ReversalRequest:
    """The request locked, refused if it is decided already or if `actor` asked for it."""
    locked = ReversalRequest.objects.select_for_update().get(pk=reversal.pk)
    if locked.status != ReversalRequest.Status.PENDING:
        raise DomainError(_("This request has already been decided."), field="request")
    if getattr(actor, "pk", None) is None or actor.pk == locked.requested_by_id:
        raise DomainError(_("A reversal is approved or rejected by someone other than who asked."), field="request")
    return locked


@transaction.atomic
def approve_reversal(*, actor: User, reversal: ReversalRequest, note: str = "") -> ReversalRequest:
    """Apply a requested reversal: the payment or the bill is reversed with the request's
    reason, every balance it touched is restored, and the request records who approved."""
    locked = lock_pending_reversal(actor, reversal)
    if locked.payment is not None:
        applied = reverse_payment(actor=actor, payment=locked.payment, reason=locked.reason)
    else:
        assert locked.bill is not None  # a request names a payment or a bill (a check constraint)
        applied = reverse_bill(actor=actor, bill=locked.bill, reason=locked.reason)
    locked.reversal = applied
    record_decision(actor, locked, ReversalRequest.Status.APPROVED, note, ["reversal"])
    notify(
        recipient=locked.requested_by,
        subject=_("Your reversal request was approved"),
        body=locked.reason,
        estate=locked.estate,
        dedupe_key=f"billing:reversal-request:{locked.pk}:decided",
    )
    reversal.status = locked.status
    return locked


@transaction.atomic
def reject_reversal(*, actor: User, reversal: ReversalRequest, note: str = "") -> ReversalRequest:
    """Refuse a requested reversal; nothing in the ledger changes, the request stays on file."""
    locked = lock_pending_reversal(actor, reversal)
    record_decision(actor, locked, ReversalRequest.Status.REJECTED, note)
    notify(
        recipient=locked.requested_by,
        subject=_("Your reversal request was rejected"),
        body=locked.decision_note or locked.reason,
        estate=locked.estate,
        dedupe_key=f"billing:reversal-request:{locked.pk}:decided",
    )
    reversal.status = locked.status
    return locked


def record_decision(
    actor: User, locked: ReversalRequest, status: str, note: str, also: list[str] | None = None
) -> None:
    """Record the decision on the locked request (and the fields in `also`), and audit it."""
    locked.status = status
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()[:300]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", *(also or [])])
    record_change(
        actor=actor,
        target=locked,
        verb="approve" if status == ReversalRequest.Status.APPROVED else "reject",
        estate_id=locked.estate_id,
        changes={"status": [ReversalRequest.Status.PENDING, status]},
        note=locked.decision_note,
    )
