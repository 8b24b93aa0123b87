"""JSON endpoints of billing: fee items and standards, meter readings (one by one or from a
workbook), billing runs as jobs, bills, payments and online payment orders, reversal
requests and their approval, arrears and collection figures, the collection log, and the
gateway's signed callback. Thin: authorize, call an action or a query, serialize."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Router, Status
from ninja.files import UploadedFile

from guanjia.accounts.models import User
from guanjia.billing import access, actions, gateways, money, queries, reports
from guanjia.billing.actions.idempotency import KEY_HEADER
from guanjia.billing.schemas import (
    AgingRowOut,
    BillingRunIn,
    BillOut,
    CollectionLogIn,
    CollectionLogOut,
    CollectionOut,
    DecisionIn,
    FeeItemIn,
    FeeItemOut,
    FeeStandardIn,
    FeeStandardOut,
    ImportedReadingsOut,
    JobOut,
    MeterReadingIn,
    MeterReadingOut,
    PaymentIn,
    PaymentOrderIn,
    PaymentOrderOut,
    PaymentOut,
    RecoveryOut,
    RemindersIn,
    RemindersOut,
    ReversalRequestIn,
    ReversalRequestOut,
    TierOut,
    TiersIn,
)
from guanjia.core.errors import DomainError
from guanjia.core.models import Job
from guanjia.core.schemas import ErrorOut
from guanjia.estates.models import Estate

router = Router(tags=["billing"])
MAX_ROWS = 5000


def readable_estate(user: User, estate_id: int) -> tuple[Estate, set[int] | None]:
    """The estate and the zones the user's billing reads are limited to (None: all)."""
    estate = access.access_estate_billing(user, estate_id)
    return estate, access.billing_zones(user, estate.pk)


# -- Fee items and standards ---------------------------------------------------------------


@router.get("/estates/{estate_id}/fee-items", response=list[FeeItemOut], operation_id="billing_fee_items_list")
def list_fee_items(request, estate_id: int):
    estate, _zones = readable_estate(request.auth, estate_id)
    return list(queries.fee_items_of(estate))


@router.post(
    "/estates/{estate_id}/fee-items", response={201: FeeItemOut, 400: ErrorOut}, operation_id="billing_fee_items_create"
)
def create_fee_item(request, estate_id: int, payload: FeeItemIn):
    estate = access.access_estate_billing(request.auth, estate_id, write=True)
    return Status(201, actions.create_fee_item(actor=request.auth, estate=estate, **payload.dict()))


@router.get("/fee-items/{fee_item_id}/standards", response=list[FeeStandardOut], operation_id="billing_standards_list")
def list_standards(request, fee_item_id: int):
    item = access.access_fee_item(request.auth, fee_item_id)
    return list(queries.standards_of(item))


@router.post(
    "/fee-items/{fee_item_id}/standards",
    response={201: FeeStandardOut, 400: ErrorOut},
    operation_id="billing_standards_set",
    summary="A new unit price for a house type from a date on (a negative or zero price is refused)",
)
def set_standard(request, fee_item_id: int, payload: FeeStandardIn):
    item = access.access_fee_item(request.auth, fee_item_id, write=True)
    return Status(201, actions.set_fee_standard(actor=request.auth, fee_item=item, **payload.dict()))


@router.put(
    "/fee-items/{fee_item_id}/tiers", response={200: list[TierOut], 400: ErrorOut}, operation_id="billing_tiers_set"
)
def set_tiers(request, fee_item_id: int, payload: TiersIn):
    item = access.access_fee_item(request.auth, fee_item_id, write=True)
    tiers = [(tier.upper_bound, tier.price) for tier in payload.tiers]
    return actions.set_water_tiers(actor=request.auth, fee_item=item, tiers=tiers)


# -- Meter readings ------------------------------------------------------------------------


@router.get("/estates/{estate_id}/meter-readings", response=list[MeterReadingOut], operation_id="billing_readings_list")
def list_readings(request, estate_id: int, period: datetime.date | None = None, fee_item_id: int | None = None):
    estate, zones = readable_estate(request.auth, estate_id)
    return queries.readings_of(estate, period=period, fee_item_id=fee_item_id, zone_ids=zones, limit=MAX_ROWS)


