"""Front-desk pages (staff) and the owner portal's custody pages. Thin: parse a form,
authorize, call an action, show the refusal under the field it names."""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.core import display
from guanjia.core.errors import DomainError
from guanjia.core.forms import attempt
from guanjia.core.photos import photo_response
from guanjia.estates.models import Estate
from guanjia.frontdesk import actions, excel, passcodes, queries
from guanjia.frontdesk.access import (
    access_authorization,
    access_custody_photo,
    access_desk_parcel,
    access_handover,
    access_key,
    access_my_authorization,
    access_my_instruction,
    access_my_key,
    access_my_pass,
    access_my_unit,
    access_unit_desk,
    access_visit,
    custodian_estate,
    resident_person,
    resident_unit_ids,
    resident_units,
)
from guanjia.frontdesk.forms import (
    AdmitForm,
    AuthorizationForm,
    CustodyPhotoForm,
    HandOverForm,
    HandoverNoteForm,
    InstructionForm,
    ItemForm,
    KeyForm,
    LendForm,
    MarkKeyForm,
    ParcelForm,
    PassForm,
    ScanForm,
    WalkInForm,
)
from guanjia.frontdesk.models import DoNotAdmit, Key, Parcel, Visit, VisitorPass
from guanjia.people import actions as people_actions
from guanjia.people.queries import residents_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def unit_desk(request, unit_id: int):
    """The front-desk screen for one unit: its people, keys, parcels waiting, expected
    visitors, the owner's instructions and the requests still open."""
    unit = access_unit_desk(request.user, unit_id)
    return render(
        request,
        "frontdesk/unit_desk.html",
        {
            "estate": unit.estate,
            "unit": unit,
            "residencies": residents_of(unit),
            "desk": queries.desk_view(unit, timezone.now()),
        },
    )


@login_required
@require_GET
def desk_search(request, estate_id: int):
    """The one box: a unit, a name or a phone tail; each unit found with what the desk holds."""
    estate = custodian_estate(request.user, estate_id)
    query = request.GET.get("q", "")[:50]
    template = "frontdesk/search.html#hits" if request.htmx else "frontdesk/search.html"
    hits: list[queries.DeskHit] = []
    notice = ""
    if query.strip():
        try:
            found = people_actions.search_people(actor=request.user, estate_id=estate.pk, query=query)
        except people_actions.TooManySearches as refusal:
            context = {"estate": estate, "query": query, "hits": hits, "refusal": refusal.message}
            return render(request, template, context, status=429)
        hits, notice = queries.desk_search(estate.pk, query, timezone.now(), found=found), found.notice
    return render(request, template, {"estate": estate, "query": query, "hits": hits, "notice": notice})


# The assistant's workbench -------------------------------------------------------------


def today_page(
    request, estate: Estate, *, status: int = 200, handover_form: HandOverForm | None = None
) -> HttpResponse:
    """Today at the desk: parcels waiting, keys out and overdue, visitors inside and expected,
    the handover to acknowledge, and the pickup-code box with the parcel it finds."""
    code = (request.POST.get("pickup_code") if handover_form else request.GET.get("code", "")) or ""
    code = code.strip()[:6]
    found = queries.waiting_parcel_by_code(estate.pk, code) if code else None
    context = {
        "estate": estate,
        "today": queries.desk_today(estate.pk, request.user.pk, timezone.now()),
        "code": code,
        "found": found,
        "handover_form": handover_form
        or HandOverForm(initial={"pickup_code": code, "collected_by_name": found.recipient_name if found else ""}),
    }
    return render(request, "frontdesk/today.html", context, status=status)


@login_required
@require_GET
def today(request, estate_id: int):
    return today_page(request, custodian_estate(request.user, estate_id))


# Parcels and entrusted items -------------------------------------------------------------


