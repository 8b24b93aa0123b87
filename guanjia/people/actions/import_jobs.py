"""The registry import from a page, as a background job in two steps: a dry run that keeps a
preview and the problems on the job, then, once a person confirms it, the import itself
(registry_import.py). The stages are in guanjia.people.import_stages; tasks.py runs the steps.
Each step claims its stage with one conditional UPDATE, so a task delivered twice does no harm.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import uuid
from collections.abc import Sequence
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core import jobs, xlsx
from guanjia.core.errors import DomainError, FieldProblem
from guanjia.core.masking import mask_id_number, mask_phone
from guanjia.core.models import Job
from guanjia.estates.models import Estate
from guanjia.people import excel, queries
from guanjia.people.actions.registry_import import check_registry, import_registry
from guanjia.people.import_stages import (
    CHECKING,
    CONFIRMED,
    FAILED,
    IMPORT_KIND,
    IMPORTED,
    IMPORTING,
    PREVIEWED,
    QUEUED,
    SAVING,
    awaiting_confirmation,
)
from guanjia.people.registry_reader import Registry

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
# A job keeps this many problems for its page; the count says how many there were.
KEPT_PROBLEMS = 500


# The upload, kept only as long as the job needs it ---------------------------------------


def stored_path(name: str) -> str:
    """Where a worker finds the upload: the absolute path when the storage is a local
    directory (which the worker shares), else the storage name."""
    try:
        return default_storage.path(name)
    except NotImplementedError:  # pragma: no cover - object storage
        return name


def open_upload(path: str) -> IO[bytes]:
    if os.path.isabs(path):
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    return default_storage.open(path, "rb")  # pragma: no cover - object storage


def delete_upload(path: str) -> None:
    """An upload carries personal data in clear: keep it no longer than the job needs it."""
    with contextlib.suppress(OSError, NotImplementedError):
        if os.path.isabs(path):
            os.remove(path)
        else:  # pragma: no cover - object storage
            default_storage.delete(path)


# What the job keeps for its page ---------------------------------------------------------


def problem_list(problems: Sequence[FieldProblem]) -> list[dict]:
    return [problem.as_dict() for problem in problems[:KEPT_PROBLEMS]]


def preview_result(registry: Registry, filename: str) -> dict:
    """What the job page shows after the dry run. Phones and ID numbers stay masked: the
    job row is no place for them in clear."""
    units = [
        {
            "row": row.row,
            "code": row.code,
            "floor": row.floor,
            "area": str(row.area),
            "house_type": excel.HOUSE_TYPE_NAMES.get(row.house_type, row.house_type),
            "status": excel.STATUS_NAMES.get(row.status, row.status),
            "delivery_date": row.delivery_date.isoformat() if row.delivery_date else "",
            "zone": row.zone_code,
        }
        for row in registry.units[:PREVIEW_ROWS]
    ]
    people = [
        {
            "row": row.row,
            "unit_code": row.unit_code,
            "name": row.values["name"],
            "relation": excel.RELATION_NAMES.get(row.relation, row.relation),
            "phone": mask_phone(row.values["phone"]),
            "id_type": excel.ID_TYPE_NAMES.get(row.values["id_type"], "") if row.values["id_number"] else "",
            "id_number": mask_id_number(row.values["id_number"]),
        }
        for row in registry.people[:PREVIEW_ROWS]
    ]
    return {
        "filename": filename,
        "counts": registry.counts(),
        "units": units,
        "people": people,
        "errors": problem_list(registry.problems),
        "error_count": len(registry.problems),
    }


def error_result(error: DomainError, previous: dict | None = None) -> dict:
    problems = error.problems or [xlsx.SheetProblem(field=error.field, message=error.message)]
    return {**(previous or {}), "errors": problem_list(problems), "error_count": len(problems)}


def progress_of(job_id: int) -> xlsx.ProgressCallback:
    def report(done: int, total: int) -> None:
        jobs.set_progress(job_id, done, total)

    return report


# The steps -------------------------------------------------------------------------------


@transaction.atomic
def start_registry_import(*, actor: AbstractBaseUser, estate: Estate, upload: UploadedFile | None) -> Job:
    """Save an uploaded workbook and queue its dry run. The caller has checked that
    `actor` may import into `estate`."""
    upload = xlsx.check_upload(upload, max_bytes=settings.GUANJIA_IMPORT_MAX_BYTES)
    name = default_storage.save(f"imports/{uuid.uuid4().hex}.xlsx", upload)
    filename = os.path.basename(getattr(upload, "name", "") or "")[:200]
    job = jobs.start_job(
        IMPORT_KIND, estate.pk, actor, {"path": stored_path(name), "dry_run": True, "filename": filename}
    )
    jobs.queue_job(job, "people.preview_import")
    return job


def preview_registry_import(*, job_id: int) -> None:
    """The dry run: read and check the uploaded file, keep the preview and the problems on
    the job. A clean file waits at the "previewed" stage for confirmation."""
    if not jobs.claim_job(job_id, from_stage=QUEUED, to_stage=CHECKING):
        return  # already run (a task may be delivered twice)
    job = Job.objects.get(pk=job_id)
    path, filename = job.params["path"], job.params.get("filename", "")
    try:
        estate = queries.estate_of_job(job)
        with open_upload(path) as source:
            registry = check_registry(estate=estate, source=source, progress=progress_of(job_id))
    except DomainError as error:
        jobs.fail_job(job_id, error.message, error_result(error, {"filename": filename}), stage=PREVIEWED)
        delete_upload(path)
        return
    except FileNotFoundError:
        jobs.fail_job(job_id, _("The uploaded file is no longer available; please upload it again."), stage=FAILED)
        return
    except Exception:
        logger.exception("Registry import %s: the dry run failed", job_id)
        jobs.fail_job(job_id, _("An unexpected error stopped the check; nothing was imported."), stage=FAILED)
        delete_upload(path)
        raise
    result = preview_result(registry, filename)
    if registry.problems:
        message = _("Please correct the %(count)s problems in the file; nothing was imported.") % {
            "count": len(registry.problems)
        }
        jobs.fail_job(job_id, message, result, stage=PREVIEWED)
        delete_upload(path)
    else:
        rows = len(registry.units) + len(registry.people)
        # Now it waits for a person, not for a worker: no lease runs out while it waits.
        jobs.update_job(job_id, stage=PREVIEWED, result=result, done=rows, total=rows, lease_expires_at=None)


@transaction.atomic
def confirm_registry_import(*, actor: AbstractBaseUser, job: Job) -> Job:
    """Queue the real import of a clean dry run. The caller has checked that `actor` may
    import into the job's estate."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.kind != IMPORT_KIND:
        raise DomainError(_("This job is not a registry import."), field="job")
    if job.stage in {CONFIRMED, IMPORTING, SAVING, IMPORTED}:
        raise DomainError(_("This import has already been confirmed."), field="job")
    if not awaiting_confirmation(job) or job.result.get("error_count"):
        raise DomainError(
            _("This import cannot be confirmed: the file has not been checked or has problems."), field="job"
        )
    job.stage = CONFIRMED
    job.status = Job.Status.QUEUED
    job.done = 0
    job.attempts = 0  # the import's own tries, the dry run's aside
    job.message = ""  # a retry after the worker stopped too often
    job.params = {**job.params, "dry_run": False, "confirmed_by": actor.pk}
    job.save(update_fields=["stage", "status", "done", "attempts", "message", "params"])
    jobs.queue_job(job, "people.commit_import")
    return job