@router.post(
    "/estates/{estate_id}/meter-readings",
    response={201: MeterReadingOut, 400: ErrorOut},
    operation_id="billing_readings_record",
    summary="One meter reading (a reading lower than the last is refused)",
)
def record_reading(request, estate_id: int, payload: MeterReadingIn):
    estate = access.access_estate_billing(request.auth, estate_id, write=True)
    unit = queries.unit_of_estate(estate, payload.unit_id)
    item = queries.fee_item_of_estate(estate, payload.fee_item_id)
    values = payload.dict(exclude={"unit_id", "fee_item_id"})
    return Status(201, actions.record_meter_reading(actor=request.auth, unit=unit, fee_item=item, **values))


@router.post(
    "/fee-items/{fee_item_id}/meter-readings/import",
    response={201: ImportedReadingsOut, 400: ErrorOut},
    operation_id="billing_readings_import",
    summary="A month's readings from an .xlsx workbook: all saved, or none with every problem by row and column",
)
def import_readings(request, fee_item_id: int, period: Form[datetime.date], file: File[UploadedFile]):
    item = access.access_fee_item(request.auth, fee_item_id, write=True)
    saved = actions.import_meter_readings(actor=request.auth, fee_item=item, period=period, upload=file)
    return Status(201, {"saved": len(saved)})


# -- Billing runs --------------------------------------------------------------------------


def job_out(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "finished": job.finished,
        "message": job.message,
        "result": job.result or {},
    }


@router.post(
    "/estates/{estate_id}/billing-runs",
    response={202: JobOut, 400: ErrorOut},
    operation_id="billing_runs_start",
    summary="Queue the billing run of a month; poll the job for its progress",
)
def start_run(request, estate_id: int, payload: BillingRunIn):
    estate = access.access_estate_billing(request.auth, estate_id, write=True)
    job = actions.start_billing_run(actor=request.auth, estate=estate, period_start=payload.period_start)
    return Status(202, job_out(job))


@router.get("/estates/{estate_id}/billing-runs/{job_id}", response=JobOut, operation_id="billing_runs_get")
def get_run(request, estate_id: int, job_id: int):
    _estate, job = access.access_billing_job(request.auth, estate_id, job_id)
    return job_out(job)


# -- Bills ---------------------------------------------------------------------------------


@router.get("/estates/{estate_id}/bills", response=list[BillOut], operation_id="billing_bills_list")
def list_bills(
    request,
    estate_id: int,
    period: datetime.date | None = None,
    unit_id: int | None = None,
    status: str | None = None,
):
    estate, zones = readable_estate(request.auth, estate_id)
    return queries.bills_of_estate(
        estate, period=period, unit_id=unit_id, status=status, zone_ids=zones, limit=MAX_ROWS
    )


@router.get("/units/{unit_id}/bills", response=list[BillOut], operation_id="billing_unit_bills")
def unit_bills(request, unit_id: int):
    unit = access.access_unit_billing(request.auth, unit_id)
    return queries.bills_of(unit, limit=MAX_ROWS)


@router.get("/bills/{bill_id}", response=BillOut, operation_id="billing_bills_get")
def get_bill(request, bill_id: int):
    return access.access_bill(request.auth, bill_id)


# -- Payments ------------------------------------------------------------------------------


KEY_HELP = (
    "Required: a key of your own (a new UUID per payment), sent again unchanged when you retry. "
    "A repeat with the same key and body gets the first answer back (the same status and object; "
    "nothing recorded twice, header Idempotent-Replayed: true); the same key with another body is "
    "refused with 409, nothing changed. Missing: 400 naming Idempotency-Key."
)


def key_refused(error: actions.KeyReused) -> Status:
    return Status(409, error.as_dict())


def replayed(response: Any, once: actions.Once) -> Any:
    """Mark a replayed answer, so a client can tell a retry from a new payment."""
    if once.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.post(
    "/units/{unit_id}/payments",
    response={201: PaymentOut, 400: ErrorOut, 409: ErrorOut},
    operation_id="billing_payments_record",
    summary="Money received: settles the chosen bills or the oldest first; the rest is prepaid",
    description="Carried out once per `Idempotency-Key` (required).",
)
def record_payment(
    request,
    response: HttpResponse,
    unit_id: int,
    payload: PaymentIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER, description=KEY_HELP),
):
    unit = access.access_unit_billing(request.auth, unit_id, write=True)
    try:
        once = actions.record_payment_once(
            actor=request.auth, idempotency_key=idempotency_key, unit=unit, **payload.dict()
        )
    except actions.KeyReused as error:
        return key_refused(error)
    replayed(response, once)
    return Status(201, once.result)