def parcels_page(request, estate: Estate, *, status: int = 200, **forms_in: Any) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in Parcel.Kind.values else ""
    context = {
        "estate": estate,
        "kind": kind,
        "kinds": Parcel.Kind.choices,
        "parcels": queries.with_photos(queries.waiting_parcels(estate.pk, kind)[:300]),
        "shelves": queries.shelf_count(estate.pk),
        "parcel_form": forms_in.get("parcel_form") or ParcelForm(),
        "item_form": forms_in.get("item_form") or ItemForm(),
        "failed_parcel": forms_in.get("failed_parcel"),
        "handover_form": forms_in.get("handover_form"),
        "photo_form": forms_in.get("photo_form"),
        "max_photos": actions.MAX_PHOTOS_PER_ITEM,
    }
    return render(request, "frontdesk/parcels.html", context, status=status)


@login_required
@require_GET
def parcels(request, estate_id: int):
    return parcels_page(request, custodian_estate(request.user, estate_id))


@login_required
@require_POST
def parcel_receive(request, estate_id: int):
    estate = custodian_estate(request.user, estate_id)
    form = ParcelForm(request.POST, request.FILES)

    def receive(data: dict) -> Parcel:
        unit = queries.find_unit(estate, data.pop("unit_code"))
        return actions.receive_parcel_with_photo(actor=request.user, unit=unit, **data)

    parcel = attempt(form, receive)
    if parcel is None:
        return parcels_page(request, estate, status=400, parcel_form=form)
    checked_in(request, parcel)
    return redirect(reverse("frontdesk:parcels", args=[estate.pk]) + f"?received={parcel.pk}")


