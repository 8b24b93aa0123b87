"""Decision 0004: the days before a unit's delivery are billed to the developer, as a line of
its own beside the owner's (one line per unit × item × period × payer). Hand-computed."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from guanjia.billing import actions, money, queries
from guanjia.billing.models import Bill
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.errors import DomainError
from guanjia.estates.models import Unit
from guanjia.estates.tests.factories import UnitFactory

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)


def lines(**kwargs):
    defaults = {"kind": "property_fee", "unit_price": D("2.5000"), "area": D("100.00"), "status": "occupied"}
    return [(line.payer, line.amount) for line in money.periodic_lines(**{**defaults, **kwargs})]


def test_the_days_before_delivery_complete_the_month():
    june_16 = datetime.date(2025, 6, 16)
    owner = money.billed_time(JUNE, datetime.date(2025, 6, 30), june_16)
    developer = money.time_before_delivery(JUNE, datetime.date(2025, 6, 30), june_16)
    assert (owner.months, developer.months) == (Fraction(15, 30), Fraction(15, 30))
    assert developer.prorated == [("2025-06", 15, 30)]
    assert money.time_before_delivery(JUNE, datetime.date(2025, 6, 30), JUNE).is_zero  # delivered on the 1st
    assert money.time_before_delivery(JUNE, datetime.date(2025, 6, 30), None).is_zero


def test_hand_computed_developer_lines():
    end_of_june = datetime.date(2025, 6, 30)
    # Occupied, delivered 16 June: 250 × 15/30 = 125.00 each.
    assert lines(start=JUNE, end=end_of_june, delivery_date=datetime.date(2025, 6, 16)) == [
        ("owner", D("125.00")),
        ("developer", D("125.00")),
    ]
    # Vacant, delivered 16 June: the owner's half at 70 % (87.50); the developer's half in full.
    assert lines(start=JUNE, end=end_of_june, status="vacant", delivery_date=datetime.date(2025, 6, 16)) == [
        ("owner", D("87.50")),
        ("developer", D("125.00")),
    ]
    # Delivered on 1 June: the owner's whole month, nothing for the developer.
    assert lines(start=JUNE, end=end_of_june, delivery_date=JUNE) == [("owner", D("250.00"))]
    # Undelivered: one developer line for the whole period, as before.
    assert lines(start=JUNE, end=end_of_june, status="undelivered", delivery_date=None) == [("developer", D("250.00"))]
    # A quarterly fixed fee of 30.00/month, April–June, delivered 15 May (31 days):
    # owner May 17/31 + June = 48/31 → 30 × 48/31 = 46.451… → 46.45;
    # developer April + May 14/31 = 45/31 → 30 × 45/31 = 43.548… → 43.55; together 90.00.
    quarter = lines(
        kind="fixed_monthly",
        unit_price=D("30.0000"),
        area=None,
        start=datetime.date(2025, 4, 1),
        end=end_of_june,
        delivery_date=datetime.date(2025, 5, 15),
    )
    assert quarter == [("owner", D("46.45")), ("developer", D("43.55"))]


@pytest.fixture
def mid_june_unit(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    unit = UnitFactory(
        building=cast.unit_a.building, number="1901", area=D("100.00"), delivery_date=datetime.date(2025, 6, 16)
    )
    return item, unit


def test_the_run_bills_both_lines_once_and_a_rerun_adds_nothing(cast, mid_june_unit):
    item, unit = mid_june_unit
    first = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    bills = sorted(Bill.objects.filter(unit=unit).values_list("payer", "amount", "basis__rule"))
    assert bills == [("developer", D("125.00"), "before_delivery"), ("owner", D("125.00"), "full")]
    assert first.lines_created == 4  # units A and B, and the two lines of 1-1-1901
    # Rerun after the developer's line was lost half-way: only it comes back.
    Bill.objects.filter(unit=unit, payer="developer").delete()
    again = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    assert again.lines_created == 1
    assert Bill.objects.filter(unit=unit).count() == 2


def test_owner_money_never_settles_the_developers_line(cast, mid_june_unit):
    item, unit = mid_june_unit
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    owner_bill = Bill.objects.get(unit=unit, payer="owner")
    developer_bill = Bill.objects.get(unit=unit, payer="developer")
    paid = actions.record_payment(actor=cast.finance, unit=unit, amount="300.00", method="cash")
    owner_bill.refresh_from_db()
    developer_bill.refresh_from_db()
    assert owner_bill.status == Bill.Status.PAID and developer_bill.paid_amount == D("0.00")
    assert queries.unallocated(paid) == D("175.00")  # prepaid for the owner's next bills
    assert actions.apply_prepaid(actor=cast.finance, unit=unit) == D("0.00")
    # The developer pays its own line by choosing it.
    actions.record_payment(
        actor=cast.finance, unit=unit, amount="125.00", method="bank_transfer", bill_ids=[developer_bill.pk]
    )
    developer_bill.refresh_from_db()
    assert developer_bill.status == Bill.Status.PAID
    # An owner's online order cannot name the developer's line.
    other = Unit.objects.get(pk=unit.pk)
    with pytest.raises(DomainError):
        actions.create_payment_order(actor=cast.finance, unit=other, bill_ids=[developer_bill.pk])
