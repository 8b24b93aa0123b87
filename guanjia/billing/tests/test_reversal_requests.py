"""Reversals (红冲) with a reason and an approval by someone other than who asked."""

import datetime
from decimal import Decimal

import pytest

from guanjia.billing import actions, queries, reports
from guanjia.billing.models import Bill, Payment, Reversal, ReversalRequest
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.billing.tests.test_payments import assert_ledger_consistent, ledger_state
from guanjia.core.errors import DomainError
from guanjia.notifications.models import Notification

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)


@pytest.fixture
def billed(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    return item


def test_a_requested_reversal_changes_nothing_until_approved_and_then_restores_every_balance(cast, billed):
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    before = ledger_state(cast.unit_a)
    totals_before = reports.period_totals(cast.estate.pk, JUNE)
    mistake = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="400.00", method="cash")
    # 100 + 400 = 500: June 223.75 and July 223.75 paid, 52.50 prepaid.
    assert queries.prepaid_balance(cast.unit_a) == D("52.50")
    after_mistake = ledger_state(cast.unit_a)

    request = actions.request_reversal(actor=cast.finance, payment=mistake, reason="收银员多收")
    assert request.status == ReversalRequest.Status.PENDING
    assert ledger_state(cast.unit_a) == after_mistake  # nothing reversed yet
    assert not Reversal.objects.exists()
    # The manager is told that a request waits.
    assert Notification.objects.filter(recipient=cast.manager, dedupe_key__startswith="billing:reversal").exists()

    approved = actions.approve_reversal(actor=cast.manager, reversal=request, note="同意")
    assert approved.status == ReversalRequest.Status.APPROVED and approved.decided_by == cast.manager
    assert approved.reversal.payment == mistake and approved.reversal.reason == "收银员多收"
    assert approved.reversal.reversed_by == cast.manager
    assert ledger_state(cast.unit_a) == before
    assert reports.period_totals(cast.estate.pk, JUNE) == totals_before
    mistake.refresh_from_db()
    assert mistake.status == Payment.Status.REVERSED and Payment.objects.filter(pk=mistake.pk).exists()
    decided = f"billing:reversal-request:{request.pk}:decided"
    assert Notification.objects.filter(recipient=cast.finance, dedupe_key=decided).count() == 1
    assert_ledger_consistent()


def test_a_reversal_needs_a_reason(cast, billed):
    payment = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="10", method="cash")
    for reason in ("", "   ", None):
        with pytest.raises(DomainError) as error:
            actions.request_reversal(actor=cast.finance, payment=payment, reason=reason)
        assert error.value.field == "reason"
    assert not ReversalRequest.objects.exists()


def test_the_requester_cannot_approve_their_own_request_and_a_decision_is_final(cast, billed):
    payment = actions.record_payment(actor=cast.manager, unit=cast.unit_a, amount="10", method="cash")
    request = actions.request_reversal(actor=cast.manager, payment=payment, reason="录错")
    for decide in (actions.approve_reversal, actions.reject_reversal):
        with pytest.raises(DomainError) as error:
            decide(actor=cast.manager, reversal=request)
        assert error.value.field == "request"
    request.refresh_from_db()
    assert request.status == ReversalRequest.Status.PENDING and not Reversal.objects.exists()

    # A second request for the same payment while one waits is refused.
    with pytest.raises(DomainError) as error:
        actions.request_reversal(actor=cast.finance, payment=payment, reason="再次")
    assert error.value.field == "target"

    rejected = actions.reject_reversal(actor=cast.finance, reversal=request, note="金额无误")
    assert rejected.status == ReversalRequest.Status.REJECTED and rejected.decision_note == "金额无误"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.VALID and not Reversal.objects.exists()
    with pytest.raises(DomainError):
        actions.approve_reversal(actor=cast.finance, reversal=request)
    assert ReversalRequest.objects.get(pk=request.pk).status == ReversalRequest.Status.REJECTED


def test_a_bill_reversal_request_is_refused_while_the_bill_has_payments(cast, billed):
    june_a = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    june_b = Bill.objects.get(unit=cast.unit_b, period_start=JUNE)
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="1", method="cash")
    with pytest.raises(DomainError) as error:
        actions.request_reversal(actor=cast.finance, bill=june_a, reason="面积录错")
    assert error.value.field == "bill"
    with pytest.raises(DomainError) as error:
        actions.request_reversal(actor=cast.finance, reason="什么都没选")
    assert error.value.field == "target"
    request = actions.request_reversal(actor=cast.finance, bill=june_b, reason="面积录错")
    actions.approve_reversal(actor=cast.manager, reversal=request)
    june_b.refresh_from_db()
    assert june_b.status == Bill.Status.REVERSED
    assert reports.period_totals(cast.estate.pk, JUNE)["receivable"] == D("223.75")
    # Already reversed: a new request is refused.
    with pytest.raises(DomainError):
        actions.request_reversal(actor=cast.finance, bill=june_b, reason="再冲")
