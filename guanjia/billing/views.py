"""Billing pages: fee items and standards, meter readings, the billing run with its progress
bar, a unit's bills, the cashier, receipts, reversals and their approval, arrears by zone,
the collection-rate report, Excel exports, and the owner's portal page.

Thin: authorize (guanjia.billing.access), call an action or a query, render. Every figure
comes from guanjia.billing.queries, the same functions the exports use."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.billing import access, actions, exports, money, queries, receipts
from guanjia.billing.forms import (
    CollectionLogForm,
    DecisionForm,
    FeeItemForm,
    MeterImportForm,
    PaymentForm,
    ReadingForm,
    ReasonForm,
    RunForm,
    StandardForm,
    TiersForm,
    parse_month,
)
from guanjia.billing.models import (
    Bill,
    BillingRun,
    CollectionLog,
    FeeItem,
    MeterReading,
    Payment,
    ReversalRequest,
)
from guanjia.core.errors import DomainError
from guanjia.core.forms import add_domain_error
from guanjia.core.models import Job
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Estate, Unit
from guanjia.people.models import Residency

RUN_STAGES = {"billing": _("Billing units")}


# -- helpers ---------------------------------------------------------------------------------


def month_param(request: HttpRequest, name: str = "month") -> datetime.date:
    """The month asked for in the query string, else the current month."""
    return parse_month(request.GET.get(name, "")) or timezone.localdate().replace(day=1)


def date_param(request: HttpRequest, name: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get(name, "").strip())
    except ValueError:
        return default


def percent(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def can(user: Any, estate_id: int, capability: str) -> bool:
    return scope_of(user).can(estate_id, capability)


def zone_note(zone_ids: set[int] | None) -> bool:
    """True when the figures are limited to the user's own zones."""
    return zone_ids is not None


