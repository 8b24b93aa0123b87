"""The core's worker jobs: the sweep that resumes jobs whose worker died."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanjia.core import jobs
from guanjia.core.queue import job


@db_periodic_task(crontab(minute="*"))
def sweep_stalled_jobs_every_minute() -> int:
    return jobs.sweep_stalled_jobs()


@job("core.sweep_stalled_jobs")
def sweep_stalled_jobs_now() -> int:
    """The same sweep on demand (a test drives the worker with it instead of waiting for
    the minute)."""
    return jobs.sweep_stalled_jobs()
