import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from guanjia.billing import access, actions, queries, reports
from guanjia.billing.actions import runs
from guanjia.billing.models import Bill, BillingRun, FeeItem, FeeStandard, MeterReading
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core import jobs
from guanjia.core.errors import DomainError
from guanjia.core.models import Change, Job
from guanjia.estates.models import Unit
from guanjia.estates.tests.factories import UnitFactory

D = Decimal
JULY = datetime.date(2025, 7, 1)


@pytest.fixture
def fee(cast):
    """翠湖苑's property fee: 2.50 ¥/m²/month for high-rise apartments since 2025."""
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    return item


def bills_snapshot(estate):
    return sorted(
        (b.unit.code, b.fee_item.code, str(b.period_start), str(b.amount), b.payer)
        for b in Bill.objects.filter(estate=estate).select_related("unit", "fee_item")
    )


def more_units(cast, count):
    building = cast.unit_a.building
    return [
        UnitFactory(building=building, entrance="3", number=f"{n + 1:02d}01", floor=n + 1, zone=cast.zone_a)
        for n in range(count)
    ]


# -- The billing run ------------------------------------------------------------------------


def test_billing_run_creates_one_line_per_unit_and_item(cast, fee):
    run = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert run.status == BillingRun.Status.FINISHED
    assert run.lines_created == 2 and run.units_total == 2
    assert bills_snapshot(cast.estate) == [
        ("1-1-1201", "wyf", "2025-07-01", "223.75", "owner"),  # 2.50 × 89.50
        ("2-1-0801", "wyf", "2025-07-01", "300.00", "owner"),  # 2.50 × 120.00
    ]
    bill = Bill.objects.get(unit=cast.unit_a)
    assert bill.period_end == datetime.date(2025, 7, 31) and bill.due_date == JULY
    assert bill.basis["area"] == "89.50"
    assert not Bill.objects.filter(estate=cast.other_estate).exists()
    assert Change.objects.filter(verb="run_billing", object_id=run.pk, actor=cast.finance).exists()


def test_billing_run_applies_delivery_vacancy_and_developer_rules(cast, fee):
    building = cast.unit_a.building
    UnitFactory(building=building, number="1501", area=D("100.00"), status=Unit.Status.VACANT)
    UnitFactory(building=building, number="1601", area=D("100.00"), status=Unit.Status.UNDELIVERED)
    UnitFactory(building=building, number="1701", area=D("100.00"), delivery_date=datetime.date(2025, 7, 21))
    UnitFactory(building=building, number="1801", area=D("100.00"), delivery_date=datetime.date(2025, 8, 2))
    UnitFactory(building=building, number="0101", area=D("20.00"), house_type=Unit.HouseType.PARKING)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    snapshot: dict[str, list] = {}
    for code, _item, _start, amount, payer in bills_snapshot(cast.estate):
        snapshot.setdefault(code, []).append((payer, amount))
    assert snapshot["1-1-1501"] == [("owner", "175.00")]  # 2.50 × 100 × 0.70
    assert snapshot["1-1-1601"] == [("developer", "250.00")]  # full rate, to the developer
    # Delivered on 21 July: the owner pays 11/31 (21st..31st) = 250 × 11/31 = 88.709… → 88.71,
    # the developer the 20 days before, 250 × 20/31 = 161.290… → 161.29 (decision 0004).
    assert sorted(snapshot["1-1-1701"]) == [("developer", "161.29"), ("owner", "88.71")]
    # Delivered on 2 August: July is wholly the developer's, nothing the owner's.
    assert snapshot["1-1-1801"] == [("developer", "250.00")]
    assert "1-1-0101" not in snapshot  # no standard for parking spaces in this item


