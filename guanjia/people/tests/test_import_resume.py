"""A registry import whose real worker is killed (kill -9) half-way, then a new worker: the
sweep resumes the import (issue 11, item 10), which saves everything once."""

import datetime
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from guanjia.core import jobs
from guanjia.core.models import Change, Job
from guanjia.core.tasks import sweep_stalled_jobs_now
from guanjia.core.testing import run_worker, wait_for
from guanjia.estates.models import Unit
from guanjia.people import actions
from guanjia.people.import_stages import CONFIRMED, IMPORTED, IMPORTING, PREVIEWED, SAVING
from guanjia.people.tests.test_import import workbook_bytes

UNITS = 3000


def many_units():
    return [["cuihu", "9", "1", f"{n:04d}", 1 + n % 30, 88.5, "高层公寓", "入住", None, "A"] for n in range(UNITS)]


def stage_of(job_id):
    return Job.objects.get(pk=job_id).stage


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_was_killed_is_resumed_and_saved_once(cast, settings, monkeypatch):
    monkeypatch.setenv("GUANJIA_JOB_LEASE_SECONDS", "2")  # the worker subprocess's lease
    settings.GUANJIA_JOB_LEASE_SECONDS = 2
    upload = SimpleUploadedFile("registry.xlsx", workbook_bytes(many_units(), None))
    with run_worker() as worker:
        job = actions.start_registry_import(actor=cast.manager, estate=cast.estate, upload=upload)
        wait_for(lambda: stage_of(job.pk) == PREVIEWED, worker=worker, message="the dry run")
        actions.confirm_registry_import(actor=cast.manager, job=job)
        wait_for(lambda: stage_of(job.pk) == SAVING, worker=worker, interval=0.01, message="the save")
        worker.process.kill()  # SIGKILL in the middle of the one transaction that writes
        worker.process.wait(10)
    killed = Job.objects.get(pk=job.pk)
    assert killed.stage in {SAVING, IMPORTED}
    if killed.stage == IMPORTED:
        pytest.fail("the save finished before the kill: make the file bigger")
    assert Unit.objects.filter(estate=cast.estate).count() == 2  # all or nothing: nothing yet
    assert not killed.finished

    with run_worker() as worker:
        wait_for(lambda: timezone.now() > killed.lease_expires_at, message="the lease to run out")
        sweep_stalled_jobs_now()
        wait_for(lambda: Job.objects.get(pk=job.pk).finished, worker=worker, message="the resumed import")
    job.refresh_from_db()
    assert (job.status, job.stage) == (Job.Status.SUCCEEDED, IMPORTED)
    assert job.result["imported"]["units"] == UNITS and job.lease_expires_at is None
    assert Unit.objects.filter(estate=cast.estate).count() == 2 + UNITS
    assert Change.objects.filter(verb="import").count() == 1
    assert not os.path.exists(job.params["path"])  # the upload is gone once imported


def expire(job):
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))


def test_an_import_that_keeps_losing_its_worker_can_be_confirmed_again(cast, settings):
    """After the last try the person sees why, and confirms again (nothing was saved)."""
    settings.GUANJIA_JOB_MAX_ATTEMPTS = 1
    upload = SimpleUploadedFile("registry.xlsx", workbook_bytes(many_units()[:3], None))
    job = actions.start_registry_import(actor=cast.manager, estate=cast.estate, upload=upload)
    actions.preview_registry_import(job_id=job.pk)
    job = actions.confirm_registry_import(actor=cast.manager, job=job)
    assert jobs.claim_job(job.pk, from_stage=CONFIRMED, to_stage=IMPORTING)  # a worker took it and died
    expire(job)
    assert jobs.sweep_stalled_jobs() == 1
    job.refresh_from_db()
    assert (job.stage, job.finished) == (PREVIEWED, False) and "请重新确认" in job.message
    job = actions.confirm_registry_import(actor=cast.manager, job=job)
    actions.commit_registry_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and Unit.objects.filter(estate=cast.estate).count() == 5


def test_a_dry_run_that_keeps_losing_its_worker_fails_with_a_message(cast, settings):
    settings.GUANJIA_JOB_MAX_ATTEMPTS = 1
    upload = SimpleUploadedFile("registry.xlsx", workbook_bytes(many_units()[:3], None))
    job = actions.start_registry_import(actor=cast.manager, estate=cast.estate, upload=upload)
    assert jobs.claim_job(job.pk, from_stage="", to_stage="checking")
    expire(job)
    assert jobs.sweep_stalled_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "重新上传" in job.message
    assert not os.path.exists(job.params["path"])


def test_a_queued_task_lost_on_the_way_is_queued_again(cast, settings):
    upload = SimpleUploadedFile("registry.xlsx", workbook_bytes(many_units()[:3], None))
    job = actions.start_registry_import(actor=cast.manager, estate=cast.estate, upload=upload)
    expire(job)  # nobody ever claimed it
    assert jobs.sweep_stalled_jobs() == 1
    actions.preview_registry_import(job_id=job.pk)  # the task queued again
    assert stage_of(job.pk) == PREVIEWED
    assert Job.objects.get(pk=job.pk).lease_expires_at is None  # waiting for a person: no lease
    assert jobs.sweep_stalled_jobs() == 0
