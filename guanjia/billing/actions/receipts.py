"""Receipts (收据): numbered without gaps per estate, printed as PDF any number of times."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing import receipts
from guanjia.billing.models import Payment, ReceiptCounter
from guanjia.core.audit import record_change


def take_receipt_number(estate_id: int) -> int:
    """The estate's next receipt number, without gaps: the counter row stays locked until
    the payment commits, and a rolled-back payment rolls its number back too."""
    counter, _created = ReceiptCounter.objects.select_for_update().get_or_create(estate_id=estate_id)
    number = counter.next_number
    ReceiptCounter.objects.filter(pk=counter.pk).update(next_number=F("next_number") + 1)
    return number


def print_receipt(*, actor: User, payment: Payment) -> tuple[bytes, int]:
    """Print the receipt of `payment`: the PDF and which print this is (1 = the original,
    2 and on = reprints, marked 重印). The print is recorded in the audit trail."""
    with transaction.atomic():
        # One print at a time per payment, so two clicks get copies 1 and 2, not 1 and 1.
        Payment.objects.select_for_update().filter(pk=payment.pk).values_list("pk", flat=True).first()
        copy_number = receipts.print_count(payment) + 1
        pdf = receipts.render_receipt_pdf(payment, copy_number=copy_number)
        record_change(
            actor=actor,
            target=payment,
            verb=receipts.PRINT_VERB,
            estate_id=payment.estate_id,
            changes={"copy": [None, copy_number]},
            note=_("Reprint") if copy_number > 1 else "",
        )
    return pdf, copy_number
