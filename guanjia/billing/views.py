"""Billing pages: fee items and standards, meter readings, the billing run with its progress
bar, a unit's bills, the cashier, receipts, reversals and their approval, arrears by zone,
the collection-rate report, Excel exports, and the owner's portal page.

Thin: authorize (guanjia.billing.access), call an action, a query or a report, render. Every
figure comes from guanjia.billing.reports, the same functions the exports use."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts.models import User
from guanjia.billing import access, actions, exports, money, queries, receipts, reports
from guanjia.billing.actions.idempotency import KEY_FIELD, new_key
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
from guanjia.billing.models import Bill, FeeItem, MeterReading, Payment, WaterTier
from guanjia.core.errors import DomainError, FieldProblem
from guanjia.core.forms import attempt
from guanjia.core.models import Job
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Estate, Unit

RUN_STAGES = {"billing": _("Billing units")}


class SignedInRequest(HttpRequest):
    """A request behind login_required: its user is signed in."""

    user: User


# -- helpers ---------------------------------------------------------------------------------


def month_param(request: SignedInRequest, name: str = "month") -> datetime.date:
    """The month asked for in the query string, else the current month."""
    return parse_month(request.GET.get(name, "")) or timezone.localdate().replace(day=1)


def date_param(request: SignedInRequest, name: str, default: datetime.date) -> datetime.date:
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


def can(user: User, estate_id: int, capability: str) -> bool:
    return scope_of(user).can(estate_id, capability)


def zone_note(zone_ids: set[int] | None) -> bool:
    """True when the figures are limited to the user's own zones."""
    return zone_ids is not None


# -- the finance workbench -------------------------------------------------------------------


@login_required
@require_GET
def home(request: SignedInRequest, estate_id: int) -> HttpResponse:
    """The site finance's home: this period's billing run and its total, today's receipts,
    the reversals waiting for a decision; each links to its page."""
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    context = {
        "estate": estate,
        "today": queries.finance_today(estate, timezone.localdate()),
        "can_approve": can(request.user, estate.pk, Capability.APPROVE_REVERSALS),
    }
    return render(request, "billing/home.html", context)


# -- fee items and standards -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def fees(request: SignedInRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    form = FeeItemForm(request.POST or None)
    if request.method == "POST":
        item = attempt(form, lambda data: actions.create_fee_item(actor=request.user, estate=estate, **data))
        if item is not None:
            return redirect("billing:fee_item", fee_item_id=item.pk)
    items = queries.fee_items_of(estate, with_prices=True)
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/fees.html", {"estate": estate, "items": items, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def fee_item(request: SignedInRequest, fee_item_id: int) -> HttpResponse:
    item = access.access_fee_item(request.user, fee_item_id, write=True)
    metered = item.kind == FeeItem.Kind.METERED
    standard_form = StandardForm(None if metered else (request.POST or None))
    tiers_form = TiersForm((request.POST or None) if metered else None)
    form = tiers_form if metered else standard_form
    if request.method == "POST":
        if metered:
            saved = save_tiers(request.user, item, tiers_form)
        else:
            saved = attempt(
                standard_form, lambda data: actions.set_fee_standard(actor=request.user, fee_item=item, **data)
            )
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("billing:fee_item", fee_item_id=item.pk)
    context = {
        "estate": item.estate,
        "item": item,
        "metered": metered,
        "standards": queries.price_history(item),
        "tiers": queries.tiers_of(item),
        "form": form,
    }
    return render(request, "billing/fee_item.html", context, status=400 if request.method == "POST" else 200)


def save_tiers(user: User, item: FeeItem, form: TiersForm) -> list[WaterTier] | None:
    """The tiers saved, or None with the refusal on the form. The tiers are one text box:
    every problem goes under it, whichever tier it is about."""
    if not form.is_valid():
        return None
    try:
        return actions.set_water_tiers(actor=user, fee_item=item, tiers=form.cleaned_data["tiers"])
    except DomainError as error:
        for problem in error.problems:
            form.add_error("tiers", problem.message)
        if not error.problems:
            form.add_error("tiers", error.message)
        return None


