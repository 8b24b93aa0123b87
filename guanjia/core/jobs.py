"""Small helpers over core.models.Job, the progress row a background job keeps for the page
that started it, and its lease.

Every helper after `start_job` is a plain UPDATE by primary key: it needs no lock, never
reads the row first, and a worker can call it as often as it likes. Call them outside the
job's own write transaction, or the page will only see the figures when the work commits.

The lease: a job queued with `queue_job` or taken with `claim_job` carries a lease that its
worker renews with every progress report (`set_progress`, `renew_lease`). A worker killed
mid-way (kill -9, a power cut, an out-of-memory kill) renews nothing, so its lease runs out;
`sweep_stalled_jobs`, run every minute by the worker, then puts the job back to the stage it
was taken from and queues its task again. The work of every job is written to be resumed
(done steps are skipped), so a resumed job finishes as if nothing had happened. After
GUANJIA_JOB_MAX_ATTEMPTS tries the job is given up: failed with a message for the person who
started it, or whatever its kind registered with `on_give_up`.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.models import Job
from guanjia.core.queue import queue_after_commit

logger = logging.getLogger(__name__)
FINISHED = [Job.Status.SUCCEEDED, Job.Status.FAILED]


def lease_length() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.GUANJIA_JOB_LEASE_SECONDS)


def lease_from_now() -> datetime.datetime:
    return timezone.now() + lease_length()


def start_job(kind: str, estate_id: int | None, created_by: Any, params: dict | None = None) -> Job:
    return Job.objects.create(
        kind=kind,
        estate_id=estate_id,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        params=params or {},
    )


def queue_job(job: Job, task: str) -> None:
    """Queue the task `task` (core.queue) for the job once the transaction commits. The job
    waits under a lease from now on: a task lost on the way (a worker killed after taking it
    from the queue, before it claimed the job) is queued again by the sweep."""
    job.task, job.lease_expires_at = task, lease_from_now()
    Job.objects.filter(pk=job.pk).update(task=job.task, lease_expires_at=job.lease_expires_at)
    queue_after_commit(task, job.pk)


def claim_job(job_id: int, *, from_stage: str, to_stage: str) -> bool:
    """Move an unfinished job from one stage to the next; False when another run already did.

    This is what makes a task safe to run twice: only the run whose UPDATE matched goes on.
    The claim takes the lease and remembers `from_stage`: a resumed job starts there again."""
    claimed = (
        Job.objects.filter(pk=job_id, stage=from_stage)
        .exclude(status__in=FINISHED)
        .update(
            stage=to_stage,
            status=Job.Status.RUNNING,
            done=0,
            resume_stage=from_stage,
            lease_expires_at=lease_from_now(),
            attempts=F("attempts") + 1,
        )
    )
    return claimed == 1


def set_progress(job_id: int, done: int, total: int | None = None, stage: str | None = None) -> None:
    """Record the progress; it renews the lease too (the worker is alive)."""
    values: dict[str, Any] = {"done": done}
    if total is not None:
        values["total"] = total
    if stage is not None:
        values["stage"] = stage
    # A late progress report must not reopen a job that has already finished.
    Job.objects.filter(pk=job_id).filter(~Q(status__in=FINISHED)).update(
        status=Job.Status.RUNNING, lease_expires_at=lease_from_now(), **values
    )


def renew_lease(job_id: int) -> None:
    """Say "still working" between progress reports (a long step with nothing to count)."""
    Job.objects.filter(pk=job_id, lease_expires_at__isnull=False).exclude(status__in=FINISHED).update(
        lease_expires_at=lease_from_now()
    )


def update_job(job_id: int, **values: Any) -> None:
    """Set any other columns (stage, status, result, params) in one UPDATE."""
    Job.objects.filter(pk=job_id).update(**values)


def finish_job(job_id: int, result: dict | None = None, *, stage: str | None = None) -> None:
    values: dict[str, Any] = {
        "status": Job.Status.SUCCEEDED,
        "finished_at": timezone.now(),
        "message": "",
        "lease_expires_at": None,
    }
    if result is not None:
        values["result"] = result
    if stage is not None:
        values["stage"] = stage
    Job.objects.filter(pk=job_id).update(**values)


def fail_job(job_id: int, message: str, result: dict | None = None, *, stage: str | None = None) -> None:
    values: dict[str, Any] = {
        "status": Job.Status.FAILED,
        "finished_at": timezone.now(),
        "message": str(message),
        "lease_expires_at": None,
    }
    if result is not None:
        values["result"] = result
    if stage is not None:
        values["stage"] = stage
    # A late failure (a worker that was only slow, its job resumed and finished by another
    # meanwhile) must not turn a finished job into a failed one.
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(**values)


# Jobs whose worker died -----------------------------------------------------------------

GiveUp = Callable[[Job], None]
_give_up: dict[str, GiveUp] = {}


def on_give_up(kind: str, handler: GiveUp) -> None:
    """What to do with a job of `kind` that stopped too often (instead of failing it)."""
    _give_up[kind] = handler


def give_up(job: Job) -> None:
    """The default: fail it, with a message for the person who started it."""
    fail_job(
        job.pk,
        _(
            "The background worker stopped %(count)d times while running this job, so it was "
            "stopped. Nothing was written twice; please start it again."
        )
        % {"count": job.attempts},
    )


def sweep_stalled_jobs(now: datetime.datetime | None = None) -> int:
    """Resume (or give up) every unfinished job whose lease has run out; returns how many.

    Each is taken with a conditional UPDATE on the lease it was seen with, so two sweeps, or
    a worker that was only slow and reports again meanwhile, leave it to one of them."""
    now = now or timezone.now()
    stalled = Job.objects.filter(lease_expires_at__lt=now).exclude(status__in=FINISHED).order_by("pk")
    count = 0
    for job in stalled:
        if resume_or_give_up(job, now):
            count += 1
    return count


def resume_or_give_up(job: Job, now: datetime.datetime) -> bool:
    seen = Job.objects.filter(pk=job.pk, lease_expires_at=job.lease_expires_at).exclude(status__in=FINISHED)
    if job.status == Job.Status.RUNNING and job.attempts >= settings.GUANJIA_JOB_MAX_ATTEMPTS:
        if not seen.update(lease_expires_at=None):
            return False
        logger.error("Job %s (%s) stopped %s times; giving up", job.pk, job.kind, job.attempts)
        _give_up.get(job.kind, give_up)(job)
        return True
    if not job.task:
        return False  # nothing to queue again (a job not started through queue_job)
    if job.status == Job.Status.RUNNING:
        # Its worker died: back to the stage it was taken from, for the task to claim again.
        taken = seen.update(stage=job.resume_stage, status=Job.Status.QUEUED, lease_expires_at=now + lease_length())
    else:
        # Queued, and the task was lost on the way: queue it again.
        taken = seen.update(lease_expires_at=now + lease_length())
    if not taken:
        return False
    logger.warning("Job %s (%s) lost its worker at stage %r; queued again", job.pk, job.kind, job.stage)
    queue_after_commit(job.task, job.pk)
    return True
