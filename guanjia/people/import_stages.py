"""The registry import as a background job (core.models.Job): its kind and its stages, in
order. A clean dry run waits at PREVIEWED for a person to confirm it."""

from __future__ import annotations

from guanjia.core.models import Job

IMPORT_KIND = "registry_import"
QUEUED = ""  # waiting for a worker to take the dry run
CHECKING = "checking"  # the dry run
PREVIEWED = "previewed"  # dry run done: waits for confirmation, or failed with the problems
CONFIRMED = "confirmed"  # waiting for a worker to take the import
IMPORTING = "importing"  # the import checks the file again
SAVING = "saving"  # the one transaction that writes everything
IMPORTED = "imported"
FAILED = "failed"


def awaiting_confirmation(job: Job) -> bool:
    return job.kind == IMPORT_KIND and job.stage == PREVIEWED and not job.finished