@router.get("/units/{unit_id}/payments", response=list[PaymentOut], operation_id="billing_unit_payments")
def unit_payments(request, unit_id: int):
    unit = access.access_unit_billing(request.auth, unit_id)
    return queries.payments_of(unit, limit=MAX_ROWS)


@router.get("/payments/{payment_id}", response=PaymentOut, operation_id="billing_payments_get")
def get_payment(request, payment_id: int):
    return access.access_payment(request.auth, payment_id)


@router.post(
    "/units/{unit_id}/payment-orders",
    response={201: PaymentOrderOut, 400: ErrorOut, 409: ErrorOut},
    operation_id="billing_payment_orders_create",
    summary="Start an online payment for chosen bills, an amount, or all that is owed",
    description="Opened once per `Idempotency-Key` (required): a repeat gets the same order.",
)
def create_payment_order(
    request,
    response: HttpResponse,
    unit_id: int,
    payload: PaymentOrderIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER, description=KEY_HELP),
):
    unit = access.access_unit_billing(request.auth, unit_id, pay=True)
    try:
        once, checkout = actions.create_payment_order_once(
            actor=request.auth, idempotency_key=idempotency_key, unit=unit, **payload.dict()
        )
    except actions.KeyReused as error:
        return key_refused(error)
    replayed(response, once)
    order = once.result
    return Status(
        201,
        {
            "id": order.pk,
            "order_number": order.order_number,
            "unit_id": order.unit_id,
            "amount": order.amount,
            "bill_ids": order.bill_ids,
            "status": order.status,
            "redirect_url": checkout.redirect_url,
            "qr_text": checkout.qr_text,
        },
    )


def deliver_notification(request: HttpRequest, name: str) -> HttpResponse:
    """A gateway's notification, checked by the adapter of that name and answered the way
    that gateway expects (WeChat: JSON and a status code; Alipay: "success"). A repeat is
    answered OK, so the gateway stops retrying; one refused is answered FAIL."""
    try:
        gateway = gateways.gateway_named(name)
    except gateways.GatewayUnavailable:
        raise Http404 from None
    try:
        result = actions.handle_gateway_callback(gateway=gateway, headers=request.headers, body=request.body)
    except actions.ForgedCallback:
        reply = gateway.reply(accepted=False, message=_("The callback signature is not valid."))
        return gateway_response(reply, status=403)
    except DomainError as error:
        reply = gateway.reply(accepted=False, message=error.message)
        return gateway_response(reply, status=400)
    return gateway_response(gateway.reply(accepted=True, message=result.order.order_number))


def gateway_response(reply: gateways.Reply, status: int | None = None) -> HttpResponse:
    """The gateway's answer; a refusal gets 403 (forged) or 400 (unreadable, wrong amount)
    unless the gateway reads refusals from the body alone (Alipay: "fail" with 200)."""
    code = reply.status if reply.status == 200 or status is None else status
    return HttpResponse(reply.body, status=code, content_type=f"{reply.content_type}; charset=utf-8")


@router.post(
    "/billing/gateways/{name}/callback",
    auth=None,
    operation_id="billing_gateway_callback",
    # Called by the payment gateway, not by API clients: no session or token, the gateway's
    # signature is the credential, checked by its adapter. Kept out of the published schema.
    include_in_schema=False,
)
def gateway_callback(request: HttpRequest, name: str):
    return deliver_notification(request, name)


# -- Reversals (红冲) with approval -----------------------------------------------------------


@router.post(
    "/reversal-requests",
    response={201: ReversalRequestOut, 400: ErrorOut},
    operation_id="billing_reversal_requests_create",
    summary="Ask for a payment or a bill to be reversed, with the reason; another approves",
)
def request_reversal(request, payload: ReversalRequestIn):
    payment = bill = None
    if payload.payment_id is not None:
        payment = access.access_payment(request.auth, payload.payment_id, write=True)
    if payload.bill_id is not None:
        bill = access.access_bill(request.auth, payload.bill_id, write=True)
    if payment is None and bill is None:
        raise DomainError(_("Choose the payment or the bill to reverse."), field="target")
    created = actions.request_reversal(actor=request.auth, payment=payment, bill=bill, reason=payload.reason)
    return Status(201, created)