def test_running_twice_creates_nothing_new_and_changes_nothing(cast, fee):
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    first = bills_snapshot(cast.estate)
    ids = sorted(Bill.objects.values_list("pk", flat=True))
    # Even a changed standard does not rewrite the bills already issued.
    FeeStandard.objects.filter(fee_item=fee).update(unit_price=D("9.9900"))
    again = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert again.lines_created == 0 and again.lines_planned == 0
    assert bills_snapshot(cast.estate) == first
    assert sorted(Bill.objects.values_list("pk", flat=True)) == ids


def test_a_run_killed_half_way_is_completed_by_the_next_run(cast, fee, monkeypatch):
    more_units(cast, 5)  # 7 units in the estate, batches of 2
    clean = None
    real_insert = runs.insert_bills
    calls = {"n": 0}

    def dies_on_the_third_batch(bills, *rest):
        calls["n"] += 1
        if calls["n"] == 3:
            # Half of this batch is written, then the worker dies: its transaction rolls back.
            real_insert(bills[:1], *rest)
            raise RuntimeError("worker killed")
        real_insert(bills, *rest)

    monkeypatch.setattr(runs, "insert_bills", dies_on_the_third_batch)
    with pytest.raises(RuntimeError):
        actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY, batch_size=2)
    assert 4 <= Bill.objects.count() < 7
    assert BillingRun.objects.get().status == BillingRun.Status.FAILED

    monkeypatch.setattr(runs, "insert_bills", real_insert)
    run = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY, batch_size=2)
    assert run.status == BillingRun.Status.FINISHED
    after = bills_snapshot(cast.estate)
    assert len(after) == 7 and len({(code, item) for code, item, *_ in after}) == 7

    # The same bills a single clean run makes.
    Bill.objects.all().delete()
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    clean = bills_snapshot(cast.estate)
    assert after == clean


def test_quarterly_and_yearly_items_are_billed_only_at_their_cycle_start(cast, fee):
    parking = FeeItemFactory(
        estate=cast.estate, code="parking", name="车位管理费", kind=FeeItem.Kind.FIXED_MONTHLY, cycle="quarterly"
    )
    FeeStandardFactory(
        fee_item=parking, house_type=Unit.HouseType.HIGH_RISE, unit_price=D("60"), valid_from=datetime.date(2025, 1, 1)
    )
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    quarterly = Bill.objects.get(unit=cast.unit_a, fee_item=parking)
    assert quarterly.amount == D("180.00")  # 60 × 3, July–September in advance
    assert quarterly.period_end == datetime.date(2025, 9, 30)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 8, 1))
    assert Bill.objects.filter(fee_item=parking).count() == 2  # nothing new in August
    assert Bill.objects.filter(fee_item=fee).count() == 4


def test_water_is_billed_from_the_month_readings_by_tier(cast):
    water = actions.create_fee_item(actor=cast.finance, estate=cast.estate, code="water", name="水费", kind="metered")
    actions.set_water_tiers(actor=cast.finance, fee_item=water, tiers=[("22", "3.45"), ("30", "4.83"), (None, "5.83")])
    actions.record_meter_reading(
        actor=cast.finance, unit=cast.unit_a, fee_item=water, period=datetime.date(2025, 6, 1), reading="100"
    )
    actions.record_meter_reading(actor=cast.finance, unit=cast.unit_a, fee_item=water, period=JULY, reading="135")
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    bill = Bill.objects.get(fee_item=water)
    assert bill.unit == cast.unit_a  # unit_b has no reading for July: no line
    assert bill.amount == D("143.69")  # 22 × 3.45 + 8 × 4.83 + 5 × 5.83


def test_billing_reports_progress_to_its_job(cast, fee):
    more_units(cast, 3)
    job = jobs.start_job("billing_run", cast.estate.pk, cast.finance)
    run = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY, job_id=job.pk, batch_size=2)
    job.refresh_from_db()
    assert (job.done, job.total) == (5, 5)
    assert run.job_id == job.pk


