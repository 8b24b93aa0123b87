"""Killing the billing job half-way (a real worker process): run again, or resumed by itself."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.billing import actions
from guanjia.billing.actions import runs
from guanjia.billing.models import Allocation, Bill, BillingRun
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core import jobs
from guanjia.core.models import Change, Job
from guanjia.core.tasks import sweep_stalled_jobs_now
from guanjia.core.testing import run_worker, wait_for
from guanjia.estates.models import Unit

JULY = datetime.date(2025, 7, 1)
UNITS = 4000


def add_units(cast, count=UNITS):
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
        for n in range(count)
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


# A worker killed mid-run, then restarted: the job resumes by itself (issue 11, item 10) -------


@pytest.fixture
def short_lease(settings, monkeypatch):
    """A job's lease of 2 s, here and in the worker subprocess (which reads the environment)."""
    monkeypatch.setenv("GUANJIA_JOB_LEASE_SECONDS", "2")
    settings.GUANJIA_JOB_LEASE_SECONDS = 2


def lease_ran_out(job_id: int) -> bool:
    job = Job.objects.get(pk=job_id)
    return job.lease_expires_at is not None and job.lease_expires_at < timezone.now()


@pytest.mark.django_db(transaction=True)
def test_a_billing_job_whose_worker_was_killed_is_resumed_and_finished_once(cast, short_lease):
    """kill -9 of the real worker half-way through the run, then a new worker: the sweep
    resumes the same job and run; every line once, the prepaid balance applied, one audit row."""
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, valid_from=datetime.date(2025, 1, 1))
    add_units(cast, 1500)
    prepaid = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    expected_units = 1500 + 2
    with run_worker() as worker:
        job = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=JULY, batch_size=10)
        wait_for(lambda: Job.objects.get(pk=job.pk).done > 0, worker=worker, interval=0.02, message="first batches")
        worker.process.kill()  # SIGKILL: no clean-up, a batch may be half-way in its transaction
        worker.process.wait(10)
    killed = Job.objects.get(pk=job.pk)
    assert killed.status == Job.Status.RUNNING and 0 < Bill.objects.count() < expected_units
    assert not Allocation.objects.exists()

    with run_worker() as worker:
        # The new worker's own sweep may resume the job the moment it starts (its periodic
        # tasks run at start-up), before this test sees the lease run out: either will do.
        wait_for(
            lambda: lease_ran_out(job.pk) or Job.objects.get(pk=job.pk).attempts >= 2,
            worker=worker,
            message="the dead worker's lease to run out",
        )
        sweep_stalled_jobs_now()  # what the worker's minute sweep does, now (nothing if done)
        wait_for(lambda: Job.objects.get(pk=job.pk).finished, worker=worker, message="the resumed job")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2 and job.lease_expires_at is None
    run = BillingRun.objects.get()  # the same run went on: no second run
    assert run.status == BillingRun.Status.FINISHED and run.job_id == job.pk
    assert Bill.objects.count() == expected_units == run.lines_created == job.result["lines_created"]
    assert Bill.objects.values("unit_id", "fee_item_id").distinct().count() == expected_units
    # The follow-up steps, once: the prepaid balance settled unit_a's new bill, one audit row.
    bill = Bill.objects.get(unit=cast.unit_a)
    assert Allocation.objects.get().payment_id == prepaid.pk
    assert Allocation.objects.get().amount == min(bill.amount, Decimal("100.00"))
    assert Change.objects.filter(verb="run_billing").count() == 1
    assert Change.objects.filter(verb="apply_prepaid").count() == 1


def test_a_job_killed_after_its_run_finished_only_finishes_the_job(cast, settings):
    """Killed between recording the run finished and finishing the job: the resumed job
    does not write the audit row or apply anything a second time."""
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, valid_from=datetime.date(2025, 1, 1))
    job = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert jobs.claim_job(job.pk, from_stage="", to_stage="billing")
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY, job_id=job.pk)
    # ... and here the worker died: the job is still running, its lease runs out.
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert jobs.sweep_stalled_jobs() == 1
    actions.run_billing_job(job_id=job.pk)  # the task the sweep queued again
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result["lines_created"] == 2
    assert BillingRun.objects.count() == 1 and Bill.objects.count() == 2
    assert Change.objects.filter(verb="run_billing").count() == 1


def test_an_unexpected_error_fails_the_job_with_a_message(cast, monkeypatch):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, valid_from=datetime.date(2025, 1, 1))
    job = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=JULY)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "copy_rows", broken)
    with pytest.raises(RuntimeError):
        actions.run_billing_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.lease_expires_at is None
    assert "请重新" in job.message  # a message in Chinese for the person who started it
    assert BillingRun.objects.get().status == BillingRun.Status.FAILED


def test_a_job_that_keeps_losing_its_worker_is_failed_visibly(cast, settings):
    settings.GUANJIA_JOB_MAX_ATTEMPTS = 2
    job = actions.start_billing_run(actor=cast.finance, estate=cast.estate, period_start=JULY)
    for _attempt in range(2):
        jobs.sweep_stalled_jobs()
        assert jobs.claim_job(job.pk, from_stage="", to_stage="billing")  # a worker took it ...
        Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
        assert jobs.sweep_stalled_jobs() == 1  # ... and died
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None
    assert "请重新" in job.message