def commit_registry_import(*, job_id: int) -> None:
    """The confirmed import: import_registry on the uploaded file, then finish the job,
    or fail it with the problems (nothing saved)."""
    if not jobs.claim_job(job_id, from_stage=CONFIRMED, to_stage=IMPORTING):
        return  # already run
    job = Job.objects.get(pk=job_id)
    path = job.params["path"]
    actor_id = job.params.get("confirmed_by") or job.created_by_id
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None

    def on_stage(stage: str) -> None:
        jobs.update_job(job_id, stage=stage)

    def on_saved(counts: dict[str, int]) -> None:
        # Inside the import's own transaction: the rows and "imported" commit together, so
        # a worker killed on either side of the commit leaves a job that is resumed (nothing
        # saved) or one that is done, never one that would import the file a second time.
        jobs.finish_job(job_id, {**job.result, "imported": counts}, stage=IMPORTED)

    try:
        estate = queries.estate_of_job(job)
        with open_upload(path) as source:
            import_registry(
                actor=actor,
                estate=estate,
                source=source,
                progress=progress_of(job_id),
                on_stage=on_stage,
                on_saved=on_saved,
            )
    except DomainError as error:
        jobs.fail_job(job_id, error.message, error_result(error, job.result), stage=FAILED)
        delete_upload(path)
        return
    except FileNotFoundError:
        jobs.fail_job(job_id, _("The uploaded file is no longer available; please upload it again."), stage=FAILED)
        return
    except Exception:
        logger.exception("Registry import %s failed", job_id)
        jobs.fail_job(job_id, _("An unexpected error stopped the import; nothing was imported."), stage=FAILED)
        raise
    delete_upload(path)


def give_up_import(job: Job) -> None:
    """A job whose worker stopped too often. The import itself goes back to waiting for
    confirmation, with a message: nothing of it was saved (the import is one transaction) and
    the checked file is still there, so the person can confirm it again (or it is discarded
    with the stale ones). A dry run fails: the file is to be uploaded again."""
    if job.resume_stage != CONFIRMED:
        jobs.fail_job(
            job.pk,
            _("The background worker stopped while checking this file; please upload it again."),
            stage=FAILED,
        )
        delete_upload(job.params.get("path", ""))
        return
    jobs.update_job(
        job.pk,
        stage=PREVIEWED,
        status=Job.Status.RUNNING,
        lease_expires_at=None,
        message=_(
            "The background worker stopped while importing this file; nothing was imported. "
            "Please confirm the import again."
        ),
    )


jobs.on_give_up(IMPORT_KIND, give_up_import)


def discard_stale_imports(*, older_than: datetime.timedelta = datetime.timedelta(days=2)) -> int:
    """Fail imports left unconfirmed (or stuck) and delete their uploads. Returns how many."""
    cutoff = timezone.now() - older_than
    stale = Job.objects.filter(kind=IMPORT_KIND, created_at__lt=cutoff).exclude(
        status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]
    )
    count = 0
    for job_id, params in stale.values_list("pk", "params"):
        jobs.fail_job(job_id, _("This import was not confirmed in time; please upload the file again."), stage=FAILED)
        delete_upload(params.get("path", ""))
        count += 1
    return count