def test_a_unit_without_area_stops_the_run_before_anything_is_written(cast, fee, monkeypatch):
    real = queries.billable_units

    def with_a_missing_area(estate):
        rows = real(estate)
        rows[-1]["area"] = None  # the DB refuses such a row; an import or a legacy copy might not
        return rows

    monkeypatch.setattr(queries, "billable_units", with_a_missing_area)
    with pytest.raises(DomainError) as error:
        actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert error.value.field == "area"
    assert "2-1-0801" in error.value.message
    assert not Bill.objects.exists() and not BillingRun.objects.exists()


def test_a_period_must_start_on_the_first(cast, fee):
    with pytest.raises(DomainError) as error:
        actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 7, 15))
    assert error.value.field == "period_start"
    assert not BillingRun.objects.exists()


# -- Standards and readings -----------------------------------------------------------------


@pytest.mark.parametrize("price", ["0", "-2.5", "abc", "2.12345", "NaN"])
def test_a_bad_price_is_refused_and_nothing_saved(cast, fee, price):
    before = list(FeeStandard.objects.values_list("pk", "unit_price", "valid_to"))
    with pytest.raises(DomainError) as error:
        actions.set_fee_standard(
            actor=cast.finance,
            fee_item=fee,
            house_type=Unit.HouseType.HIGH_RISE,
            unit_price=price,
            valid_from=datetime.date(2026, 1, 1),
        )
    assert "price" in error.value.field
    assert list(FeeStandard.objects.values_list("pk", "unit_price", "valid_to")) == before


def test_a_new_standard_closes_the_previous_one(cast, fee):
    new = actions.set_fee_standard(
        actor=cast.finance,
        fee_item=fee,
        house_type=Unit.HouseType.HIGH_RISE,
        unit_price="2.80",
        valid_from=datetime.date(2025, 8, 1),
    )
    old = FeeStandard.objects.exclude(pk=new.pk).get()
    assert old.valid_to == datetime.date(2025, 7, 31)
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 8, 1))
    assert Bill.objects.get(unit=cast.unit_a).amount == D("250.60")  # 2.80 × 89.50
    with pytest.raises(DomainError) as error:
        actions.set_fee_standard(
            actor=cast.finance,
            fee_item=fee,
            house_type=Unit.HouseType.HIGH_RISE,
            unit_price="3",
            valid_from=datetime.date(2025, 6, 1),
        )
    assert error.value.field == "valid_from"


def test_a_reading_lower_than_the_last_is_refused(cast):
    water = FeeItemFactory(estate=cast.estate, code="water", kind=FeeItem.Kind.METERED)
    actions.record_meter_reading(
        actor=cast.finance, unit=cast.unit_a, fee_item=water, period=datetime.date(2025, 6, 1), reading="120.5"
    )
    with pytest.raises(DomainError) as error:
        actions.record_meter_reading(actor=cast.finance, unit=cast.unit_a, fee_item=water, period=JULY, reading="99")
    assert error.value.field == "reading"
    assert MeterReading.objects.count() == 1
    with pytest.raises(DomainError) as error:
        actions.record_meter_reading(
            actor=cast.finance, unit=cast.unit_a, fee_item=water, period=datetime.date(2025, 6, 1), reading="130"
        )
    assert error.value.field == "period"
    reading = actions.record_meter_reading(
        actor=cast.finance, unit=cast.unit_a, fee_item=water, period=JULY, reading="130.25"
    )
    assert reading.previous == D("120.50") and reading.consumption == D("9.75")


def test_bad_tiers_are_refused(cast):
    water = FeeItemFactory(estate=cast.estate, code="water", kind=FeeItem.Kind.METERED)
    for tiers, field in [
        ([("22", "3.45")], "upper_bound"),
        ([("30", "3.45"), ("22", "4"), (None, "5")], "upper_bound"),
        ([("22", "0"), (None, "5")], "price"),
    ]:
        with pytest.raises(DomainError) as error:
            actions.set_water_tiers(actor=cast.finance, fee_item=water, tiers=tiers)
        assert error.value.field == field
    assert not water.tiers.exists()


