"""The bill-line arithmetic, against amounts computed by hand (shown in each comment)."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from guanjia.billing import money

D = Decimal
JUNE = (datetime.date(2025, 6, 1), datetime.date(2025, 6, 30))


def property_fee(price="2.50", area="89.50", status="occupied", delivery=None, period=JUNE, rate="0.70"):
    return money.periodic_line(
        kind="property_fee",
        unit_price=D(price),
        area=D(area),
        start=period[0],
        end=period[1],
        status=status,
        delivery_date=delivery,
        vacant_rate=D(rate),
    )


@pytest.mark.parametrize(
    "value,expected",
    [
        ("12.345", "12.35"),  # exactly half a fen rounds up (banker's rounding would give 12.34)
        ("12.335", "12.34"),
        ("12.3449999", "12.34"),
        ("0.005", "0.01"),
        ("0.0049", "0.00"),
        ("-12.345", "-12.35"),
        ("7", "7.00"),
    ],
)
def test_rounding_to_the_fen_is_half_up(value, expected):
    assert money.round_to_fen(D(value)) == D(expected)
    assert str(money.round_to_fen(D(value))) == expected


def test_a_full_month_of_property_fee():
    # 2.50 ¥/m²/month × 89.50 m² × 1 month = 223.75
    line = property_fee()
    assert line.amount == D("223.75")
    assert line.payer == "owner"
    assert line.basis["rule"] == "full"


def test_a_mid_month_delivery_pays_by_actual_days_including_the_delivery_day():
    # Delivered 16 June: 16th..30th = 15 of 30 days. 223.75 × 15/30 = 111.875 → 111.88
    line = property_fee(delivery=datetime.date(2025, 6, 16))
    assert line.amount == D("111.88")
    assert line.basis["days"] == [{"month": "2025-06", "days": 15, "of": 30}]


def test_delivery_on_the_last_day_bills_one_day():
    # 223.75 × 1/30 = 7.458333… → 7.46
    assert property_fee(delivery=datetime.date(2025, 6, 30)).amount == D("7.46")


def test_delivery_on_the_first_day_or_before_bills_the_whole_month():
    assert property_fee(delivery=datetime.date(2025, 6, 1)).amount == D("223.75")
    assert property_fee(delivery=datetime.date(2020, 1, 1)).amount == D("223.75")


def test_delivery_after_the_period_bills_nothing():
    assert property_fee(delivery=datetime.date(2025, 7, 1)) is None


def test_a_vacant_unit_pays_the_vacant_rate():
    # 223.75 × 0.70 = 156.625 → 156.63
    line = property_fee(status="vacant")
    assert line.amount == D("156.63")
    assert line.basis["rate"] == "0.70"
    # Entrusted vacant (委托代管空置) is vacant too; the rate is configurable.
    assert property_fee(status="entrusted_vacant", rate="0.50").amount == D("111.88")  # 111.875


def test_a_vacant_unit_delivered_mid_month_in_a_leap_february():
    # Delivered 20 Feb 2024: 20th..29th = 10 of 29 days. 2.00 × 100.00 × 10/29 × 0.70 = 1400/29
    # = 48.2758… → 48.28
    feb = (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    line = property_fee(price="2.00", area="100.00", status="vacant", delivery=datetime.date(2024, 2, 20), period=feb)
    assert line.amount == D("48.28")


def test_an_undelivered_unit_is_billed_to_the_developer_in_full():
    # 2.50 × 120.00 = 300.00 at the full rate, whatever the planned delivery date.
    line = property_fee(area="120.00", status="undelivered", delivery=datetime.date(2025, 8, 10))
    assert line.amount == D("300.00")
    assert line.payer == "developer"
    assert line.basis["rule"] == "undelivered"


def test_quarterly_items_bill_three_months_in_advance_at_the_quarter_start():
    assert money.cycle_period(datetime.date(2025, 4, 1), "quarterly") == (
        datetime.date(2025, 4, 1),
        datetime.date(2025, 6, 30),
    )
    assert money.cycle_period(datetime.date(2025, 5, 1), "quarterly") is None
    assert money.cycle_period(datetime.date(2025, 1, 1), "yearly") == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    assert money.cycle_period(datetime.date(2025, 2, 1), "yearly") is None
    assert money.cycle_period(datetime.date(2025, 12, 1), "monthly") == (
        datetime.date(2025, 12, 1),
        datetime.date(2025, 12, 31),
    )
    quarter = money.cycle_period(datetime.date(2025, 4, 1), "quarterly")
    # 2.50 × 89.50 × 3 = 671.25
    assert property_fee(period=quarter).amount == D("671.25")


def test_a_quarter_with_a_delivery_in_its_second_month():
    # Delivered 11 May: April 0, May 21/31 (11th..31st), June 1 → 52/31 months.
    # 223.75 × 52/31 = 11635/31 = 375.3225… → 375.32
    quarter = money.cycle_period(datetime.date(2025, 4, 1), "quarterly")
    line = property_fee(period=quarter, delivery=datetime.date(2025, 5, 11))
    assert line.amount == D("375.32")
    assert line.basis["months"] == str(Fraction(52, 31))


def test_a_line_is_rounded_once_not_per_month():
    # A fixed 1.005 ¥/month billed quarterly: 3 × 1.005 = 3.015 → 3.02.
    # Rounding each month first would give 1.01 × 3 = 3.03.
    quarter = money.cycle_period(datetime.date(2025, 1, 1), "quarterly")
    line = money.periodic_line(
        kind="fixed_monthly",
        unit_price=D("1.0050"),
        area=None,
        start=quarter[0],
        end=quarter[1],
        status="occupied",
        delivery_date=None,
    )
    assert line.amount == D("3.02")


def test_price_with_four_places_at_the_fen_boundary():
    # 1.2345 × 10.00 = 12.345 → 12.35
    assert property_fee(price="1.2345", area="10.00").amount == D("12.35")


def test_a_fixed_monthly_fee_is_not_reduced_for_vacancy():
    line = money.periodic_line(
        kind="fixed_monthly",
        unit_price=D("150.0000"),
        area=None,
        start=JUNE[0],
        end=JUNE[1],
        status="vacant",
        delivery_date=None,
    )
    assert line.amount == D("150.00")


def test_a_property_fee_needs_an_area():
    with pytest.raises(ValueError, match="area"):
        property_fee(area="0")


TIERS = [money.Tier(D("22"), D("3.45")), money.Tier(None, D("5.83")), money.Tier(D("30"), D("4.83"))]


@pytest.mark.parametrize(
    "consumption,expected",
    [
        ("0", "0.00"),
        ("10", "34.50"),  # 10 × 3.45
        ("22", "75.90"),  # 22 × 3.45, the whole first tier
        ("25", "90.39"),  # 75.90 + 3 × 4.83 = 75.90 + 14.49
        ("35", "143.69"),  # 75.90 + 8 × 4.83 + 5 × 5.83 = 75.90 + 38.64 + 29.15
        ("12.5", "43.13"),  # 12.5 × 3.45 = 43.125 → 43.13
    ],
)
def test_tiered_water(consumption, expected):
    line = money.tiered_line(consumption=D(consumption), tiers=TIERS, status="occupied")
    assert line.amount == D(expected)
    assert line.payer == "owner"


def test_tiered_water_keeps_its_breakdown_and_bills_the_developer_when_undelivered():
    line = money.tiered_line(consumption=D("35"), tiers=TIERS, status="undelivered")
    assert line.payer == "developer"
    assert line.basis["tiers"] == [
        {"quantity": "22.00", "price": "3.45"},
        {"quantity": "8.00", "price": "4.83"},
        {"quantity": "5.00", "price": "5.83"},
    ]


def test_tiers_without_an_open_last_tier_are_refused():
    with pytest.raises(ValueError, match="tiers"):
        money.tiered_line(consumption=D("5"), tiers=[money.Tier(D("22"), D("3.45"))], status="occupied")


def test_collection_rate():
    # 2/3 = 0.66666… → 0.6667; 0.123450 exactly → 0.1235 (half up)
    assert money.collection_rate(D("200.00"), D("300.00")) == D("0.6667")
    assert money.collection_rate(D("12.345"), D("100.00")) == D("0.1235")
    assert money.collection_rate(D("0.00"), D("0.00")) is None


def test_the_decimal_fast_path_agrees_with_exact_fractions():
    import random

    rng = random.Random(5)
    for _ in range(2000):
        price = D(rng.randint(1, 99999)).scaleb(-4)
        area = D(rng.randint(1, 9999999)).scaleb(-2)
        rate = D(rng.randint(0, 10000)).scaleb(-4)
        months = D(rng.choice([1, 3, 12]))
        fast = money.exact_product(price, area, rate, months)
        slow = Fraction(price) * Fraction(area) * Fraction(rate) * Fraction(months)
        assert isinstance(fast, Decimal) and Fraction(fast) == slow
        assert money.round_to_fen(fast) == money.round_to_fen(slow)
