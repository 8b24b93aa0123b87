"""Small helpers over core.models.Job, the progress row a background job keeps for the page
that started it.

Every helper after `start_job` is a plain UPDATE by primary key: it needs no lock, never
reads the row first, and a worker can call it as often as it likes. Call them outside the
job's own write transaction, or the page will only see the figures when the work commits.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from guanjia.core.models import Job


def start_job(kind: str, estate_id: int | None, created_by: Any, params: dict | None = None) -> Job:
    return Job.objects.create(
        kind=kind,
        estate_id=estate_id,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        params=params or {},
    )


def claim_job(job_id: int, *, from_stage: str, to_stage: str) -> bool:
    """Move an unfinished job from one stage to the next; False when another run already did.

    This is what makes a task safe to run twice: only the run whose UPDATE matched goes on."""
    claimed = (
        Job.objects.filter(pk=job_id, stage=from_stage)
        .exclude(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED])
        .update(stage=to_stage, status=Job.Status.RUNNING, done=0)
    )
    return claimed == 1


def set_progress(job_id: int, done: int, total: int | None = None, stage: str | None = None) -> None:
    values: dict[str, Any] = {"done": done}
    if total is not None:
        values["total"] = total
    if stage is not None:
        values["stage"] = stage
    # A late progress report must not reopen a job that has already finished.
    Job.objects.filter(pk=job_id).filter(~Q(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED])).update(
        status=Job.Status.RUNNING, **values
    )


def update_job(job_id: int, **values: Any) -> None:
    """Set any other columns (stage, status, result, params) in one UPDATE."""
    Job.objects.filter(pk=job_id).update(**values)


def finish_job(job_id: int, result: dict | None = None, *, stage: str | None = None) -> None:
    values: dict[str, Any] = {"status": Job.Status.SUCCEEDED, "finished_at": timezone.now(), "message": ""}
    if result is not None:
        values["result"] = result
    if stage is not None:
        values["stage"] = stage
    Job.objects.filter(pk=job_id).update(**values)


def fail_job(job_id: int, message: str, result: dict | None = None, *, stage: str | None = None) -> None:
    values: dict[str, Any] = {"status": Job.Status.FAILED, "finished_at": timezone.now(), "message": str(message)}
    if result is not None:
        values["result"] = result
    if stage is not None:
        values["stage"] = stage
    Job.objects.filter(pk=job_id).update(**values)