# -- Figures --------------------------------------------------------------------------------


def test_collection_rate_and_aging_come_from_the_ledger(cast, fee):
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    Bill.objects.filter(unit=cast.unit_b).update(paid_amount=D("300.00"), status=Bill.Status.PAID)
    totals = reports.period_totals(cast.estate.pk, JULY)
    assert totals["receivable"] == D("523.75") and totals["received"] == D("300.00")
    assert totals["collection_rate"] == D("0.5728")  # 300 / 523.75 = 0.57279…
    assert reports.period_totals(cast.estate.pk, JULY, zone_ids={cast.zone_a.pk})["collection_rate"] == D("0")

    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 3, 1))
    aging = reports.arrears_aging(cast.estate.pk, datetime.date(2025, 8, 15))
    by_zone = {row["zone_code"]: row for row in aging}
    # Zone A: July (45 days overdue) and March (167 days). Zone B: March only (July is paid).
    assert by_zone["A"]["buckets"]["31-90"] == D("223.75")
    assert by_zone["A"]["buckets"]["91-180"] == D("223.75")
    assert by_zone["A"]["total"] == D("447.50")
    assert by_zone["B"]["buckets"] == {
        "0-30": D("0.00"),
        "31-90": D("0.00"),
        "91-180": D("300.00"),
        "181-365": D("0.00"),
        "365+": D("0.00"),
    }


# -- Access ---------------------------------------------------------------------------------


@pytest.fixture
def bills(cast, fee):
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    return Bill.objects.get(unit=cast.unit_a), Bill.objects.get(unit=cast.unit_b)


@pytest.mark.parametrize(
    "role,read_a,read_b,write",
    [
        ("finance", True, True, True),
        ("manager", True, True, True),
        ("head_butler", True, True, False),
        ("butler", True, False, False),  # zone A only
        ("owner", True, False, False),  # lives in unit A
        ("assistant", False, False, False),
        ("outsider", False, False, False),  # a butler of another estate
    ],
)
def test_who_may_reach_a_bill(cast, bills, role, read_a, read_b, write):
    bill_a, bill_b = bills
    user = cast.user(role)
    before = bills_snapshot(cast.estate)
    for bill, expected in [(bill_a, read_a), (bill_b, read_b)]:
        if expected:
            assert access.access_bill(user, bill.pk) == bill
        else:
            with pytest.raises(Http404):
                access.access_bill(user, bill.pk)
    if write:
        assert access.access_bill(user, bill_a.pk, write=True) == bill_a
    else:
        with pytest.raises(Http404):
            access.access_bill(user, bill_a.pk, write=True)
    assert bills_snapshot(cast.estate) == before


@pytest.mark.parametrize(
    "role,read,write,zones",
    [
        ("finance", True, True, None),
        ("manager", True, True, None),
        ("head_butler", True, False, None),
        ("butler", True, False, "A"),
        ("owner", False, False, set()),
        ("assistant", False, False, set()),
        ("outsider", False, False, set()),
    ],
)
def test_who_may_reach_an_estate_billing(cast, role, read, write, zones):
    user = cast.user(role)
    for wanted, expected in [(False, read), (True, write)]:
        if expected:
            assert access.access_estate_billing(user, cast.estate.pk, write=wanted) == cast.estate
        else:
            with pytest.raises(Http404):
                access.access_estate_billing(user, cast.estate.pk, write=wanted)
    expected_zones = {cast.zone_a.pk} if zones == "A" else zones
    assert access.billing_zones(user, cast.estate.pk) == expected_zones


def test_a_missing_bill_is_404(cast):
    with pytest.raises(Http404):
        access.access_bill(cast.finance, 999999)
    with pytest.raises(Http404):
        access.access_estate_billing(cast.finance, 999999)


def test_job_row_untouched_without_job(cast, fee):
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert not Job.objects.exists()
