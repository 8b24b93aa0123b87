"""JSON endpoints for the registry workbook: start an import (dry run), follow it, confirm it,
and export. Mounted at /api/v1/estates/. Thin: authorize, call an action, serialize."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from guanjia.core.models import Job
from guanjia.core.roles import Capability
from guanjia.core.schemas import ErrorOut
from guanjia.core.scope import scope_of
from guanjia.core.xlsx import XLSX_CONTENT_TYPE
from guanjia.estates.access import access_estate
from guanjia.people import actions, excel
from guanjia.people.access import access_import_job
from guanjia.people.import_stages import awaiting_confirmation

router = Router(tags=["registry import"])


class ImportProblemOut(Schema):
    sheet: str = ""
    row: int | None = None
    column: str = ""
    message: str


class ImportCountsOut(Schema):
    units: int = 0
    buildings: int = 0
    people: int = 0
    residencies: int = 0
    # Units, people and links the estate holds that the file changes (an export imported again).
    updated_units: int = 0
    updated_people: int = 0
    updated_residencies: int = 0
    problems: int = 0


class ImportedCountsOut(Schema):
    units: int
    buildings: int
    people: int
    residencies: int
    updated_units: int = 0
    updated_people: int = 0
    updated_residencies: int = 0


class ImportJobOut(Schema):
    id: int
    estate_id: int
    status: str
    stage: str
    done: int
    total: int
    percent: int
    message: str
    filename: str
    awaiting_confirmation: bool
    counts: ImportCountsOut | None = None
    imported: ImportedCountsOut | None = None
    units: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    errors: list[ImportProblemOut] = []
    error_count: int = 0
    created_at: datetime
    finished_at: datetime | None = None


def job_out(job: Job) -> dict[str, Any]:
    result = job.result or {}
    return {
        "id": job.pk,
        "estate_id": job.estate_id,
        "status": job.status,
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "filename": job.params.get("filename", ""),
        "awaiting_confirmation": awaiting_confirmation(job) and not result.get("error_count"),
        "counts": result.get("counts"),
        "imported": result.get("imported"),
        "units": result.get("units", []),
        "people": result.get("people", []),
        "errors": [
            {
                "sheet": e.get("sheet", ""),
                "row": e.get("row"),
                "column": e.get("column", e.get("field", "")),
                "message": e.get("message", ""),
            }
            for e in result.get("errors", [])
        ],
        "error_count": result.get("error_count", 0),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.post(
    "/{estate_id}/imports",
    response={202: ImportJobOut, 400: ErrorOut},
    operation_id="registry_import_start",
    summary="Upload a registry workbook and start its dry run",
)
def start_import(request, estate_id: int, file: File[UploadedFile]):
    estate = access_estate(request.auth, estate_id, Capability.IMPORT_REGISTRY)
    job = actions.start_registry_import(actor=request.auth, estate=estate, upload=file)
    return Status(202, job_out(job))


@router.get(
    "/{estate_id}/imports/{job_id}",
    response=ImportJobOut,
    operation_id="registry_import_get",
    summary="An import's progress, preview and problems",
)
def get_import(request, estate_id: int, job_id: int):
    _estate, job = access_import_job(request.auth, estate_id, job_id)
    return job_out(job)


@router.post(
    "/{estate_id}/imports/{job_id}/confirm",
    response={202: ImportJobOut, 400: ErrorOut},
    operation_id="registry_import_confirm",
    summary="Confirm a clean dry run: import the file",
)
def confirm_import(request, estate_id: int, job_id: int):
    _estate, job = access_import_job(request.auth, estate_id, job_id)
    job = actions.confirm_registry_import(actor=request.auth, job=job)
    return Status(202, job_out(job))


@router.get(
    "/{estate_id}/export",
    operation_id="registry_export",
    summary="The registry workbook (.xlsx)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The registry workbook; phone and ID numbers masked unless unmasked=true and allowed.",
                "content": {XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_registry(request, estate_id: int, unmasked: bool = False):
    estate = access_estate(request.auth, estate_id, Capability.EXPORT_REGISTRY)
    clear = unmasked and scope_of(request.auth).can(estate.pk, Capability.UNMASK_PERSONAL)
    content = actions.export_registry(actor=request.auth, estate=estate, unmasked=clear)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{excel.registry_filename(estate)}"'
    response["Cache-Control"] = "no-store"
    return response
