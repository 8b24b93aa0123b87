import datetime
import random
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from guanjia.billing import actions, queries, reports
from guanjia.billing.models import Allocation, Bill, Payment, ReceiptCounter, Reversal
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.errors import DomainError

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)


@pytest.fixture
def billed(cast):
    """Unit A owes 223.75 for June and for July; unit B 300.00 for each."""
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    return item


def ledger_state(unit):
    bills = [(b.pk, b.paid_amount, b.status) for b in Bill.objects.filter(unit=unit).order_by("pk")]
    return bills, queries.prepaid_balance(unit)


def assert_ledger_consistent():
    """Every bill's paid amount is the sum of its valid payments' allocations, and never more
    than the bill; every valid payment's allocations never exceed it."""
    for bill in Bill.objects.all():
        allocated = sum((a.amount for a in bill.allocations.filter(payment__status=Payment.Status.VALID)), D("0.00"))
        assert bill.paid_amount == allocated
        assert bill.paid_amount <= bill.amount
        assert (bill.status == Bill.Status.PAID) == (bill.paid_amount == bill.amount and bill.amount > 0)
    for payment in Payment.objects.filter(status=Payment.Status.VALID):
        assert queries.unallocated(payment) >= 0


def test_a_payment_settles_the_oldest_bill_first_and_takes_the_next_receipt_number(cast, billed):
    first = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="300.00", method="cash")
    june, july = Bill.objects.filter(unit=cast.unit_a).order_by("period_start")
    june.refresh_from_db()
    july.refresh_from_db()
    assert (june.paid_amount, june.status) == (D("223.75"), Bill.Status.PAID)
    assert (july.paid_amount, july.status) == (D("76.25"), Bill.Status.OPEN)
    assert sum(a.amount for a in first.allocations.all()) == D("300.00")
    second = actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="10", method="pos")
    other = actions.record_payment(actor=cast.finance, unit=cast.other_unit, amount="10", method="cash")
    assert (first.receipt_number, second.receipt_number, other.receipt_number) == (1, 2, 1)
    assert_ledger_consistent()


def test_overpayment_becomes_prepaid_and_the_next_run_draws_on_it(cast, billed):
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="500.00", method="bank_transfer")
    # 500.00 − 223.75 − 223.75 = 52.50 prepaid
    assert queries.prepaid_balance(cast.unit_a) == D("52.50")
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 8, 1))
    august = Bill.objects.get(unit=cast.unit_a, period_start=datetime.date(2025, 8, 1))
    assert august.paid_amount == D("52.50") and august.status == Bill.Status.OPEN
    assert queries.prepaid_balance(cast.unit_a) == D("0.00")
    assert_ledger_consistent()


def test_refused_payments_change_nothing_and_leave_no_gap_in_receipt_numbers(cast, billed):
    june_b = Bill.objects.get(unit=cast.unit_b, period_start=JUNE)
    actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="300.00", method="cash", bill_ids=[june_b.pk])
    before = (ledger_state(cast.unit_b), Payment.objects.count(), list(ReceiptCounter.objects.values_list()))
    bad = [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "10", "method": "cheque"}, "method"),
        ({"amount": "10", "bill_ids": [june_b.pk]}, "bills"),  # already paid
        ({"amount": "300.01", "bill_ids": [Bill.objects.get(unit=cast.unit_b, period_start=JULY).pk]}, "amount"),
        ({"amount": "10", "bill_ids": [Bill.objects.get(unit=cast.unit_a, period_start=JULY).pk]}, "bills"),
    ]
    for kwargs, field in bad:
        kwargs.setdefault("method", "cash")
        with pytest.raises(DomainError) as error:
            actions.record_payment(actor=cast.finance, unit=cast.unit_b, **kwargs)
        assert error.value.field == field
    assert (ledger_state(cast.unit_b), Payment.objects.count(), list(ReceiptCounter.objects.values_list())) == before
    nxt = actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="1", method="cash")
    assert nxt.receipt_number == 2


def test_a_repeated_reference_is_taken_once(cast, billed):
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="10", method="online", reference="GW-1")
    with pytest.raises(DomainError) as error:
        actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="10", method="online", reference="GW-1")
    assert error.value.field == "reference"
    assert Payment.objects.count() == 1


def test_a_reversal_restores_every_balance_exactly(cast, billed):
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    before = ledger_state(cast.unit_a)
    totals_before = reports.period_totals(cast.estate.pk, JUNE)
    payment = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="400.00", method="cash")
    with pytest.raises(DomainError) as error:
        actions.reverse_payment(actor=cast.finance, payment=payment, reason="  ")
    assert error.value.field == "reason"
    assert not Reversal.objects.exists()
    reversal = actions.reverse_payment(actor=cast.finance, payment=payment, reason="收银员录错金额")
    assert reversal.payment == payment
    assert ledger_state(cast.unit_a) == before
    assert reports.period_totals(cast.estate.pk, JUNE) == totals_before
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REVERSED and payment.receipt_number == 2  # kept, never deleted
    with pytest.raises(DomainError):
        actions.reverse_payment(actor=cast.finance, payment=payment, reason="again")
    assert_ledger_consistent()