@login_required
@require_POST
def item_receive(request, estate_id: int):
    estate = custodian_estate(request.user, estate_id)
    form = ItemForm(request.POST, request.FILES)

    def receive(data: dict) -> Parcel:
        unit = queries.find_unit(estate, data.pop("unit_code"))
        return actions.receive_parcel_with_photo(actor=request.user, unit=unit, kind=Parcel.Kind.ITEM, **data)

    parcel = attempt(form, receive)
    if parcel is None:
        return parcels_page(request, estate, status=400, item_form=form)
    checked_in(request, parcel)
    return redirect(reverse("frontdesk:parcels", args=[estate.pk]) + f"?received={parcel.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def parcel_scan(request, estate_id: int):
    """Bulk check-in from a barcode scanner: each Enter checks one parcel in and adds a row
    (an htmx fragment); unit and shelf stay filled for the next scan."""
    estate = custodian_estate(request.user, estate_id)
    if request.method == "GET":
        return render(request, "frontdesk/scan.html", {"estate": estate, "form": ScanForm()})
    form = ScanForm(request.POST)

    parcel = attempt(form, lambda data: actions.receive_scanned_parcel(actor=request.user, estate=estate, **data))
    if request.htmx:
        # A refused scan is a row too (200, so that htmx shows it): the clerk sees it and rescans.
        return render(request, "frontdesk/scan.html#row", {"parcel": parcel, "form": form})
    if parcel is None:
        return render(request, "frontdesk/scan.html", {"estate": estate, "form": form}, status=400)
    return redirect("frontdesk:parcel_scan", estate_id=estate.pk)


@login_required
@require_POST
def parcel_hand_over(request, parcel_id: int):
    parcel = access_desk_parcel(request.user, parcel_id)
    form = HandOverForm(request.POST)
    from_today = request.POST.get("back") == "today"  # sent from the workbench's pickup box
    done = attempt(form, lambda data: actions.hand_over_parcel(actor=request.user, parcel=parcel, **data))
    if done is None:
        if from_today:
            return today_page(request, parcel.estate, status=400, handover_form=form)
        return parcels_page(request, parcel.estate, status=400, failed_parcel=parcel.pk, handover_form=form)
    messages.success(
        request,
        _("Handed over: %(what)s for %(unit)s to %(name)s.")
        % {"what": parcel_name(done), "unit": parcel.unit.code, "name": done.collected_by_name},
    )
    if from_today:
        return redirect("frontdesk:today", estate_id=parcel.estate_id)
    return redirect(reverse("frontdesk:parcels", args=[parcel.estate_id]) + f"?handed_over={parcel.pk}")


def checked_in(request, parcel: Parcel) -> None:
    messages.success(
        request,
        _("Checked in: %(what)s for %(unit)s, shelf %(shelf)s.")
        % {"what": parcel_name(parcel), "unit": parcel.unit.code, "shelf": parcel.shelf},
    )


def parcel_name(parcel: Parcel) -> str:
    """How a message names a parcel: the courier and tracking number, or the item left."""
    if parcel.kind == Parcel.Kind.ITEM:
        return parcel.description or str(parcel.get_kind_display())
    return f"{parcel.courier} {parcel.tracking_number}".strip() or str(parcel.get_kind_display())


@login_required
@require_POST
def parcel_add_photo(request, parcel_id: int):
    parcel = access_desk_parcel(request.user, parcel_id)
    form = CustodyPhotoForm(request.POST, request.FILES)
    done = attempt(form, lambda data: actions.add_parcel_photo(actor=request.user, parcel=parcel, upload=data["photo"]))
    if done is None:
        return parcels_page(request, parcel.estate, status=400, failed_parcel=parcel.pk, photo_form=form)
    messages.success(request, _("Photo added."))
    return redirect(reverse("frontdesk:parcels", args=[parcel.estate_id]) + f"#parcel-{parcel.pk}")


@login_required
@require_GET
def custody_photo(request, photo_id: int):
    """A photo of a key or a parcel, for the desk, and a parcel's for the people it is for."""
    return photo_response(access_custody_photo(request.user, photo_id), thumbnail=request.GET.get("size") == "thumb")


# Keys ---------------------------------------------------------------------------------------


def keys_page(request, estate: Estate, *, status: int = 200, form: KeyForm | None = None) -> HttpResponse:
    context = {
        "estate": estate,
        "keys": queries.keys_of_estate(estate.pk),
        "form": form or KeyForm(),
        "now": timezone.now(),
    }
    return render(request, "frontdesk/keys.html", context, status=status)


@login_required
@require_GET
def keys(request, estate_id: int):
    return keys_page(request, custodian_estate(request.user, estate_id))


@login_required
@require_POST
def key_register(request, estate_id: int):
    estate = custodian_estate(request.user, estate_id)
    form = KeyForm(request.POST, request.FILES)

    def register(data: dict) -> Key:
        code = data.pop("unit_code")
        unit = queries.find_unit(estate, code, field="unit_code") if data["kind"] != Key.Kind.FACILITY else None
        return actions.register_key(actor=request.user, estate=estate, unit=unit, **data)

    key = attempt(form, register)
    if key is None:
        return keys_page(request, estate, status=400, form=form)
    messages.success(request, _("Key %(tag)s registered.") % {"tag": key.tag})
    return redirect("frontdesk:key", key_id=key.pk)


def key_page(request, key: Key, *, status: int = 200, **forms_in: Any) -> HttpResponse:
    today = timezone.localdate()
    photos = list(queries.photos_of(key))
    default_due = timezone.localtime() + datetime.timedelta(hours=4)
    context = {
        "estate": key.estate,
        "key": key,
        "loan": queries.current_loan(key),
        "authorizations": list(queries.live_authorizations(key, today)),
        "loans": list(queries.loans_of_key(key)[:20]),
        "events": list(queries.events_of_key(key)[:30]),
        "lend_form": forms_in.get("lend_form") or LendForm(initial={"due_at": default_due}),
        "authorization_form": forms_in.get("authorization_form") or AuthorizationForm(),
        "mark_form": forms_in.get("mark_form") or MarkKeyForm(),
        "return_error": forms_in.get("return_error"),
        "photos": photos,
        "photo_form": forms_in.get("photo_form") or CustodyPhotoForm(),
        "max_photos": actions.MAX_PHOTOS_PER_ITEM,
    }
    return render(request, "frontdesk/key.html", context, status=status)


@login_required
@require_GET
def key_detail(request, key_id: int):
    return key_page(request, access_key(request.user, key_id))


@login_required
@require_POST
def key_authorize(request, key_id: int):
    key = access_key(request.user, key_id)
    form = AuthorizationForm(request.POST)
    written = attempt(form, lambda data: actions.authorize_borrower(actor=request.user, key=key, **data))
    if written is None:
        return key_page(request, key, status=400, authorization_form=form)
    messages.success(
        request, _("%(name)s may now borrow key %(tag)s.") % {"name": written.borrower_name, "tag": key.tag}
    )
    return redirect("frontdesk:key", key_id=key.pk)


@login_required
@require_POST
def key_lend(request, key_id: int):
    key = access_key(request.user, key_id)
    form = LendForm(request.POST)
    loan = attempt(form, lambda data: actions.lend_key(actor=request.user, key=key, **data))
    if loan is None:
        return key_page(request, key, status=400, lend_form=form)
    messages.success(request, _("Key %(tag)s lent to %(name)s.") % {"tag": key.tag, "name": loan.borrower_name})
    return redirect("frontdesk:key", key_id=key.pk)


@login_required
@require_POST
def key_return(request, key_id: int):
    key = access_key(request.user, key_id)
    try:
        actions.return_key(actor=request.user, key=key)
    except DomainError as error:
        return key_page(request, key, status=400, return_error=error.message)
    messages.success(request, _("Key %(tag)s is back in store.") % {"tag": key.tag})
    return redirect("frontdesk:key", key_id=key.pk)


@login_required
@require_POST
def key_add_photo(request, key_id: int):
    key = access_key(request.user, key_id)
    form = CustodyPhotoForm(request.POST, request.FILES)
    if attempt(form, lambda data: actions.add_key_photo(actor=request.user, key=key, upload=data["photo"])) is None:
        return key_page(request, key, status=400, photo_form=form)
    messages.success(request, _("Photo added."))
    return redirect("frontdesk:key", key_id=key.pk)


@login_required
@require_POST
def key_mark(request, key_id: int):
    key = access_key(request.user, key_id)
    form = MarkKeyForm(request.POST)
    marked = attempt(form, lambda data: actions.mark_key(actor=request.user, key=key, **data))
    if marked is None:
        return key_page(request, key, status=400, mark_form=form)
    messages.success(
        request, _("Key %(tag)s marked %(status)s.") % {"tag": key.tag, "status": marked.get_status_display()}
    )
    return redirect("frontdesk:key", key_id=key.pk)


@login_required
@require_POST
def authorization_revoke(request, authorization_id: int):
    """Staff withdraw an authorization (the owner phoned); owners use their portal page."""
    authorization = access_authorization(request.user, authorization_id)
    key = access_key(request.user, authorization.key_id)
    try:
        actions.revoke_authorization(actor=request.user, authorization=authorization)
    except DomainError as error:
        return key_page(request, key, status=400, return_error=error.message)
    messages.success(request, _("Authorization of %(name)s revoked.") % {"name": authorization.borrower_name})
    return redirect("frontdesk:key", key_id=key.pk)


# Visitors -----------------------------------------------------------------------------------


def visitors_page(request, estate: Estate, *, status: int = 200, **forms_in: Any) -> HttpResponse:
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    context = {
        "estate": estate,
        "inside": list(queries.visitors_inside(estate.pk)[:200]),
        "expected": list(queries.expected_visitors(estate.pk, timezone.now())[:100]),
        "today": list(queries.visits_between(estate.pk, today, today + datetime.timedelta(days=1))[:300]),
        "instructions": list(queries.do_not_admit_of_estate(estate.pk)),
        "walk_in_form": forms_in.get("walk_in_form") or WalkInForm(),
        "admit_form": forms_in.get("admit_form") or AdmitForm(),
        "check_out_error": forms_in.get("check_out_error"),
        "export_from": (today - datetime.timedelta(days=30)).date().isoformat(),
        "export_to": today.date().isoformat(),
    }
    return render(request, "frontdesk/visitors.html", context, status=status)


@login_required
@require_GET
def visitors(request, estate_id: int):
    return visitors_page(request, custodian_estate(request.user, estate_id))


@login_required
@require_POST
def visitor_check_in(request, estate_id: int):
    estate = custodian_estate(request.user, estate_id)
    form = WalkInForm(request.POST)

    def check_in(data: dict) -> Visit:
        unit = queries.find_unit(estate, data.pop("unit_code"))
        return actions.check_in_visitor(actor=request.user, unit=unit, **data)

    visit = attempt(form, check_in)
    if visit is None:
        return visitors_page(request, estate, status=400, walk_in_form=form)
    messages.success(
        request, _("%(name)s checked in for %(unit)s.") % {"name": visit.visitor_name, "unit": visit.unit.code}
    )
    return redirect("frontdesk:visitors", estate_id=estate.pk)


@login_required
@require_POST
def visitor_admit(request, estate_id: int):
    estate = custodian_estate(request.user, estate_id)
    form = AdmitForm(request.POST)
    visit = attempt(form, lambda data: actions.admit_with_pass(actor=request.user, estate=estate, token=data["token"]))
    if visit is None:
        return visitors_page(request, estate, status=400, admit_form=form)
    messages.success(
        request, _("%(name)s checked in for %(unit)s.") % {"name": visit.visitor_name, "unit": visit.unit.code}
    )
    return redirect("frontdesk:visitors", estate_id=estate.pk)


@login_required
@require_POST
def visitor_check_out(request, visit_id: int):
    visit = access_visit(request.user, visit_id)
    try:
        actions.check_out_visitor(actor=request.user, visit=visit)
    except DomainError as error:
        estate = custodian_estate(request.user, visit.estate_id)
        return visitors_page(request, estate, status=400, check_out_error=error.message)
    messages.success(request, _("%(name)s checked out.") % {"name": visit.visitor_name})
    return redirect("frontdesk:visitors", estate_id=visit.estate_id)


def parse_day(value: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
@require_GET
def visitor_export(request, estate_id: int):
    """The visitor log of a period (both days included) as an Excel workbook."""
    estate = custodian_estate(request.user, estate_id)
    today = timezone.localdate()
    first = parse_day(request.GET.get("from", ""), today - datetime.timedelta(days=30))
    last = parse_day(request.GET.get("to", ""), today)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    buffer = io.BytesIO()
    excel.write_visitor_log(buffer, queries.visits_between(estate.pk, start, end).order_by("checked_in_at", "pk"))
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    filename = f"visitors-{estate.code}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Shift handover and the ledger ---------------------------------------------------------------


def handovers_page(request, estate: Estate, *, status: int = 200, **forms_in: Any) -> HttpResponse:
    handovers = list(queries.handovers_of_estate(estate.pk)[:30])
    for handover in handovers:
        handover.shown_items = queries.readable_open_items(handover.open_items)  # type: ignore[attr-defined]
    context = {
        "estate": estate,
        "open_items": queries.readable_open_items(queries.open_items(estate.pk)),
        "handovers": handovers,
        "form": forms_in.get("form") or HandoverNoteForm(),
        "acknowledge_error": forms_in.get("acknowledge_error"),
    }
    return render(request, "frontdesk/handovers.html", context, status=status)


@login_required
@require_GET
def handovers(request, estate_id: int):
    return handovers_page(request, custodian_estate(request.user, estate_id))


@login_required
@require_POST
def handover_write(request, estate_id: int):
    estate = custodian_estate(request.user, estate_id)
    form = HandoverNoteForm(request.POST)
    if attempt(form, lambda data: actions.write_handover(actor=request.user, estate=estate, **data)) is None:
        return handovers_page(request, estate, status=400, form=form)
    messages.success(request, _("Handover written; the next shift acknowledges it."))
    return redirect("frontdesk:handovers", estate_id=estate.pk)


@login_required
@require_POST
def handover_acknowledge(request, handover_id: int):
    handover = access_handover(request.user, handover_id)
    try:
        actions.acknowledge_handover(actor=request.user, handover=handover)
    except DomainError as error:
        estate = custodian_estate(request.user, handover.estate_id)
        return handovers_page(request, estate, status=400, acknowledge_error=error.message)
    messages.success(request, _("Handover from %(name)s acknowledged.") % {"name": handover.written_by})
    if request.POST.get("back") == "today":
        return redirect("frontdesk:today", estate_id=handover.estate_id)
    return redirect("frontdesk:handovers", estate_id=handover.estate_id)


@login_required
@require_GET
def events(request, estate_id: int):
    """The custody ledger: who handed what to whom, when, checked how."""
    estate = custodian_estate(request.user, estate_id)
    unit_code = request.GET.get("unit", "")[:50].strip()
    kind = request.GET.get("kind", "")
    unit, problem = None, ""
    if unit_code:
        try:
            unit = queries.find_unit(estate, unit_code, field="unit")
        except DomainError as error:
            problem = error.message
    rows = [] if problem else list(queries.event_log(estate.pk, unit=unit, kind=kind)[:300])
    context = {
        "estate": estate,
        "events": rows,
        "unit_code": unit_code,
        "kind": kind,
        "kinds": [("key", _("Keys")), ("parcel", _("Parcels")), ("item", _("Entrusted items"))],
        "problem": problem,
    }
    return render(request, "frontdesk/events.html", context, status=400 if problem else 200)


# The owner portal ------------------------------------------------------------------------------


@login_required
@require_GET
def my_parcels(request):
    resident_person(request.user)
    parcels = queries.with_photos(queries.parcels_of_units(resident_unit_ids(request.user))[:100])
    return render(request, "frontdesk/my_parcels.html", {"parcels": parcels})


def my_keys_page(
    request,
    *,
    status: int = 200,
    failed_key: int | None = None,
    form: AuthorizationForm | None = None,
    problem: str = "",
) -> HttpResponse:
    keys = queries.keys_of_units(resident_unit_ids(request.user), timezone.localdate())
    context = {"keys": keys, "failed_key": failed_key, "form": form, "blank": AuthorizationForm(), "problem": problem}
    return render(request, "frontdesk/my_keys.html", context, status=status)


@login_required
@require_GET
def my_keys(request):
    resident_person(request.user)
    return my_keys_page(request)


@login_required
@require_POST
def my_authorization_add(request, key_id: int):
    person = resident_person(request.user)
    key = access_my_key(request.user, key_id)
    form = AuthorizationForm(request.POST)
    written = attempt(
        form, lambda data: actions.authorize_borrower(actor=request.user, key=key, granted_by=person, **data)
    )
    if written is None:
        return my_keys_page(request, status=400, failed_key=key.pk, form=form)
    messages.success(
        request, _("%(name)s may now borrow key %(tag)s.") % {"name": written.borrower_name, "tag": key.tag}
    )
    return redirect("frontdesk:my_keys")


@login_required
@require_http_methods(["GET", "POST"])
def my_authorization_edit(request, authorization_id: int):
    resident_person(request.user)
    authorization = access_my_authorization(request.user, authorization_id)
    initial = {
        "borrower_name": authorization.borrower_name,
        "borrower_phone": authorization.borrower_phone,
        "purpose": authorization.purpose,
        "valid_until": authorization.valid_until,
    }
    form = AuthorizationForm(request.POST or None, initial=initial)
    if request.method == "POST":
        written = attempt(
            form,
            lambda data: actions.update_authorization(actor=request.user, authorization=authorization, **data),
        )
        if written is not None:
            messages.success(request, _("Saved."))
            return redirect("frontdesk:my_keys")
    status = 400 if request.method == "POST" else 200
    context = {"authorization": authorization, "form": form}
    return render(request, "frontdesk/my_authorization.html", context, status=status)


@login_required
@require_POST
def my_authorization_revoke(request, authorization_id: int):
    resident_person(request.user)
    authorization = access_my_authorization(request.user, authorization_id)
    try:
        actions.revoke_authorization(actor=request.user, authorization=authorization)
    except DomainError as error:
        return my_keys_page(request, status=400, problem=error.message)
    messages.success(request, _("Authorization of %(name)s revoked.") % {"name": authorization.borrower_name})
    return redirect("frontdesk:my_keys")


def my_passes_page(request, *, status: int = 200, form: PassForm | None = None, problem: str = "") -> HttpResponse:
    units = resident_units(request.user)
    now = timezone.localtime()
    passes = list(queries.live_passes_of_units({unit.pk for unit in units}, now))
    initial = {"valid_from": now, "valid_until": now + datetime.timedelta(hours=4)}
    context = {"passes": passes, "form": form or PassForm(units=units, initial=initial), "problem": problem}
    return render(request, "frontdesk/my_passes.html", context, status=status)


@login_required
@require_GET
def my_passes(request):
    resident_person(request.user)
    return my_passes_page(request)


@login_required
@require_POST
def my_pass_issue(request):
    person = resident_person(request.user)
    form = PassForm(request.POST, units=resident_units(request.user))

    def issue(data: dict) -> VisitorPass:
        unit = access_my_unit(request.user, data.pop("unit"))
        return actions.issue_visitor_pass(person=person, unit=unit, **data)

    visitor_pass = attempt(form, issue)
    if visitor_pass is None:
        return my_passes_page(request, status=400, form=form)
    messages.success(request, _("Pass issued for %(name)s.") % {"name": visitor_pass.visitor_name})
    return redirect("frontdesk:my_pass", pass_id=visitor_pass.pk)


@login_required
@require_GET
def my_pass(request, pass_id: int):
    """The pass as a QR code (inline SVG) the visitor shows at the desk."""
    import segno  # deferred: a heavy import (about 50 ms) only this page needs

    resident_person(request.user)
    visitor_pass = access_my_pass(request.user, pass_id)
    qr = segno.make(visitor_pass.token, error="m").svg_inline(scale=6, border=2)
    context = {
        "visitor_pass": visitor_pass,
        "qr": qr,
        "code_shown": passcodes.grouped(visitor_pass.code),
        "share_text": pass_message(visitor_pass),
    }
    return render(request, "frontdesk/my_pass.html", context)


def pass_message(visitor_pass: VisitorPass) -> str:
    """What the owner's share button sends the visitor: the code, where, and for how long."""
    return _(
        "%(name)s, you are expected at %(estate)s %(unit)s. At the front desk, give the pass code "
        "%(code)s. Valid %(start)s to %(end)s."
    ) % {
        "name": visitor_pass.visitor_name,
        "estate": visitor_pass.unit.estate.name,
        "unit": visitor_pass.unit.code,
        "code": passcodes.grouped(visitor_pass.code) or visitor_pass.token,
        "start": display.when(visitor_pass.valid_from),
        "end": display.when(visitor_pass.valid_until),
    }


@login_required
@require_POST
def my_pass_revoke(request, pass_id: int):
    person = resident_person(request.user)
    visitor_pass = access_my_pass(request.user, pass_id)
    try:
        actions.revoke_visitor_pass(person=person, visitor_pass=visitor_pass)
    except DomainError as error:
        return my_passes_page(request, status=400, problem=error.message)
    messages.success(request, _("Pass of %(name)s withdrawn.") % {"name": visitor_pass.visitor_name})
    return redirect("frontdesk:my_passes")


def my_instructions_page(
    request, *, status: int = 200, form: InstructionForm | None = None, problem: str = ""
) -> HttpResponse:
    units = resident_units(request.user)
    instructions = list(queries.instructions_of_units({unit.pk for unit in units}))
    context = {"instructions": instructions, "form": form or InstructionForm(units=units), "problem": problem}
    return render(request, "frontdesk/my_instructions.html", context, status=status)


@login_required
@require_GET
def my_instructions(request):
    resident_person(request.user)
    return my_instructions_page(request)


@login_required
@require_POST
def my_instruction_add(request):
    person = resident_person(request.user)
    form = InstructionForm(request.POST, units=resident_units(request.user))

    def add(data: dict) -> DoNotAdmit:
        unit = access_my_unit(request.user, data.pop("unit"))
        return actions.add_do_not_admit(person=person, unit=unit, **data)

    added = attempt(form, add)
    if added is None:
        return my_instructions_page(request, status=400, form=form)
    messages.success(request, _("The desk will not admit %(name)s.") % {"name": added.name})
    return redirect("frontdesk:my_instructions")


@login_required
@require_POST
def my_instruction_lift(request, instruction_id: int):
    person = resident_person(request.user)
    instruction = access_my_instruction(request.user, instruction_id)
    try:
        actions.lift_do_not_admit(person=person, instruction=instruction)
    except DomainError as error:
        return my_instructions_page(request, status=400, problem=error.message)
    messages.success(request, _("Instruction about %(name)s lifted.") % {"name": instruction.name})
    return redirect("frontdesk:my_instructions")