# -- meter readings --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def readings(request: SignedInRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    upload = "file" in request.FILES
    form = ReadingForm(None if upload else (request.POST or None), estate_id=estate.pk)
    import_form = MeterImportForm(
        (request.POST or None) if upload else None, (request.FILES or None) if upload else None, estate_id=estate.pk
    )
    if request.method == "POST" and upload:
        saved = import_readings(request.user, import_form)
        if saved is not None:
            messages.success(request, _("%(count)d readings imported.") % {"count": len(saved)})
            return redirect("billing:readings", estate_id=estate.pk)
    elif request.method == "POST":

        def record(data: dict[str, Any]) -> MeterReading:
            return actions.record_meter_reading(
                actor=request.user,
                unit=queries.unit_with_code(estate, data["unit_code"]),
                fee_item=data["fee_item"],
                period=data["period"],
                reading=data["reading"],
                initial_reading=data["initial_reading"] or "0",
            )

        if attempt(form, record) is not None:
            messages.success(request, _("Reading saved."))
            return redirect("billing:readings", estate_id=estate.pk)
    context = {
        "estate": estate,
        "form": form,
        "import_form": import_form,
        "recent": queries.recent_readings(estate),
        # Without a metered item the item list would be empty: the page says why instead.
        "has_metered": form.fields["fee_item"].queryset.exists(),  # type: ignore[attr-defined]
    }
    return render(request, "billing/readings.html", context, status=400 if request.method == "POST" else 200)


