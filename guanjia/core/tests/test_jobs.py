"""The job lease (core.jobs): taken, renewed, and the sweep's guard against a live worker."""

import datetime

from django.utils import timezone

from guanjia.core import jobs
from guanjia.core.models import Job


def stalled_job(**values) -> Job:
    job = jobs.start_job("test", None, None)
    Job.objects.filter(pk=job.pk).update(
        task="core.sweep_stalled_jobs", lease_expires_at=timezone.now() - datetime.timedelta(seconds=1), **values
    )
    return Job.objects.get(pk=job.pk)


def test_a_claim_takes_the_lease_and_progress_renews_it(db, settings):
    settings.GUANJIA_JOB_LEASE_SECONDS = 60
    job = jobs.start_job("test", None, None)
    assert jobs.claim_job(job.pk, from_stage="", to_stage="working")
    job.refresh_from_db()
    assert (job.status, job.resume_stage, job.attempts) == (Job.Status.RUNNING, "", 1)
    first = job.lease_expires_at
    assert first is not None and first > timezone.now() + datetime.timedelta(seconds=50)
    jobs.set_progress(job.pk, 5, 10)
    job.refresh_from_db()
    assert job.lease_expires_at >= first
    jobs.finish_job(job.pk)
    job.refresh_from_db()
    assert job.lease_expires_at is None
    assert jobs.sweep_stalled_jobs() == 0


def test_the_sweep_leaves_a_job_whose_worker_reported_meanwhile(db):
    """The sweep read the job with its old lease; the worker, only slow, renews it before the
    sweep writes: the sweep's conditional UPDATE matches nothing and the worker keeps it."""
    job = stalled_job(status=Job.Status.RUNNING, stage="working", attempts=1)
    jobs.renew_lease(job.pk)
    assert not jobs.resume_or_give_up(job, timezone.now())
    job.refresh_from_db()
    assert (job.status, job.stage) == (Job.Status.RUNNING, "working")


def test_a_running_job_that_lost_its_worker_goes_back_to_the_stage_it_was_taken_from(db):
    job = stalled_job(status=Job.Status.RUNNING, stage="saving", resume_stage="confirmed", attempts=1)
    assert jobs.sweep_stalled_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.stage) == (Job.Status.QUEUED, "confirmed")
    assert job.lease_expires_at > timezone.now()


def test_a_late_failure_does_not_undo_a_success(db):
    job = jobs.start_job("test", None, None)
    jobs.finish_job(job.pk, {"done": True})
    jobs.fail_job(job.pk, "too late")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.message == ""