@router.get(
    "/estates/{estate_id}/reversal-requests",
    response=list[ReversalRequestOut],
    operation_id="billing_reversal_requests_list",
)
def list_reversal_requests(request, estate_id: int, status: str | None = None):
    estate = access.access_estate_billing(request.auth, estate_id, write=True)
    return queries.reversal_requests_of(estate, status=status, limit=MAX_ROWS)


@router.post(
    "/reversal-requests/{request_id}/approve",
    response={200: ReversalRequestOut, 400: ErrorOut},
    operation_id="billing_reversal_requests_approve",
)
def approve_reversal(request, request_id: int, payload: DecisionIn):
    reversal = access.access_reversal_request(request.auth, request_id, approve=True)
    return actions.approve_reversal(actor=request.auth, reversal=reversal, note=payload.note)


@router.post(
    "/reversal-requests/{request_id}/reject",
    response={200: ReversalRequestOut, 400: ErrorOut},
    operation_id="billing_reversal_requests_reject",
)
def reject_reversal(request, request_id: int, payload: DecisionIn):
    reversal = access.access_reversal_request(request.auth, request_id, approve=True)
    return actions.reject_reversal(actor=request.auth, reversal=reversal, note=payload.note)


# -- Arrears and collection figures ----------------------------------------------------------


@router.get("/estates/{estate_id}/arrears", response=list[AgingRowOut], operation_id="billing_arrears_by_zone")
def arrears(request, estate_id: int, as_of: datetime.date | None = None):
    estate, zones = readable_estate(request.auth, estate_id)
    return reports.arrears_aging(estate.pk, as_of or timezone.localdate(), zone_ids=zones)


@router.get("/estates/{estate_id}/collection", response=CollectionOut, operation_id="billing_collection_rate")
def collection(request, estate_id: int, period: datetime.date | None = None):
    """当期收缴率 of a month (this month by default), for the estate and per zone."""
    estate, zones = readable_estate(request.auth, estate_id)
    period = actions.check_period_start(period or money.month_start(timezone.localdate()), field="period")
    return {
        "period_start": period,
        "totals": reports.period_totals(estate.pk, period, zone_ids=zones),
        "zones": reports.collection_by_zone(estate.pk, period, zone_ids=zones),
    }


@router.get("/estates/{estate_id}/arrears-recovery", response=RecoveryOut, operation_id="billing_arrears_recovery")
def arrears_recovery(request, estate_id: int, period: datetime.date | None = None):
    """清欠率 of a month (this month by default)."""
    estate = access.access_estate_billing(request.auth, estate_id)
    if access.billing_zones(request.auth, estate.pk) is not None:
        raise Http404  # an estate-wide figure
    period = actions.check_period_start(period or money.month_start(timezone.localdate()), field="period")
    end = money.month_end(period)
    return {"period_start": period, "period_end": end, **reports.arrears_recovery(estate.pk, period, end)}


@router.post(
    "/estates/{estate_id}/arrears-reminders",
    response={200: RemindersOut, 400: ErrorOut},
    operation_id="billing_arrears_reminders_send",
    summary="Reminder notices to owners with fees due (portal inbox and SMS), once a month per unit",
)
def send_reminders(request, estate_id: int, payload: RemindersIn):
    estate, zones = readable_estate(request.auth, estate_id)
    if zones is None:
        # Estate-wide reminders are sent by finance and the manager (who manage billing); the
        # head butler reads the figures. A zone's butler sends to their own zones.
        access.access_estate_billing(request.auth, estate.pk, write=True)
    sent = actions.send_arrears_reminders(actor=request.auth, estate=estate, as_of=payload.as_of, zone_ids=zones)
    return {"sent": sent}


# -- The collection log --------------------------------------------------------------------


@router.get(
    "/units/{unit_id}/collection-logs", response=list[CollectionLogOut], operation_id="billing_collection_logs_list"
)
def list_collection_logs(request, unit_id: int):
    unit = access.access_unit_collection(request.auth, unit_id)
    return queries.collection_log_of(unit, limit=MAX_ROWS)


@router.post(
    "/units/{unit_id}/collection-logs",
    response={201: CollectionLogOut, 400: ErrorOut},
    operation_id="billing_collection_logs_create",
)
def log_collection(request, unit_id: int, payload: CollectionLogIn):
    unit = access.access_unit_collection(request.auth, unit_id, write=True)
    return Status(201, actions.log_collection(actor=request.auth, unit=unit, **payload.dict()))