def import_readings(user: User, form: MeterImportForm) -> list[MeterReading] | None:
    """The readings saved, or None with the refusal on the form: a workbook's problems are
    listed together above the form, each naming its row and column."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return actions.import_meter_readings(
            actor=user, fee_item=data["fee_item"], period=data["period"], upload=data["file"]
        )
    except DomainError as error:
        for problem in error.problems:
            form.add_error(None, problem.message)
        if not error.problems:
            form.add_error(None, error.message)
        return None


# -- the billing run -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def run(request: SignedInRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    today = timezone.localdate()
    form = RunForm(request.POST or None, initial={"period_start": today.replace(day=1)})
    problems: list[FieldProblem] = []
    preview: actions.RunPreview | None = None
    if request.method == "POST" and form.is_valid():
        period_start = form.cleaned_data["period_start"]
        try:
            # Refused before it is queued: the message goes under the month, every problem
            # (each unit without its area) is listed below the form. The first send shows
            # what the run would bill (and warns of a month not begun); the confirmation
            # queues it.
            if request.POST.get("confirm") == "1":
                job = actions.start_billing_run(actor=request.user, estate=estate, period_start=period_start)
                messages.success(request, _("Billing run for %(month)s started.") % {"month": f"{period_start:%Y-%m}"})
                return redirect("billing:run_job", estate_id=estate.pk, job_id=job.pk)
            preview = actions.preview_billing_run(estate=estate, period_start=period_start, today=today)
        except DomainError as refused:
            problems = refused.problems
            form.add_error("period_start", refused.message)
    context = {
        "estate": estate,
        "form": form,
        "runs": queries.recent_runs(estate),
        "problems": problems,
        "preview": preview,
        "today": today,
    }
    return render(request, "billing/run.html", context, status=400 if form.errors else 200)


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
def run_job(request: SignedInRequest, estate_id: int, job_id: int) -> HttpResponse:
    estate, job = access.access_billing_job(request.user, estate_id, job_id)
    return render(request, "billing/run_job.html", run_context(estate, job))


@login_required
@require_GET
def run_progress(request: SignedInRequest, estate_id: int, job_id: int) -> HttpResponse:
    estate, job = access.access_billing_job(request.user, estate_id, job_id)
    return render(request, "billing/run_job.html#progress", run_context(estate, job))


# -- a unit's bills, the cashier, payments and receipts -------------------------------------


def collection_context(user: User, unit: Unit, form: CollectionLogForm | None = None) -> dict[str, Any]:
    """The unit's collection log (催缴记录) for staff who may read it, and its form for those
    who chase the arrears (finance, the manager, the zone's butler). Never for the owner."""
    try:
        access.access_unit_collection(user, unit.pk)
    except Http404:
        return {"collection_log": None}
    return {
        "collection_log": queries.collection_log_of(unit, limit=50),
        "collection_form": (form or CollectionLogForm()) if access.can_chase_arrears(user, unit) else None,
    }


def unit_context(user: User, unit: Unit, form: CollectionLogForm | None = None) -> dict[str, Any]:
    return {
        "estate": unit.estate,
        "unit": unit,
        "can_cash": can(user, unit.estate_id, Capability.MANAGE_BILLING),
        "pending_bill_ids": queries.bills_awaiting_reversal(unit),
        **queries.unit_ledger(unit),
        **collection_context(user, unit, form),
    }


@login_required
@require_GET
def unit_bills(request: SignedInRequest, unit_id: int) -> HttpResponse:
    unit = access.access_unit_billing(request.user, unit_id)
    return render(request, "billing/unit.html", unit_context(request.user, unit))


@login_required
@require_POST
def log_collection(request: SignedInRequest, unit_id: int) -> HttpResponse:
    unit = access.access_unit_collection(request.user, unit_id, write=True)
    form = CollectionLogForm(request.POST)
    if attempt(form, lambda data: actions.log_collection(actor=request.user, unit=unit, **data)) is not None:
        messages.success(request, _("Collection log entry saved."))
        return redirect("billing:unit", unit_id=unit.pk)
    return render(request, "billing/unit.html", unit_context(request.user, unit, form), status=400)


def bill_label(bill: Bill) -> str:
    return f"{bill.fee_item.name} {bill.period_start:%Y-%m} · ¥{bill.outstanding}"


def form_key(request: SignedInRequest) -> str:
    """The one-time key a money form was sent with (a hidden input, fresh each time the form
    is shown). A form without it is refused: it was not sent from the page as it is now."""
    key = request.POST.get(KEY_FIELD, "").strip()
    if not key:
        raise DomainError(_("This form has expired. Check the entries and send it again."))
    return key


def to_receipt(request: SignedInRequest, once: actions.Once[Payment]) -> HttpResponse:
    """The receipt of the payment just recorded; a repeat of the same form (a double click, a
    resend) lands on the same receipt, told that nothing was taken twice."""
    url = redirect("billing:payment", payment_id=once.result.pk).url
    if once.replayed:
        messages.info(request, _("Already recorded; the money was not taken twice."))
        return redirect(url)
    return redirect(f"{url}?new=1")


@login_required
@require_http_methods(["GET", "POST"])
def cashier(request: SignedInRequest, unit_id: int) -> HttpResponse:
    unit = access.access_unit_billing(request.user, unit_id, write=True)
    open_bills = queries.open_bills_of(unit)
    form = PaymentForm(request.POST or None, bill_choices=[(str(b.pk), bill_label(b)) for b in open_bills])
    if request.method == "POST":

        def pay(data: dict[str, Any]) -> actions.Once[Payment]:
            chosen = [int(pk) for pk in data["bills"]]
            return actions.record_payment_once(
                actor=request.user,
                idempotency_key=form_key(request),
                unit=unit,
                amount=data["amount"],
                method=data["method"],
                bill_ids=chosen or None,
                reference=data["reference"],
                note=data["note"],
            )

        once = attempt(form, pay)
        if once is not None:
            return to_receipt(request, once)
    owed = queries.total_outstanding(open_bills)
    context = {
        "estate": unit.estate,
        "unit": unit,
        "form": form,
        "owed": owed,
        "open_bills": open_bills,
        "idempotency_key": new_key(),
    }
    return render(request, "billing/cashier.html", context, status=400 if request.method == "POST" else 200)


def payment_context(request: SignedInRequest, payment: Payment, **extra: Any) -> dict[str, Any]:
    manage = can(request.user, payment.estate_id, Capability.MANAGE_BILLING)
    pending = queries.pending_reversal_of(payment) if manage else None
    return {
        "estate": payment.estate,
        "payment": payment,
        "unit": payment.unit,
        "allocations": queries.allocations_of(payment),
        "reversal": getattr(payment, "reversal", None) if payment.status == Payment.Status.REVERSED else None,
        "capitals": receipts.amount_in_capitals(payment.amount),
        "payer": receipts.payer_name(payment),
        "company_name": payment.estate.company.name,
        "prints": receipts.print_count(payment),
        "can_request_reversal": manage and payment.status == Payment.Status.VALID and pending is None,
        "pending_request": pending,
        "reason_form": extra.pop("reason_form", None) or ReasonForm(),
        "is_new": request.GET.get("new") == "1",
        **extra,
    }


@login_required
@require_GET
def payment_detail(request: SignedInRequest, payment_id: int) -> HttpResponse:
    payment = access.access_payment(request.user, payment_id)
    return render(request, "billing/payment.html", payment_context(request, payment))


@login_required
@require_POST
def receipt(request: SignedInRequest, payment_id: int) -> HttpResponse:
    """The receipt PDF. A POST: each print is recorded, and every one after the first is
    marked 重印 (reprint)."""
    payment = access.access_payment(request.user, payment_id)
    pdf, _copy = actions.print_receipt(actor=request.user, payment=payment)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipts.receipt_filename(payment)}"'
    response["Cache-Control"] = "no-store"
    return response