# -- fee items and standards -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def fees(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    form = FeeItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = actions.create_fee_item(actor=request.user, estate=estate, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("billing:fee_item", fee_item_id=item.pk)
    items = FeeItem.objects.filter(estate=estate).prefetch_related("standards", "tiers").order_by("code")
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/fees.html", {"estate": estate, "items": items, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def fee_item(request: HttpRequest, fee_item_id: int) -> HttpResponse:
    item = access.access_fee_item(request.user, fee_item_id, write=True)
    metered = item.kind == FeeItem.Kind.METERED
    standard_form = StandardForm(None if metered else (request.POST or None))
    tiers_form = TiersForm((request.POST or None) if metered else None)
    form = tiers_form if metered else standard_form
    if request.method == "POST" and form.is_valid():
        try:
            if metered:
                actions.set_water_tiers(actor=request.user, fee_item=item, tiers=tiers_form.cleaned_data["tiers"])
            else:
                actions.set_fee_standard(actor=request.user, fee_item=item, **standard_form.cleaned_data)
        except DomainError as error:
            if metered:
                # The tiers are one text box: every problem goes under it.
                for problem in error.problems or []:
                    tiers_form.add_error("tiers", problem.message)
                if not error.problems:
                    tiers_form.add_error("tiers", error.message)
            else:
                add_domain_error(standard_form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("billing:fee_item", fee_item_id=item.pk)
    context = {
        "estate": item.estate,
        "item": item,
        "metered": metered,
        "standards": item.standards.order_by("house_type", "-valid_from"),
        "tiers": item.tiers.order_by("upper_bound"),
        "form": form,
    }
    return render(request, "billing/fee_item.html", context, status=400 if request.method == "POST" else 200)


# -- meter readings --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def readings(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    upload = "file" in request.FILES
    form = ReadingForm(None if upload else (request.POST or None), estate_id=estate.pk)
    import_form = MeterImportForm(
        (request.POST or None) if upload else None, (request.FILES or None) if upload else None, estate_id=estate.pk
    )
    if request.method == "POST" and upload and import_form.is_valid():
        try:
            saved = actions.import_meter_readings(
                actor=request.user,
                fee_item=import_form.cleaned_data["fee_item"],
                period=import_form.cleaned_data["period"],
                upload=import_form.cleaned_data["file"],
            )
        except DomainError as error:
            for problem in error.problems or []:
                import_form.add_error(None, problem.message)
            if not error.problems:
                import_form.add_error(None, error.message)
        else:
            messages.success(request, _("%(count)d readings imported.") % {"count": len(saved)})
            return redirect("billing:readings", estate_id=estate.pk)
    elif request.method == "POST" and not upload and form.is_valid():
        unit = Unit.objects.filter(estate=estate, code=form.cleaned_data["unit_code"].strip()).first()
        if unit is None:
            form.add_error("unit_code", _("No unit with this code in the estate."))
        else:
            try:
                actions.record_meter_reading(
                    actor=request.user,
                    unit=unit,
                    fee_item=form.cleaned_data["fee_item"],
                    period=form.cleaned_data["period"],
                    reading=form.cleaned_data["reading"],
                    initial_reading=form.cleaned_data["initial_reading"] or "0",
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Reading saved."))
                return redirect("billing:readings", estate_id=estate.pk)
    recent = (
        MeterReading.objects.filter(unit__estate=estate)
        .select_related("unit", "fee_item")
        .order_by("-recorded_at")[:30]
    )
    context = {"estate": estate, "form": form, "import_form": import_form, "recent": recent}
    return render(request, "billing/readings.html", context, status=400 if request.method == "POST" else 200)


# -- the billing run -------------------------------------------------------------------------


def access_run_job(user: Any, estate_id: int, job_id: int) -> tuple[Estate, Job]:
    estate = access.access_estate_billing(user, estate_id, write=True)
    job = Job.objects.filter(pk=job_id, estate_id=estate.pk, kind=actions.BILLING_JOB).first()
    if job is None:
        raise Http404
    return estate, job


@login_required
@require_http_methods(["GET", "POST"])
def run(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    form = RunForm(request.POST or None, initial={"period_start": timezone.localdate().replace(day=1)})
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        period_start = form.cleaned_data["period_start"]
        try:
            # What would stop the run is refused before it is queued (the run checks again).
            actions.check_billing_run(estate=estate, period_start=period_start)
            job = actions.start_billing_run(actor=request.user, estate=estate, period_start=period_start)
        except DomainError as refused:
            problems = refused.problems
            form.add_error("period_start", refused.message)
        else:
            return redirect("billing:run_job", estate_id=estate.pk, job_id=job.pk)
    runs = BillingRun.objects.filter(estate=estate).order_by("-started_at", "-id")[:20]
    context = {"estate": estate, "form": form, "runs": runs, "problems": problems}
    return render(request, "billing/run.html", context, status=400 if request.method == "POST" else 200)


def run_context(estate: Estate, job: Job) -> dict[str, Any]:
    result = job.result or {}
    return {
        "estate": estate,
        "job": job,
        "period": job.params.get("period_start", "")[:7],
        "stage_label": Job.Status(job.status).label
        if job.finished
        else RUN_STAGES.get(job.stage, _("Waiting to start")),
        "polling": not job.finished,
        "result": result,
        "problems": result.get("problems", []),
    }


@login_required
@require_GET
def run_job(request: HttpRequest, estate_id: int, job_id: int) -> HttpResponse:
    estate, job = access_run_job(request.user, estate_id, job_id)
    return render(request, "billing/run_job.html", run_context(estate, job))


@login_required
@require_GET
def run_progress(request: HttpRequest, estate_id: int, job_id: int) -> HttpResponse:
    estate, job = access_run_job(request.user, estate_id, job_id)
    return render(request, "billing/run_job.html#progress", run_context(estate, job))


# -- a unit's bills, the cashier, payments and receipts -------------------------------------


def unit_ledger(unit: Unit) -> dict[str, Any]:
    bills = list(unit.bills.select_related("fee_item").order_by("-period_start", "fee_item__code"))
    payments = list(unit.payments.select_related("received_by").order_by("-received_at", "-pk"))
    owed = sum((bill.outstanding for bill in bills), Decimal("0.00"))
    return {
        "bills": bills,
        "payments": payments,
        "owed": owed,
        "prepaid": actions.prepaid_balance(unit),
    }


def collection_context(user: Any, unit: Unit, form: CollectionLogForm | None = None) -> dict[str, Any]:
    """The unit's collection log (催缴记录) for staff who may read it, and its form for those
    who chase the arrears (finance, the manager, the zone's butler). Never for the owner."""
    try:
        access.access_unit_collection(user, unit.pk)
    except Http404:
        return {"collection_log": None}
    return {
        "collection_log": CollectionLog.objects.filter(unit=unit).select_related("logged_by")[:50],
        "collection_form": (form or CollectionLogForm()) if access.can_chase_arrears(user, unit) else None,
    }


def unit_context(user: Any, unit: Unit, form: CollectionLogForm | None = None) -> dict[str, Any]:
    pending = set(
        ReversalRequest.objects.filter(bill__unit=unit, status=ReversalRequest.Status.PENDING).values_list(
            "bill_id", flat=True
        )
    )
    return {
        "estate": unit.estate,
        "unit": unit,
        "can_cash": can(user, unit.estate_id, Capability.MANAGE_BILLING),
        "pending_bill_ids": pending,
        **unit_ledger(unit),
        **collection_context(user, unit, form),
    }


@login_required
@require_GET
def unit_bills(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access.access_unit_billing(request.user, unit_id)
    return render(request, "billing/unit.html", unit_context(request.user, unit))


@login_required
@require_POST
def log_collection(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access.access_unit_collection(request.user, unit_id, write=True)
    form = CollectionLogForm(request.POST)
    if form.is_valid():
        try:
            actions.log_collection(actor=request.user, unit=unit, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Collection log entry saved."))
            return redirect("billing:unit", unit_id=unit.pk)
    return render(request, "billing/unit.html", unit_context(request.user, unit, form), status=400)


def bill_label(bill: Bill) -> str:
    return f"{bill.fee_item.name} {bill.period_start:%Y-%m} · ¥{bill.outstanding}"


@login_required
@require_http_methods(["GET", "POST"])
def cashier(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access.access_unit_billing(request.user, unit_id, write=True)
    open_bills = list(
        unit.bills.filter(status=Bill.Status.OPEN)
        .select_related("fee_item")
        .order_by("due_date", "period_start", "fee_item_id", "pk")
    )
    form = PaymentForm(request.POST or None, bill_choices=[(str(b.pk), bill_label(b)) for b in open_bills])
    if request.method == "POST" and form.is_valid():
        chosen = [int(pk) for pk in form.cleaned_data["bills"]]
        try:
            payment = actions.record_payment(
                actor=request.user,
                unit=unit,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                bill_ids=chosen or None,
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(f"{redirect('billing:payment', payment_id=payment.pk).url}?new=1")
    owed = sum((bill.outstanding for bill in open_bills), Decimal("0.00"))
    context = {"estate": unit.estate, "unit": unit, "form": form, "owed": owed, "open_bills": open_bills}
    return render(request, "billing/cashier.html", context, status=400 if request.method == "POST" else 200)


def payment_context(request: HttpRequest, payment: Payment, **extra: Any) -> dict[str, Any]:
    user = request.user
    manage = can(user, payment.estate_id, Capability.MANAGE_BILLING)
    pending = payment.reversal_requests.filter(status=ReversalRequest.Status.PENDING).first() if manage else None
    return {
        "estate": payment.estate,
        "payment": payment,
        "unit": payment.unit,
        "allocations": payment.allocations.select_related("bill", "bill__fee_item").order_by("bill__period_start"),
        "reversal": getattr(payment, "reversal", None) if payment.status == Payment.Status.REVERSED else None,
        "capitals": receipts.amount_in_capitals(payment.amount),
        "prints": receipts.print_count(payment),
        "can_request_reversal": manage and payment.status == Payment.Status.VALID and pending is None,
        "pending_request": pending,
        "reason_form": extra.pop("reason_form", None) or ReasonForm(),
        "is_new": request.GET.get("new") == "1",
        **extra,
    }


@login_required
@require_GET
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = access.access_payment(request.user, payment_id)
    return render(request, "billing/payment.html", payment_context(request, payment))


@login_required
@require_POST
def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The receipt PDF. A POST: each print is recorded, and every one after the first is
    marked 重印 (reprint)."""
    payment = access.access_payment(request.user, payment_id)
    pdf, _copy = receipts.print_receipt(actor=request.user, payment=payment)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipts.receipt_filename(payment)}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def request_reversal(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = access.access_payment(request.user, payment_id)
    access.access_billing_write(request.user, payment.estate_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            actions.request_reversal(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error("reason", error.message)
        else:
            messages.success(request, _("Reversal requested; it takes effect once approved."))
            return redirect("billing:payment", payment_id=payment.pk)
    return render(request, "billing/payment.html", payment_context(request, payment, reason_form=form), status=400)


@login_required
@require_POST
def request_bill_reversal(request: HttpRequest, bill_id: int) -> HttpResponse:
    """Ask for a bill issued in error to be reversed (红冲); another person approves it."""
    bill = access.access_bill(request.user, bill_id, write=True)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            actions.request_reversal(actor=request.user, bill=bill, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error("reason", error.message)
        else:
            messages.success(request, _("Reversal requested; it takes effect once approved."))
            return redirect("billing:unit", unit_id=bill.unit_id)
    context = unit_context(request.user, bill.unit) | {"bill_reason_form": form, "bill_reason_for": bill.pk}
    return render(request, "billing/unit.html", context, status=400)


@login_required
@require_GET
def reversals(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    requests = (
        ReversalRequest.objects.filter(estate=estate)
        .select_related(
            "payment", "payment__unit", "bill", "bill__unit", "bill__fee_item", "requested_by", "decided_by"
        )
        .order_by("status", "-requested_at")[:100]
    )
    context = {
        "estate": estate,
        "requests": requests,
        "can_approve": can(request.user, estate.pk, Capability.APPROVE_REVERSALS),
        "decision_form": DecisionForm(),
    }
    return render(request, "billing/reversals.html", context)


def decide_reversal(request: HttpRequest, request_id: int, *, approve: bool) -> HttpResponse:
    reversal_request = access.access_reversal_request(request.user, request_id, approve=True)
    note = request.POST.get("note", "")[:300]
    action = actions.approve_reversal if approve else actions.reject_reversal
    try:
        action(actor=request.user, request=reversal_request, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Reversal approved.") if approve else _("Reversal rejected."))
    return redirect("billing:reversals", estate_id=reversal_request.estate_id)


@login_required
@require_POST
def approve_reversal(request: HttpRequest, request_id: int) -> HttpResponse:
    return decide_reversal(request, request_id, approve=True)


@login_required
@require_POST
def reject_reversal(request: HttpRequest, request_id: int) -> HttpResponse:
    return decide_reversal(request, request_id, approve=False)


# -- arrears and the collection rate ---------------------------------------------------------


@login_required
@require_GET
def arrears(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id)
    zone_ids = access.billing_zones(request.user, estate.pk)
    as_of = date_param(request, "as_of", timezone.localdate())
    rows = queries.arrears_aging(estate.pk, as_of, zone_ids=zone_ids)
    totals = {label: sum((row["buckets"][label] for row in rows), Decimal("0.00")) for label in exports.AGING_LABELS}
    grand = sum((row["total"] for row in rows), Decimal("0.00"))
    debtors = (
        queries.in_zones(Bill.objects.filter(estate=estate, status=Bill.Status.OPEN, due_date__lte=as_of), zone_ids)
        .values("unit_id", "unit__code", "unit__zone__code")
        .annotate(owed=Sum(queries.OUTSTANDING))
        .order_by("-owed", "unit__code")[:200]
    )
    context = {
        "estate": estate,
        "as_of": as_of,
        "labels": list(exports.AGING_LABELS.values()),
        "rows": [{**row, "cells": [row["buckets"][k] for k in exports.AGING_LABELS]} for row in rows],
        "totals": list(totals.values()),
        "grand": grand,
        "debtors": [{**row, "owed": queries.fen(row["owed"])} for row in debtors],
        "own_zones_only": zone_note(zone_ids),
        "can_remind": can(request.user, estate.pk, Capability.MANAGE_BILLING)
        or can(request.user, estate.pk, Capability.VIEW_ZONE_BILLING),
    }
    return render(request, "billing/arrears.html", context)


@login_required
@require_POST
def send_reminders(request: HttpRequest, estate_id: int) -> HttpResponse:
    """Arrears reminder notices to the owners of every unit in arrears: the whole estate for
    finance and the manager, own zones for a butler."""
    estate = access.access_estate_billing(request.user, estate_id)
    if can(request.user, estate.pk, Capability.MANAGE_BILLING):
        zone_ids: set[int] | None = None
    elif can(request.user, estate.pk, Capability.VIEW_ZONE_BILLING):
        zone_ids = set(scope_of(request.user).zone_ids)
    else:
        raise Http404
    sent = actions.send_arrears_reminders(actor=request.user, estate=estate, zone_ids=zone_ids)
    messages.success(request, _("%(count)d reminder notices sent.") % {"count": sent})
    return redirect("billing:arrears", estate_id=estate.pk)


def butler_rows(zone_rows: list[dict]) -> list[dict[str, Any]]:
    """collection_by_zone rows (with their arrears recovery) summed per butler (a butler may
    have several zones)."""
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in={r["butler_id"] for r in zone_rows})}
    sums: dict[Any, dict[str, Any]] = {}
    for row in zone_rows:
        zero = Decimal("0.00")
        entry = sums.setdefault(
            row["butler_id"],
            {"butler": names.get(row["butler_id"], "—"), "receivable": zero, "received": zero}
            | {"arrears_at_start": zero, "arrears_received": zero},
        )
        for figure in ("receivable", "received", "arrears_at_start", "arrears_received"):
            entry[figure] += row.get(figure, zero)
    result = []
    for entry in sums.values():
        entry["rate"] = percent(money.collection_rate(entry["received"], entry["receivable"]))
        entry["recovery_percent"] = percent(money.collection_rate(entry["arrears_received"], entry["arrears_at_start"]))
        result.append(entry)
    return sorted(result, key=lambda entry: entry["butler"])


@login_required
@require_GET
def collection(request: HttpRequest, estate_id: int) -> HttpResponse:
    """当期收缴率 and 清欠率 of a month, per estate, zone and butler, and the last twelve months."""
    estate = access.access_estate_billing(request.user, estate_id)
    code = request.GET.get("unit", "").strip()
    if code:
        unit = Unit.objects.filter(estate=estate, code=code).first()
        if unit is not None and access.can_read_unit_billing(request.user, unit):
            return redirect("billing:unit", unit_id=unit.pk)
        messages.error(request, _("No unit with this code in the estate."))
    zone_ids = access.billing_zones(request.user, estate.pk)
    month = month_param(request)
    totals = queries.period_totals(estate.pk, month, zone_ids=zone_ids)
    zone_rows = queries.collection_by_zone(estate.pk, month, zone_ids=zone_ids)
    zone_names = dict(estate.zones.values_list("pk", "name"))
    month_end = money.month_end(month)
    recovery = queries.arrears_recovery(estate.pk, month, month_end, zone_ids=zone_ids)
    for row in zone_rows:
        zone_recovery = queries.arrears_recovery(estate.pk, month, month_end, zone_ids=[row["zone_id"]])
        row.update(zone_recovery, recovery_percent=percent(zone_recovery["recovery_rate"]))
    history = []
    for back in range(11, -1, -1):
        start = money.add_months(month, -back)
        figures = queries.period_totals(estate.pk, start, zone_ids=zone_ids)
        history.append({"month": start, **figures, "rate": percent(figures["collection_rate"])})
    context = {
        "estate": estate,
        "month": month,
        "previous": money.add_months(month, -1),
        "next": money.add_months(month, 1),
        "totals": totals,
        "rate": percent(totals["collection_rate"]),
        "zones": [
            {**row, "zone_name": zone_names.get(row["zone_id"], "—"), "rate": percent(row["collection_rate"])}
            for row in zone_rows
        ],
        "butlers": butler_rows(zone_rows),
        "recovery": recovery,
        "recovery_rate": percent(recovery["recovery_rate"]) if recovery else None,
        "history": history,
        "own_zones_only": zone_note(zone_ids),
        "can_export": zone_ids is None,
    }
    return render(request, "billing/collection.html", context)


# -- exports ---------------------------------------------------------------------------------


@login_required
@require_GET
def export_receivables(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id)
    zone_ids = access.billing_zones(request.user, estate.pk)
    month = month_param(request)
    content = exports.receivables_workbook(estate, month, zone_ids=zone_ids)
    return xlsx_response(content, exports.export_filename(estate, "receivables", f"{month:%Y-%m}"))


@login_required
@require_GET
def export_journal(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id)
    if access.billing_zones(request.user, estate.pk) is not None:
        raise Http404  # the journal is the whole estate's money: not for a zone's butler
    today = timezone.localdate()
    date_from = date_param(request, "from", today.replace(day=1))
    date_to = date_param(request, "to", today)
    content = exports.journal_workbook(estate, date_from, date_to)
    return xlsx_response(content, exports.export_filename(estate, "journal", f"{date_from}_{date_to}"))


@login_required
@require_GET
def export_arrears(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id)
    zone_ids = access.billing_zones(request.user, estate.pk)
    as_of = date_param(request, "as_of", timezone.localdate())
    content = exports.arrears_workbook(estate, as_of, zone_ids=zone_ids)
    return xlsx_response(content, exports.export_filename(estate, "arrears", str(as_of)))


# -- the owner's portal ----------------------------------------------------------------------


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    """The owner's bills, payments and receipts for each unit they live in (mobile first)."""
    person_id = scope_of(request.user).person_id
    if person_id is None:
        raise Http404
    residencies = (
        Residency.objects.filter(person_id=person_id, ended__isnull=True)
        .select_related("unit", "unit__estate")
        .order_by("unit__estate__name", "unit__code")
    )
    units = []
    for residency in residencies:
        ledger = unit_ledger(residency.unit)
        units.append(
            {
                "unit": residency.unit,
                "open_bills": [b for b in ledger["bills"] if b.status == Bill.Status.OPEN],
                "paid_bills": [b for b in ledger["bills"] if b.status == Bill.Status.PAID][:12],
                **ledger,
            }
        )
    return render(request, "billing/portal.html", {"units": units})


@login_required
@require_POST
def pay_online(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Open an online payment for everything the unit owes and send the payer to the gateway."""
    unit = access.access_unit_billing(request.user, unit_id, pay=True)
    try:
        _order, checkout = actions.create_payment_order(actor=request.user, unit=unit)
    except DomainError as error:
        messages.error(request, error.message)
        if access.is_resident(request.user, unit.pk):
            return redirect("billing:portal")
        return redirect("billing:unit", unit_id=unit.pk)
    return redirect(checkout.redirect_url)
