"""Import and export of the registry workbook (units and residents).

An import is all or nothing: the whole file is read and checked first, every problem is
reported with its sheet, row and column, and only a clean file is written, in one
transaction. From a page it runs as a background job in two steps: a dry run that shows
a preview and the problems, then, once confirmed, the import itself.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import logging
import os
import uuid
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core import crypto, jobs
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.masking import mask_id_number, mask_phone
from guanjia.core.models import Job
from guanjia.core.queue import queue_after_commit
from guanjia.core.sql import copy_rows
from guanjia.estates.models import Building, Estate, Unit, Zone
from guanjia.people import excel
from guanjia.people import pinyin as pinyin_module
from guanjia.people.actions import log_bulk_reveal
from guanjia.people.models import Person, Residency

logger = logging.getLogger(__name__)

IMPORT_KIND = "registry_import"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_SIGNATURE = b"PK\x03\x04"
OLD_EXCEL_SIGNATURE = b"\xd0\xcf\x11\xe0"
PREVIEW_ROWS = 20
# A job keeps this many problems for its page; the count says how many there were.
KEPT_PROBLEMS = 500
# Stages of an import job, in order. A clean dry run waits at PREVIEWED for a person to confirm.
QUEUED = ""  # waiting for a worker to take the dry run
CHECKING = "checking"  # the dry run
PREVIEWED = "previewed"  # dry run done: waits for confirmation, or failed with the problems
CONFIRMED = "confirmed"  # waiting for a worker to take the import
IMPORTING = "importing"  # the import checks the file again
SAVING = "saving"  # the one transaction that writes everything
IMPORTED = "imported"
FAILED = "failed"

ProgressCallback = Callable[[int, int], None]


def awaiting_confirmation(job: Job) -> bool:
    return job.kind == IMPORT_KIND and job.stage == PREVIEWED and not job.finished


def registry_filename(estate: Estate) -> str:
    return f"registry-{estate.code}.xlsx"


# Reading and checking ------------------------------------------------------------------


def estate_facts(estate: Estate) -> excel.EstateFacts:
    """What the workbook checks need to know about the estate, in a few queries."""
    people = Person.objects.filter(estate=estate, archived=False).exclude(id_number_digest="")
    return excel.EstateFacts(
        code=estate.code,
        other_estate_codes=set(Estate.objects.exclude(pk=estate.pk).values_list("code", flat=True)),
        unit_codes=set(Unit.objects.filter(estate=estate).values_list("code", flat=True)),
        zone_codes=set(Zone.objects.filter(estate=estate).values_list("code", flat=True)),
        people_by_digest={
            digest: (pk, name) for pk, digest, name in people.values_list("pk", "id_number_digest", "name")
        },
        current_links=set(
            Residency.objects.filter(unit__estate=estate, ended__isnull=True).values_list("unit__code", "person_id")
        ),
    )


def check_registry(*, estate: Estate, source: Any, progress: ProgressCallback | None = None) -> excel.Registry:
    """Read and check a workbook against the estate; nothing is written."""
    return excel.read_registry(source, estate_facts(estate), progress)


# Writing -------------------------------------------------------------------------------


class PinyinCache(dict):
    """Names repeat (张伟, 王芳...): convert each one once per import."""

    def __missing__(self, name: str) -> tuple[str, str]:
        value = self[name] = (pinyin_module.initials(name), pinyin_module.full_pinyin(name))
        return value


UNIT_COLUMNS = [
    "estate_id", "building_id", "zone_id", "entrance", "number", "code", "floor", "area", "house_type", "status",
    "delivery_date",
]  # fmt: skip
PERSON_COLUMNS = [
    "estate_id", "name", "name_initials", "name_pinyin", "phone", "phone_tail", "id_type", "id_number_encrypted",
    "id_number_masked", "id_number_digest", "emergency_contact_name", "emergency_contact_phone", "created_at",
]  # fmt: skip
RESIDENCY_COLUMNS = ["unit_id", "person_id", "relation"]


def person_values(
    estate: Estate, values: dict[str, Any], names: PinyinCache, now: datetime.datetime, scratch: Person
) -> tuple:
    """A new archive entry's columns from cleaned values, by the rules fill_person applies
    (pinyin, phone tail, and the ID number stored encrypted by Person.set_id_number)."""
    scratch.set_id_number(values["id_number"])
    initials, full = names[values["name"]]
    return (
        estate.pk, values["name"], initials, full, values["phone"], values["phone"][-4:], values["id_type"],
        scratch.id_number_encrypted, scratch.id_number_masked, scratch.id_number_digest,
        values["emergency_contact_name"], values["emergency_contact_phone"], now,
    )  # fmt: skip


def save_registry(*, estate: Estate, registry: excel.Registry) -> dict[str, int]:
    """Write the checked rows. Runs inside the caller's transaction."""
    now = timezone.now()
    buildings = dict(Building.objects.filter(estate=estate).values_list("code", "id"))
    top_floor: dict[str, int] = {}
    for unit_row in registry.units:
        if unit_row.building not in buildings:
            top_floor[unit_row.building] = max(top_floor.get(unit_row.building, 0), unit_row.floor)
    new_buildings = [
        Building(estate_id=estate.pk, code=code, floors=floor if floor > 0 else None)
        for code, floor in sorted(top_floor.items())
    ]
    Building.objects.bulk_create(new_buildings)
    buildings = dict(Building.objects.filter(estate=estate).values_list("code", "id"))
    zones = dict(Zone.objects.filter(estate=estate).values_list("code", "id"))
    removed = {unit_row.zone_code for unit_row in registry.units} - {""} - zones.keys()
    if removed:
        raise DomainError(
            _("Zone %(code)s was removed during the import; nothing was imported.")
            % {"code": "、".join(sorted(removed))},
            field=excel.ZONE,
        )

    unit_rows = [
        (
            estate.pk,
            buildings[row.building],
            zones.get(row.zone_code),
            row.entrance,
            row.number,
            row.code,
            row.floor,
            row.area,
            row.house_type,
            row.status,
            row.delivery_date,
        )  # fmt: skip
        for row in registry.units
    ]
    new_unit_ids = copy_rows(Unit, UNIT_COLUMNS, unit_rows, with_ids=True)
    unit_ids = dict(zip((row.code for row in registry.units), new_unit_ids, strict=True))
    wanted = {person_row.unit_code for person_row in registry.people} - unit_ids.keys()
    if wanted:
        unit_ids.update(Unit.objects.filter(estate=estate, code__in=wanted).values_list("code", "id"))

    # One archive entry per person: rows with the same key (ID number) share it, and rows
    # that name someone already in the archive link to them.
    names, scratch = PinyinCache(), Person()
    person_rows: list[tuple] = []
    slot_of_key: dict[tuple, int] = {}
    slots: list[int | tuple[int]] = []  # per residents row: a new person's index, or (existing id,)
    for person_row in registry.people:
        if person_row.existing_person_id:
            slots.append((person_row.existing_person_id,))
            continue
        slot = slot_of_key.get(person_row.key) if person_row.key is not None else None
        if slot is None:
            slot = len(person_rows)
            person_rows.append(person_values(estate, person_row.values, names, now, scratch))
            if person_row.key is not None:
                slot_of_key[person_row.key] = slot
        slots.append(slot)
    person_ids = copy_rows(Person, PERSON_COLUMNS, person_rows, with_ids=True)
    residency_rows = [
        (unit_ids[person_row.unit_code], slot[0] if isinstance(slot, tuple) else person_ids[slot], person_row.relation)
        for person_row, slot in zip(registry.people, slots, strict=True)
    ]
    copy_rows(Residency, RESIDENCY_COLUMNS, residency_rows)
    return {
        "buildings": len(new_buildings),
        "units": len(unit_rows),
        "people": len(person_rows),
        "residencies": len(residency_rows),
    }