def test_a_bill_is_reversed_only_without_payments(cast, billed):
    june_a = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    june_b = Bill.objects.get(unit=cast.unit_b, period_start=JUNE)
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="1", method="cash")
    with pytest.raises(DomainError) as error:
        actions.reverse_bill(actor=cast.finance, bill=june_a, reason="错误")
    assert error.value.field == "bill"
    actions.reverse_bill(actor=cast.finance, bill=june_b, reason="面积录错")
    totals = reports.period_totals(cast.estate.pk, JUNE)
    assert totals["receivable"] == D("223.75") and totals["received"] == D("1.00")


@pytest.mark.parametrize("seed", range(8))
def test_random_payments_and_reversals_keep_the_ledger_consistent(cast, billed, seed):
    """A property-style test without hypothesis (not installed): random sequences of
    payments, reversals and prepaid draws; allocations always sum to what they settle,
    and reversing everything returns every bill to unpaid."""
    rng = random.Random(seed)
    units = [cast.unit_a, cast.unit_b]
    payments = []
    for _step in range(12):
        unit = rng.choice(units)
        roll = rng.random()
        if roll < 0.6:
            amount = D(rng.randint(1, 40000)) / 100
            payments.append(actions.record_payment(actor=cast.finance, unit=unit, amount=amount, method="cash"))
        elif roll < 0.8 and payments:
            payment = rng.choice(payments)
            payment.refresh_from_db()
            if payment.status == Payment.Status.VALID:
                actions.reverse_payment(actor=cast.finance, payment=payment, reason="测试")
        else:
            actions.apply_prepaid(actor=cast.finance, unit=unit)
        assert_ledger_consistent()
        for payment in Payment.objects.filter(status=Payment.Status.VALID):
            assert sum((a.amount for a in payment.allocations.all()), D("0.00")) <= payment.amount
    for payment in Payment.objects.filter(status=Payment.Status.VALID):
        actions.reverse_payment(actor=cast.finance, payment=payment, reason="全部冲回")
    assert set(Bill.objects.values_list("paid_amount", "status")) == {(D("0.00"), Bill.Status.OPEN)}
    numbers = sorted(Payment.objects.values_list("receipt_number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps
    assert Allocation.objects.filter(payment__status=Payment.Status.VALID).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_cashiers_paying_the_same_bill_at_once(cast, billed):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    bill = Bill.objects.get(unit=cast.unit_b, period_start=JUNE)
    barrier = threading.Barrier(2)
    errors = []

    def pay():
        try:
            barrier.wait()
            actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="300.00", method="cash")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    bill.refresh_from_db()
    july = Bill.objects.get(unit=cast.unit_b, period_start=JULY)
    # Paid once; the second payment went to the next bill (oldest first), nothing twice.
    assert bill.paid_amount == D("300.00") and july.paid_amount == D("300.00")
    assert sorted(Payment.objects.values_list("receipt_number", flat=True)) == [1, 2]
    assert_ledger_consistent()


def test_collection_by_zone_and_arrears_recovery(client, cast, billed):
    # Unit B pays June in full on 10 July; unit A pays 100 of June on 20 June.
    payment_a = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    Allocation.objects.filter(payment=payment_a).update(
        created_at=datetime.datetime(2025, 6, 20, 4, tzinfo=datetime.UTC)
    )
    payment_b = actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="300.00", method="cash")
    Allocation.objects.filter(payment=payment_b).update(
        created_at=datetime.datetime(2025, 7, 10, 4, tzinfo=datetime.UTC)
    )

    zones = {row["zone_code"]: row for row in reports.collection_by_zone(cast.estate.pk, JUNE)}
    assert zones["A"]["collection_rate"] == D("0.4469")  # 100 / 223.75 = 0.44692…
    assert zones["A"]["butler_id"] == cast.butler.pk
    assert zones["B"]["collection_rate"] == D("1.0000")

    # July: June arrears at 1 July = 223.75 − 100 + 300.00 = 423.75; 300 of it received in July.
    recovery = reports.arrears_recovery(cast.estate.pk, JULY, datetime.date(2025, 7, 31))
    assert recovery["arrears_at_start"] == D("423.75")
    assert recovery["arrears_received"] == D("300.00")
    assert recovery["recovery_rate"] == D("0.7080")  # 300 / 423.75 = 0.70796…
    # Per zone: A owed 123.75 and paid nothing in July; B owed 300.00 and paid it all.
    zone_a = reports.arrears_recovery(cast.estate.pk, JULY, datetime.date(2025, 7, 31), zone_ids=[cast.zone_a.pk])
    zone_b = reports.arrears_recovery(cast.estate.pk, JULY, datetime.date(2025, 7, 31), zone_ids=[cast.zone_b.pk])
    assert (zone_a["arrears_at_start"], zone_a["arrears_received"]) == (D("123.75"), D("0.00"))
    assert (zone_b["arrears_at_start"], zone_b["recovery_rate"]) == (D("300.00"), D("1.0000"))
    # The collection page shows them per zone and per butler (周管家 looks after zone A).
    client.force_login(cast.manager)
    page = client.get(reverse("billing:collection", args=[cast.estate.pk]) + "?month=2025-07").content.decode()
    assert '<td class="recovery">0.00%</td>' in page and '<td class="recovery">100.00%</td>' in page

    # A reversed payment counts as never made.
    actions.reverse_payment(actor=cast.finance, payment=payment_b, reason="退票")
    recovery = reports.arrears_recovery(cast.estate.pk, JULY, datetime.date(2025, 7, 31))
    assert recovery["arrears_received"] == D("0.00") and recovery["recovery_rate"] == D("0")
