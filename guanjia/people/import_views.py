"""Pages for importing the registry workbook (upload, progress, preview, confirm) and for
exporting it. Thin: authorize, call an action, render."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.core.errors import DomainError
from guanjia.core.forms import attempt
from guanjia.core.models import Job
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.core.xlsx import XLSX_CONTENT_TYPE
from guanjia.estates.access import access_estate
from guanjia.estates.models import Estate
from guanjia.people import actions, excel, import_stages
from guanjia.people.access import access_import_job, signed_in

STAGE_LABELS = {
    import_stages.QUEUED: _("Waiting to start"),
    import_stages.CHECKING: _("Checking the file"),
    import_stages.PREVIEWED: _("Checked, waiting for your confirmation"),
    import_stages.CONFIRMED: _("Waiting to import"),
    import_stages.IMPORTING: _("Checking again before importing"),
    import_stages.SAVING: _("Saving"),
    import_stages.IMPORTED: _("Imported"),
    import_stages.FAILED: _("Failed"),
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )


def job_context(estate: Estate, job: Job) -> dict[str, Any]:
    result = job.result or {}
    return {
        "estate": estate,
        "job": job,
        "stage_label": Job.Status(job.status).label if job.finished else (STAGE_LABELS.get(job.stage) or job.stage),
        # Keep polling until the job has finished or waits for a person to confirm it.
        "polling": not job.finished and job.stage != import_stages.PREVIEWED,
        "can_confirm": import_stages.awaiting_confirmation(job) and not result.get("error_count"),
        "counts": result.get("counts"),
        "imported": result.get("imported"),
        "preview_units": result.get("units", []),
        "preview_people": result.get("people", []),
        "errors": result.get("errors", []),
        "error_count": result.get("error_count", 0),
        "more_errors": max(result.get("error_count", 0) - len(result.get("errors", [])), 0),
    }


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access_estate(request.user, estate_id, Capability.IMPORT_REGISTRY)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        user = signed_in(request)
        job = attempt(form, lambda data: actions.start_registry_import(actor=user, estate=estate, upload=data["file"]))
        if job is not None:
            return redirect("people_import:job", estate_id=estate.pk, job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    context = {
        "estate": estate,
        "form": form,
        "unit_columns": "、".join(excel.UNIT_COLUMNS),
        "people_columns": "、".join(excel.PEOPLE_COLUMNS),
    }
    return render(request, "people/import_upload.html", context, status=status)


@login_required
@require_GET
def job(request: HttpRequest, estate_id: int, job_id: int) -> HttpResponse:
    estate, import_job = access_import_job(request.user, estate_id, job_id)
    return render(request, "people/import_job.html", job_context(estate, import_job))


@login_required
@require_GET
def progress(request: HttpRequest, estate_id: int, job_id: int) -> HttpResponse:
    """The job's state as a fragment, for the page to poll."""
    estate, import_job = access_import_job(request.user, estate_id, job_id)
    return render(request, "people/import_job.html#progress", job_context(estate, import_job))


@login_required
@require_POST
def confirm(request: HttpRequest, estate_id: int, job_id: int) -> HttpResponse:
    estate, import_job = access_import_job(request.user, estate_id, job_id)
    context: dict[str, Any] = {}
    # A refusal is shown beside the job's state, not on a form: this handler keeps its except.
    try:
        import_job = actions.confirm_registry_import(actor=signed_in(request), job=import_job)
    except DomainError as error:
        context["confirm_error"] = error.message
        import_job.refresh_from_db()
    if getattr(request, "htmx", False):
        return render(request, "people/import_job.html#progress", job_context(estate, import_job) | context)
    if context:
        return render(request, "people/import_job.html", job_context(estate, import_job) | context, status=400)
    return redirect("people_import:job", estate_id=estate.pk, job_id=import_job.pk)


@login_required
@require_GET
def template(request: HttpRequest, estate_id: int) -> HttpResponse:
    """An empty registry workbook with the columns and example rows, to fill in and import."""
    estate = access_estate(request.user, estate_id, Capability.IMPORT_REGISTRY)
    buffer = io.BytesIO()
    excel.write_template(buffer, estate.code)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{excel.template_filename(estate)}"'
    return response


@login_required
@require_GET
def export(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access_estate(request.user, estate_id, Capability.EXPORT_REGISTRY)
    unmasked = request.GET.get("unmasked") == "1" and scope_of(request.user).can(estate.pk, Capability.UNMASK_PERSONAL)
    content = actions.export_registry(actor=signed_in(request), estate=estate, unmasked=unmasked)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{excel.registry_filename(estate)}"'
    response["Cache-Control"] = "no-store"
    return response