def import_registry(
    *,
    actor: Any,
    estate: Estate,
    source: Any,
    progress: ProgressCallback | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Import a registry workbook into `estate`: all of it, or nothing.

    `source` is a path or a binary file object. Raises DomainError listing every problem
    (sheet, row, column, message) when the file is not clean. Returns the counts written."""
    registry = check_registry(estate=estate, source=source, progress=progress)
    registry.raise_if_any()
    if on_stage:
        on_stage(SAVING)
    try:
        with transaction.atomic():
            counts = save_registry(estate=estate, registry=registry)
            record_change(actor=actor, target=estate, verb="import", estate_id=estate.pk, changes=counts)
    except IntegrityError:
        # Someone added one of these units (or links) between the check and the write.
        raise DomainError(
            _(
                "The estate's registry changed while the file was being imported; nothing was "
                "imported. Please upload the file again."
            ),
            field="file",
        ) from None
    return counts


# The background job --------------------------------------------------------------------


def check_upload(upload: Any) -> None:
    if upload is None:
        raise DomainError(_("Choose an Excel file (.xlsx) to import."), field="file")
    limit = settings.GUANJIA_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            _("The file is larger than %(size)s MB; split it into smaller files.") % {"size": limit // (1024 * 1024)},
            field="file",
        )
    head = upload.read(4)
    upload.seek(0)
    if head == OLD_EXCEL_SIGNATURE:
        raise DomainError(
            _("This is an old Excel file (.xls). Open it in Excel, save it as .xlsx and upload it again."), field="file"
        )
    if head != ZIP_SIGNATURE:
        raise DomainError(_("Only Excel workbooks (.xlsx) can be imported."), field="file")


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


@transaction.atomic
def start_registry_import(*, actor: Any, estate: Estate, upload: Any) -> Job:
    """Save an uploaded workbook and queue its dry run. The caller has checked that
    `actor` may import into `estate`."""
    check_upload(upload)
    name = default_storage.save(f"imports/{uuid.uuid4().hex}.xlsx", upload)
    filename = os.path.basename(getattr(upload, "name", "") or "")[:200]
    job = jobs.start_job(
        IMPORT_KIND, estate.pk, actor, {"path": stored_path(name), "dry_run": True, "filename": filename}
    )
    queue_after_commit("people.preview_import", job.pk)
    return job


def problem_list(problems: list[Any]) -> list[dict]:
    return [problem.as_dict() for problem in problems[:KEPT_PROBLEMS]]


def preview_result(registry: excel.Registry, filename: str) -> dict:
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
    problems = error.problems or [excel.SheetProblem(field=error.field, message=error.message)]
    return {**(previous or {}), "errors": problem_list(problems), "error_count": len(problems)}


def estate_of(job: Job) -> Estate:
    if job.estate_id is None:
        raise Estate.DoesNotExist
    return Estate.objects.get(pk=job.estate_id)


def progress_of(job_id: int) -> ProgressCallback:
    def report(done: int, total: int) -> None:
        jobs.set_progress(job_id, done, total)

    return report


def preview_registry_import(*, job_id: int) -> None:
    """The dry run: read and check the uploaded file, keep the preview and the problems on
    the job. A clean file waits at the "previewed" stage for confirmation."""
    if not jobs.claim_job(job_id, from_stage=QUEUED, to_stage=CHECKING):
        return  # already run (a task may be delivered twice)
    job = Job.objects.get(pk=job_id)
    filename = job.params.get("filename", "")
    try:
        estate = estate_of(job)
        with open_upload(job.params["path"]) as source:
            registry = check_registry(estate=estate, source=source, progress=progress_of(job_id))
    except DomainError as error:
        jobs.fail_job(job_id, error.message, error_result(error, {"filename": filename}), stage=PREVIEWED)
        delete_upload(job.params["path"])
        return
    except FileNotFoundError:
        jobs.fail_job(job_id, _("The uploaded file is no longer available; please upload it again."), stage=FAILED)
        return
    except Exception:
        logger.exception("Registry import %s: the dry run failed", job_id)
        jobs.fail_job(job_id, _("An unexpected error stopped the check; nothing was imported."), stage=FAILED)
        delete_upload(job.params["path"])
        raise
    result = preview_result(registry, filename)
    if registry.problems:
        message = _("Please correct the %(count)s problems in the file; nothing was imported.") % {
            "count": len(registry.problems)
        }
        jobs.fail_job(job_id, message, result, stage=PREVIEWED)
        delete_upload(job.params["path"])
    else:
        rows = len(registry.units) + len(registry.people)
        jobs.update_job(job_id, stage=PREVIEWED, result=result, done=rows, total=rows)


@transaction.atomic
def confirm_registry_import(*, actor: Any, job: Job) -> Job:
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
    job.params = {**job.params, "dry_run": False, "confirmed_by": getattr(actor, "pk", None)}
    job.save(update_fields=["stage", "status", "done", "params"])
    job_id = job.pk
    queue_after_commit("people.commit_import", job_id)
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

    try:
        estate = estate_of(job)
        with open_upload(path) as source:
            counts = import_registry(
                actor=actor, estate=estate, source=source, progress=progress_of(job_id), on_stage=on_stage
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
    jobs.finish_job(job_id, {**job.result, "imported": counts}, stage=IMPORTED)
    delete_upload(path)


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


# Export --------------------------------------------------------------------------------


def export_rows(estate: Estate, unmasked: bool) -> tuple[list[list[Any]], list[list[Any]], int]:
    units = [
        excel.unit_row(
            estate_code=estate.code,
            unit=unit,
            building_code=unit.building.code,
            zone_code=unit.zone.code if unit.zone else "",
        )
        for unit in Unit.objects.filter(estate=estate)
        .select_related("building", "zone")
        .only(
            "code",
            "entrance",
            "number",
            "floor",
            "area",
            "house_type",
            "status",
            "delivery_date",
            "building__code",
            "zone__code",
        )
        .order_by("code")
        .iterator(chunk_size=2000)
    ]
    residencies = (
        Residency.objects.filter(unit__estate=estate, ended__isnull=True)
        .order_by("unit__code", "id")
        .values_list(
            "unit__code",
            "relation",
            "person_id",
            "person__name",
            "person__phone",
            "person__id_type",
            "person__id_number_encrypted",
            "person__id_number_masked",
            "person__emergency_contact_name",
            "person__emergency_contact_phone",
        )
    )
    people: list[list[Any]] = []
    person_ids: set[int] = set()
    decrypted: dict[int, str] = {}
    for (
        unit_code,
        relation,
        person_id,
        name,
        phone,
        id_type,
        encrypted,
        masked,
        contact,
        contact_phone,
    ) in residencies.iterator(chunk_size=2000):
        person_ids.add(person_id)
        if unmasked:
            if person_id not in decrypted:
                # Person.reveal_id_number for many rows at once; log_bulk_reveal records the read.
                decrypted[person_id] = crypto.decrypt(encrypted)
            id_number = decrypted[person_id]
        else:
            phone, id_number, contact_phone = mask_phone(phone), masked, mask_phone(contact_phone)
        people.append(
            excel.person_row(
                unit_code=unit_code,
                relation=relation,
                name=name,
                phone=phone,
                id_type=id_type,
                id_number=id_number,
                emergency_contact_name=contact,
                emergency_contact_phone=contact_phone,
            )
        )
    return units, people, len(person_ids)


def export_registry(*, actor: Any, estate: Estate, unmasked: bool) -> bytes:
    """The estate's units and residents as a registry workbook that imports back as it is.

    Phones and ID numbers are masked unless `unmasked`; an unmasked export is logged as a
    read of personal data. The caller has checked the capabilities."""
    units, people, person_count = export_rows(estate, unmasked)
    buffer = io.BytesIO()
    excel.write_registry(buffer, units, people)
    if unmasked and person_count:
        log_bulk_reveal(actor=actor, estate=estate, count=person_count, purpose="registry export", channel="export")
    return buffer.getvalue()
