"""Property-based tests (hypothesis) of the ledger: whatever the bills and the payments,

- a payment's allocations plus what it leaves prepaid are exactly the payment;
- reversing a payment (through a request and its approval) restores every balance exactly;
- the collection rate computed straight from the ledger rows equals the figure of
  reports.period_totals, the one on the collection page (id="collection-rate") and the one in
  the receivables export (exports.COLLECTION_RATE_CELL).

Each example runs inside a transaction that is rolled back, so examples do not see each
other's rows; the number of examples is bounded to keep the suite quick."""

import datetime
import re
from decimal import ROUND_HALF_UP, Context, Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanjia.billing import actions, exports, queries, reports
from guanjia.billing.models import Allocation, Bill, Payment
from guanjia.billing.tests.factories import FeeItemFactory
from guanjia.billing.tests.test_payments import assert_ledger_consistent

D = Decimal
PERIOD = datetime.date(2025, 6, 1)
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def cents(low: int, high: int):
    return st.integers(min_value=low, max_value=high).map(lambda n: D(n).scaleb(-2))


@pytest.fixture
def items(cast):
    return [FeeItemFactory(estate=cast.estate, code=f"p{n}") for n in range(3)]


def add_month(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def make_bill(unit, item, period_start, amount) -> Bill:
    end = add_month(period_start, 1) - datetime.timedelta(days=1)
    return Bill.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        fee_item=item,
        period_start=period_start,
        period_end=end,
        due_date=period_start,
        amount=amount,
    )


def balances(units) -> tuple:
    """Every balance the ledger has: each bill's paid amount and status, each unit's prepaid."""
    bills = tuple(Bill.objects.order_by("pk").values_list("pk", "paid_amount", "status"))
    prepaid = tuple(queries.prepaid_balance(unit) for unit in units)
    return bills, prepaid, reports.period_totals(units[0].estate_id, PERIOD)


class Rollback(Exception):
    pass


def in_rolled_back_transaction(check):
    """Run `check` inside a transaction and roll it back whatever happens."""
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


@EXAMPLES
@given(
    bill_amounts=st.lists(cents(1, 80000), min_size=0, max_size=6),
    prepaid_first=st.one_of(st.none(), cents(1, 50000)),
    payment=cents(1, 500000),
    choose=st.booleans(),
)
def test_allocations_and_prepaid_sum_to_the_payment(cast, items, bill_amounts, prepaid_first, payment, choose):
    def check():
        if prepaid_first is not None:  # a prepaid balance already on file does not leak into the new payment
            actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount=prepaid_first, method="cash")
        bills = [
            make_bill(cast.unit_a, items[0], add_month(PERIOD, n), amount) for n, amount in enumerate(bill_amounts)
        ]
        prepaid_before = queries.prepaid_balance(cast.unit_a)
        bill_ids = None
        amount = payment
        if choose and bills:
            chosen = bills[::2]
            bill_ids = [bill.pk for bill in chosen]
            amount = min(payment, sum((bill.amount for bill in chosen), D("0.00")))
        made = actions.record_payment(
            actor=cast.finance, unit=cast.unit_a, amount=amount, method="cash", bill_ids=bill_ids
        )
        allocated = sum((a.amount for a in made.allocations.all()), D("0.00"))
        left = queries.unallocated(made)
        assert allocated + left == made.amount == amount
        assert left >= 0
        assert queries.prepaid_balance(cast.unit_a) == prepaid_before + left
        # Each allocation settles at most what the bill owed; oldest first without a choice.
        for allocation in made.allocations.select_related("bill"):
            assert allocation.amount <= allocation.bill.amount
            if bill_ids is not None:
                assert allocation.bill_id in bill_ids
        if bill_ids is None and left > 0:
            assert all(b.status == Bill.Status.PAID for b in Bill.objects.filter(unit=cast.unit_a))
        assert_ledger_consistent()

    in_rolled_back_transaction(check)


