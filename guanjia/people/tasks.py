"""Background jobs of the owner archive: thin wrappers that take IDs and call actions.

Each is safe to run twice: the action claims its job's stage with one conditional UPDATE
and returns quietly when another run got there first."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanjia.core.queue import job
from guanjia.people import actions


@job("people.preview_import")
def preview_registry_import_task(job_id: int) -> None:
    actions.preview_registry_import(job_id=job_id)


@job("people.commit_import")
def commit_registry_import_task(job_id: int) -> None:
    actions.commit_registry_import(job_id=job_id)


@db_periodic_task(crontab(minute="17", hour="3"))
def discard_stale_imports_task() -> None:
    actions.discard_stale_imports()
