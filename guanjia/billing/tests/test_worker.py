"""Killing the billing job half-way (a real worker process) and running it again."""

import datetime
from decimal import Decimal

import pytest

from guanjia.billing import actions
from guanjia.billing.models import Bill, BillingRun
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.models import Job
from guanjia.core.testing import run_worker, wait_for
from guanjia.estates.models import Unit

JULY = datetime.date(2025, 7, 1)
UNITS = 4000


def add_units(cast):
    building = cast.unit_a.building
    Unit.objects.bulk_create(
        Unit(
            estate=cast.estate,
            building=building,
            zone=cast.zone_a,
            entrance="9",
            number=str(n),
            code=f"1-9-{n}",
            floor=1 + n % 30,
            area=Decimal("80.00") + Decimal(n % 50),
            house_type=Unit.HouseType.HIGH_RISE,
        )
        for n in range(UNITS)
    )


def test_the_job_runs_through_the_worker_entry_point(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, valid_from=datetime.date(2025, 1, 1))
    job = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=JULY)
    actions.run_billing_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result["lines_created"] == 2
    actions.run_billing_job(job_id=job.pk)  # a second delivery of the same job does nothing
    assert Bill.objects.count() == 2 and BillingRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_billing_job_killed_half_way_then_run_again(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, valid_from=datetime.date(2025, 1, 1))
    add_units(cast)
    expected_units = UNITS + 2
    with run_worker() as worker:
        job = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=JULY, batch_size=10)
        wait_for(
            lambda: Job.objects.get(pk=job.pk).done > 0,
            worker=worker,
            interval=0.02,
            message="the first batches",
        )
        worker.process.kill()  # SIGKILL: no clean-up, a batch may be half-way in its transaction
        worker.process.wait(10)
    killed = Job.objects.get(pk=job.pk)
    partial = Bill.objects.count()
    assert killed.status == Job.Status.RUNNING and killed.done < expected_units
    assert 0 < partial < expected_units

    # Run again (a new job, the way the page would), this time to the end.
    with run_worker() as worker:
        again = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=JULY)
        wait_for(lambda: Job.objects.get(pk=again.pk).finished, worker=worker, message="the rerun")
    again.refresh_from_db()
    assert again.status == Job.Status.SUCCEEDED
    assert again.result["lines_created"] == expected_units - partial
    assert Bill.objects.count() == expected_units
    assert Bill.objects.values("unit_id", "fee_item_id").distinct().count() == expected_units
    # Every line equals the one a clean computation gives.
    for bill in Bill.objects.select_related("unit"):
        assert bill.amount == (Decimal("2.50") * bill.unit.area).quantize(Decimal("0.01"))