@EXAMPLES
@given(
    earlier=st.lists(st.tuples(st.sampled_from("ab"), cents(1, 60000)), max_size=4),
    unit_key=st.sampled_from("ab"),
    payment=cents(1, 200000),
    bill_amounts=st.lists(cents(1, 60000), min_size=1, max_size=4),
)
def test_a_reversal_restores_every_balance_exactly(cast, items, earlier, unit_key, payment, bill_amounts):
    units = {"a": cast.unit_a, "b": cast.unit_b}

    def check():
        for n, amount in enumerate(bill_amounts):
            make_bill(cast.unit_a, items[0], add_month(PERIOD, n), amount)
            make_bill(cast.unit_b, items[0], add_month(PERIOD, n), amount)
        for key, amount in earlier:
            actions.record_payment(actor=cast.finance, unit=units[key], amount=amount, method="cash")
        before = balances([cast.unit_a, cast.unit_b])
        made = actions.record_payment(actor=cast.finance, unit=units[unit_key], amount=payment, method="pos")
        request = actions.request_reversal(actor=cast.finance, payment=made, reason="录错")
        actions.approve_reversal(actor=cast.manager, reversal=request)
        assert balances([cast.unit_a, cast.unit_b]) == before
        made.refresh_from_db()
        assert made.status == Payment.Status.REVERSED  # kept, marked, never deleted
        assert_ledger_consistent()

    in_rolled_back_transaction(check)


def rate_from_the_ledger(estate_id: int) -> Decimal | None:
    """当期收缴率 straight from the rows: allocations of valid payments to the period's bills
    that are not reversed, over those bills' amounts; rounded half up to four places."""
    bills = [b for b in Bill.objects.filter(estate_id=estate_id, period_start=PERIOD) if b.status != "reversed"]
    receivable = sum((b.amount for b in bills), D("0"))
    received = sum(
        (
            a.amount
            for a in Allocation.objects.filter(bill__in=[b.pk for b in bills]).select_related("payment")
            if a.payment.status == Payment.Status.VALID
        ),
        D("0"),
    )
    if receivable == 0:
        return None
    exact = Context(prec=60).divide(received, receivable)
    return exact.quantize(D("0.0001"), rounding=ROUND_HALF_UP)


def rate_on_the_page(client, estate_id: int) -> Decimal | None:
    response = client.get(reverse("billing:collection", kwargs={"estate_id": estate_id}), {"month": "2025-06"})
    assert response.status_code == 200
    found = re.search(r'id="collection-rate"[^>]*data-rate="([^"]*)"', response.content.decode())
    assert found, "the page shows no element id=collection-rate"
    return D(found.group(1)) if found.group(1) else None


@EXAMPLES
@given(
    amounts=st.lists(st.one_of(st.none(), cents(1, 90000)), min_size=6, max_size=6),
    payments=st.lists(st.tuples(st.sampled_from("ab"), cents(1, 150000)), max_size=4),
    reverse_bill_index=st.one_of(st.none(), st.integers(0, 5)),
    reverse_payment=st.booleans(),
)
def test_the_collection_rate_from_the_ledger_equals_the_query_the_page_and_the_export(
    client, cast, items, amounts, payments, reverse_bill_index, reverse_payment
):
    client.force_login(cast.manager)
    units = {"a": cast.unit_a, "b": cast.unit_b}

    def check():
        bills = []
        for index, amount in enumerate(amounts):  # 2 units × 3 items in the period, some missing
            if amount is not None:
                unit = cast.unit_a if index < 3 else cast.unit_b
                bills.append(make_bill(unit, items[index % 3], PERIOD, amount))
        make_bill(cast.unit_a, items[0], add_month(PERIOD, 1), D("99.99"))  # another period: not counted
        if reverse_bill_index is not None and reverse_bill_index < len(bills):
            actions.reverse_bill(actor=cast.finance, bill=bills[reverse_bill_index], reason="开错")
        made = [actions.record_payment(actor=cast.finance, unit=units[k], amount=a, method="cash") for k, a in payments]
        if reverse_payment and made:
            actions.reverse_payment(actor=cast.finance, payment=made[0], reason="退票")
        direct = rate_from_the_ledger(cast.estate.pk)
        assert reports.period_totals(cast.estate.pk, PERIOD)["collection_rate"] == direct
        assert rate_on_the_page(client, cast.estate.pk) == direct
        content = exports.receivables_workbook(cast.estate, PERIOD)
        assert exports.read_collection_rate(content) == direct

    in_rolled_back_transaction(check)