# The reason form of a reversal is one text box: every refusal is shown under it, whichever
# field the action names (the reason, or the payment or bill that cannot be reversed).


@login_required
@require_POST
def request_reversal(request: SignedInRequest, payment_id: int) -> HttpResponse:
    payment = access.access_payment(request.user, payment_id, write=True)
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
def request_bill_reversal(request: SignedInRequest, bill_id: int) -> HttpResponse:
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
def reversals(request: SignedInRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id, write=True)
    context = {
        "estate": estate,
        "requests": queries.reversal_queue(estate),
        "can_approve": can(request.user, estate.pk, Capability.APPROVE_REVERSALS),
        "decision_form": DecisionForm(),
    }
    return render(request, "billing/reversals.html", context)


def decide_reversal(request: SignedInRequest, request_id: int, *, approve: bool) -> HttpResponse:
    """Approve or reject; a refusal (decided already, or by who asked) comes back as a message
    on the list of requests."""
    reversal = access.access_reversal_request(request.user, request_id, approve=True)
    note = request.POST.get("note", "")[:300]
    action = actions.approve_reversal if approve else actions.reject_reversal
    try:
        action(actor=request.user, reversal=reversal, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Reversal approved.") if approve else _("Reversal rejected."))
    return redirect("billing:reversals", estate_id=reversal.estate_id)


@login_required
@require_POST
def approve_reversal(request: SignedInRequest, request_id: int) -> HttpResponse:
    return decide_reversal(request, request_id, approve=True)


@login_required
@require_POST
def reject_reversal(request: SignedInRequest, request_id: int) -> HttpResponse:
    return decide_reversal(request, request_id, approve=False)


# -- arrears and the collection rate ---------------------------------------------------------


@login_required
@require_GET
def arrears(request: SignedInRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id)
    zone_ids = access.billing_zones(request.user, estate.pk)
    as_of = date_param(request, "as_of", timezone.localdate())
    rows = reports.arrears_aging(estate.pk, as_of, zone_ids=zone_ids)
    totals, grand = reports.aging_totals(rows)
    context = {
        "estate": estate,
        "as_of": as_of,
        "labels": list(exports.AGING_LABELS.values()),
        "rows": [{**row, "cells": [row["buckets"][k] for k in exports.AGING_LABELS]} for row in rows],
        "totals": [totals[k] for k in exports.AGING_LABELS],
        "grand": grand,
        "debtors": reports.debtors(estate, as_of, zone_ids=zone_ids),
        "own_zones_only": zone_note(zone_ids),
        "can_remind": can(request.user, estate.pk, Capability.MANAGE_BILLING)
        or can(request.user, estate.pk, Capability.VIEW_ZONE_BILLING),
    }
    return render(request, "billing/arrears.html", context)


@login_required
@require_POST
def send_reminders(request: SignedInRequest, estate_id: int) -> HttpResponse:
    """Arrears reminder notices to the owners of every unit in arrears: the whole estate for
    finance and the manager, own zones for a butler."""
    estate = access.access_estate_billing(request.user, estate_id)
    zone_ids = access.arrears_reminder_zones(request.user, estate.pk)
    sent = actions.send_arrears_reminders(actor=request.user, estate=estate, zone_ids=zone_ids)
    messages.success(request, _("%(count)d reminder notices sent.") % {"count": sent})
    return redirect("billing:arrears", estate_id=estate.pk)


@login_required
@require_GET
def collection(request: SignedInRequest, estate_id: int) -> HttpResponse:
    """当期收缴率 and 清欠率 of a month, per estate, zone and butler, and the last twelve months."""
    estate = access.access_estate_billing(request.user, estate_id)
    code = request.GET.get("unit", "").strip()
    if code:
        try:
            unit = access.access_unit_by_code(request.user, estate, code)
        except Http404:
            messages.error(request, _("No unit with this code in the estate."))
        else:
            return redirect("billing:unit", unit_id=unit.pk)
    zone_ids = access.billing_zones(request.user, estate.pk)
    month = month_param(request)
    report = reports.collection_report(estate, month, zone_ids=zone_ids)
    context = {
        "estate": estate,
        "month": month,
        "previous": money.add_months(month, -1),
        "next": money.add_months(month, 1),
        "totals": report["totals"],
        "rate": percent(report["totals"]["collection_rate"]),
        "zones": [with_percents(row) for row in report["zones"]],
        "butlers": [with_percents(row) for row in report["butlers"]],
        "recovery": report["recovery"],
        "recovery_rate": percent(report["recovery"]["recovery_rate"]),
        "history": [with_percents(row) for row in report["history"]],
        "own_zones_only": zone_note(zone_ids),
        "can_export": zone_ids is None,
    }
    return render(request, "billing/collection.html", context)


def with_percents(row: dict[str, Any]) -> dict[str, Any]:
    """A report row with its rates written as percentages for the page."""
    shown = {**row, "rate": percent(row["collection_rate"])}
    if "recovery_rate" in row:
        shown["recovery_percent"] = percent(row["recovery_rate"])
    return shown


# -- exports ---------------------------------------------------------------------------------


@login_required
@require_GET
def export_receivables(request: SignedInRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id)
    zone_ids = access.billing_zones(request.user, estate.pk)
    month = month_param(request)
    content = exports.receivables_workbook(estate, month, zone_ids=zone_ids)
    return xlsx_response(content, exports.export_filename(estate, "receivables", f"{month:%Y-%m}"))


@login_required
@require_GET
def export_journal(request: SignedInRequest, estate_id: int) -> HttpResponse:
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
def export_arrears(request: SignedInRequest, estate_id: int) -> HttpResponse:
    estate = access.access_estate_billing(request.user, estate_id)
    zone_ids = access.billing_zones(request.user, estate.pk)
    as_of = date_param(request, "as_of", timezone.localdate())
    content = exports.arrears_workbook(estate, as_of, zone_ids=zone_ids)
    return xlsx_response(content, exports.export_filename(estate, "arrears", str(as_of)))


# -- the owner's portal ----------------------------------------------------------------------


@login_required
@require_GET
def portal(request: SignedInRequest) -> HttpResponse:
    """The owner's bills, payments and receipts for each unit they live in (mobile first)."""
    person_id = access.access_portal(request.user)
    # Each unit's "pay online" button is a money form with its own one-time key.
    units = [{**entry, "idempotency_key": new_key()} for entry in queries.portal_ledgers(person_id)]
    return render(request, "billing/portal.html", {"units": units})


@login_required
@require_POST
def pay_online(request: SignedInRequest, unit_id: int) -> HttpResponse:
    """Open an online payment for everything the unit owes and send the payer to the gateway."""
    unit = access.access_unit_billing(request.user, unit_id, pay=True)
    try:
        _once, checkout = actions.create_payment_order_once(
            actor=request.user, idempotency_key=form_key(request), unit=unit
        )
    except DomainError as error:
        messages.error(request, error.message)
        if access.is_resident(request.user, unit.pk):
            return redirect("billing:portal")
        return redirect("billing:unit", unit_id=unit.pk)
    return redirect(checkout.redirect_url)


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_pay(request: SignedInRequest, order_number: str) -> HttpResponse:
    """The sandbox gateway's pay page (模拟支付): the order, "pay" and "cancel". Paying sends the
    signed notification a real gateway would; the payer comes back to their bills."""
    order = access.access_payment_order(request.user, order_number)
    resident = access.is_resident(request.user, order.unit_id)
    back_url = reverse("billing:portal") if resident else reverse("billing:unit", args=[order.unit_id])
    if request.method == "POST":
        if request.POST.get("decision") != "pay":
            messages.info(request, _("Payment cancelled; nothing was charged."))
            return redirect(back_url)
        try:
            result = actions.pay_in_sandbox(order=order)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("billing:sandbox_pay", order_number=order.order_number)
        assert result.payment is not None
        number = f"{result.payment.receipt_number:08d}"
        messages.success(request, _("Paid. Receipt %(number)s has been issued.") % {"number": number})
        return redirect(back_url if resident else reverse("billing:payment", args=[result.payment.pk]))
    context = {
        "order": order,
        "unit": order.unit,
        "bills": queries.bills_of_order(order),
        "back_url": back_url,
        # The owner's pages start their breadcrumbs at their home, staff's at the workbench.
        "base_template": "accounts/portal_base.html" if resident else "base.html",
    }
    return render(request, "billing/sandbox_pay.html", context)
