"""Pages of the service desk: the front-desk intake, my loops, my work, the head butler's
board, the request page with its timeline and action forms, service levels, the month's
complaints, and the owner portal. Thin: parse, authorize, call an action, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts.models import User
from guanjia.accounts.queries import postings_of_estate
from guanjia.core.errors import DomainError
from guanjia.core.forms import add_domain_error, attempt
from guanjia.core.photos import photo_response
from guanjia.core.roles import Capability
from guanjia.estates.access import access_estate
from guanjia.estates.models import Estate, Unit
from guanjia.people import actions as people_actions
from guanjia.people import queries as people_queries
from guanjia.people.models import Person
from guanjia.servicedesk import access, actions, queries
from guanjia.servicedesk import deadlines as dl
from guanjia.servicedesk.forms import (
    AssignForm,
    CancelForm,
    ClassifyForm,
    ConfirmForm,
    DutyManagerForm,
    FieldPhotoForm,
    IntakeForm,
    NoteForm,
    PhotoForm,
    PortalRequestForm,
    RequiredNoteForm,
    ReturnVisitForm,
    ServiceLevelsForm,
    title_from,
)
from guanjia.servicedesk.models import TRANSITIONS, ComplaintDetails, ServiceRequest

S = ServiceRequest.Status
BOARD_LIMIT = 200


# --- the request page and its action forms ------------------------------------------------------


def staff_choices(estate_id: int) -> list[tuple[str, str]]:
    """Whom a request may be dispatched to: those who do the work (queries.workers_of), not
    finance or general affairs."""
    return [(str(user.pk), f"{user} · {'、'.join(posts)}") for user, posts in queries.workers_of(estate_id)]


def find_assignee(estate_id: int, value: str) -> User | None:
    for posting in postings_of_estate(estate_id):
        if str(posting.user_id) == value:
            return posting.user
    return None


def with_version(data: dict) -> dict:
    return {"expected_version": data.get("version")}


Handler = Callable[[User, ServiceRequest, dict], object]

# action -> (button label, form class, what it does). The order is the order on the page.
ACTIONS: dict[str, tuple[Promise, type[forms.Form], Handler]] = {
    "assign": (
        gettext_lazy("Assign"),
        AssignForm,
        lambda user, service_request, data: actions.assign_request(
            actor=user,
            service_request=service_request,
            assignee=find_assignee(service_request.estate_id, data["assignee"]),
            note=data["note"],
            **with_version(data),
        ),
    ),
    # 接单: the assignee takes the job, recorded as their own dispatch to themselves.
    "accept": (
        gettext_lazy("Accept the job"),
        NoteForm,
        lambda user, service_request, data: actions.assign_request(
            actor=user,
            service_request=service_request,
            assignee=user,
            note=data["note"] or _("Accepted the job."),
            **with_version(data),
        ),
    ),
    "start": (
        gettext_lazy("Start work"),
        NoteForm,
        lambda user, service_request, data: actions.start_work(
            actor=user, service_request=service_request, note=data["note"], **with_version(data)
        ),
    ),
    "wait_parts": (
        gettext_lazy("Wait for parts"),
        NoteForm,
        lambda user, service_request, data: actions.wait_for_parts(
            actor=user, service_request=service_request, note=data["note"], **with_version(data)
        ),
    ),
    "wait_owner": (
        gettext_lazy("Wait for the owner"),
        NoteForm,
        lambda user, service_request, data: actions.wait_for_owner(
            actor=user, service_request=service_request, note=data["note"], **with_version(data)
        ),
    ),
    "resume": (
        gettext_lazy("Resume"),
        NoteForm,
        lambda user, service_request, data: actions.resume_work(
            actor=user, service_request=service_request, note=data["note"], **with_version(data)
        ),
    ),
    "resolve": (
        gettext_lazy("Resolve"),
        NoteForm,
        lambda user, service_request, data: actions.resolve_request(
            actor=user, service_request=service_request, note=data["note"], **with_version(data)
        ),
    ),
    "return_visit": (
        gettext_lazy("Record the return visit"),
        ReturnVisitForm,
        lambda user, service_request, data: actions.record_return_visit(
            actor=user,
            service_request=service_request,
            how=data["how"],
            satisfaction=data["satisfaction"],
            solved=data["solved"],
            owner_words=data["owner_words"],
            **with_version(data),
        ),
    ),
    "close": (
        gettext_lazy("Close"),
        NoteForm,
        lambda user, service_request, data: actions.close_request(
            actor=user, service_request=service_request, note=data["note"], **with_version(data)
        ),
    ),
    "reopen": (
        gettext_lazy("Reopen"),
        RequiredNoteForm,
        lambda user, service_request, data: actions.reopen_request(
            actor=user, service_request=service_request, note=data["note"], **with_version(data)
        ),
    ),
    "cancel": (
        gettext_lazy("Cancel the request"),
        CancelForm,
        lambda user, service_request, data: actions.cancel_request(
            actor=user, service_request=service_request, reason=data["reason"], **with_version(data)
        ),
    ),
}


# The field worker's one action at a time, as the phone page names it (接单 → 到场 → 完成).
FIELD_LABELS: dict[str, Promise] = {
    "accept": gettext_lazy("Accept the job"),
    "start": gettext_lazy("On site"),
    "resolve": gettext_lazy("Job done"),
    "resume": gettext_lazy("Resume"),
}
# The statuses in which the assignee is at the job: their photos are before and after the work.
WORK_STATUSES = {S.IN_PROGRESS, S.WAITING_PARTS, S.WAITING_OWNER, S.RESOLVED}
# Actions that undo or end someone's work: asked for again in the confirmation dialog.
CONFIRMED = {"cancel", "reopen"}


def available_actions(user: User, service_request: ServiceRequest) -> list[str]:
    """The actions the transition table allows now, for a user who may act on the request.
    Accepting the job is the assignee's, once per dispatch."""
    if not access.can_act(user, service_request):
        return []
    allowed = set(TRANSITIONS.get(service_request.status, {}))
    if service_request.status == S.RESOLVED and service_request.return_visit_by is not None:
        allowed.discard("close")  # the return visit comes first
    if (
        service_request.status == S.ASSIGNED
        and service_request.assignee_id == user.pk
        and not queries.accepted_by_assignee(service_request)
    ):
        allowed.add("accept")
    return [name for name in ACTIONS if name in allowed]


def primary_action(user: User, service_request: ServiceRequest, names: list[str]) -> str:
    """The one action the page puts first: the assignee's next step of the job (接单 → 到场 →
    完成); for the desk, dispatching a new request or following up a resolved one."""
    order: tuple[str, ...]
    if service_request.assignee_id == user.pk:
        order = ("accept", "start", "resolve", "resume")
    elif service_request.status == S.RECEIVED:
        order = ("assign",)
    else:
        order = ("return_visit", "close")
    return next((name for name in order if name in names), "")


def action_form(name: str, service_request: ServiceRequest, data: QueryDict | None = None) -> forms.Form:
    form_class = ACTIONS[name][1]
    initial = {"version": service_request.version}
    if form_class is AssignForm:
        return AssignForm(data, initial=initial, staff_choices=staff_choices(service_request.estate_id), prefix=name)
    return form_class(data, initial=initial, prefix=name)


def photo_stage(service_request: ServiceRequest, photos: list) -> str:
    """The stage the next staff photo most likely is: before the work once on site and none was
    taken, after it from then on; the problem itself before anyone is on site."""
    if service_request.status not in WORK_STATUSES:
        return ""
    taken = {photo.stage for photo in photos}
    return "after" if "before" in taken or service_request.status == S.RESOLVED else "before"


def contact_of(service_request: ServiceRequest):
    """The person the call button calls: the contact of an in-unit job with a number, while the
    request is not finished."""
    person = service_request.person
    if person is None or not person.phone or service_request.status in (S.CLOSED, S.CANCELLED):
        return None
    return person


def render_request_page(
    request,
    service_request: ServiceRequest,
    *,
    failed: str = "",
    failed_form: forms.Form | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    names = available_actions(user, service_request)
    primary = primary_action(user, service_request, names)
    action_forms = []
    for name in names:
        form = failed_form if name == failed and failed_form is not None else action_form(name, service_request)
        action_forms.append(
            {
                "name": name,
                "label": FIELD_LABELS.get(name, ACTIONS[name][0]) if name == primary else ACTIONS[name][0],
                "form": form,
                "open": name == failed,
                "confirm": name in CONFIRMED,
            }
        )
    can_classify = service_request.kind == ServiceRequest.Kind.COMPLAINT and access.can(
        user, service_request.estate_id, access.ANALYSE_COMPLAINTS
    )
    classify_form = None
    if can_classify:
        details = getattr(service_request, "complaint", None)
        classify_form = (
            failed_form
            if failed == "classify"
            else ClassifyForm(
                initial={
                    "category": getattr(details, "category", ""),
                    "validity": getattr(details, "validity", "pending"),
                    "department": getattr(details, "department", ""),
                }
            )
        )
    photos = list(queries.photos_of(service_request))
    steps = queries.service_steps(service_request, now)
    photo_form = None
    if access.can_add_photo(user, service_request):
        photo_form = (
            failed_form
            if failed == "photo"
            else FieldPhotoForm(initial={"stage": photo_stage(service_request, photos)})
        )
    context = {
        "estate": service_request.estate,
        "service_request": service_request,
        "timeline": queries.timeline(service_request),
        "photos": photos,
        "primary": next((item for item in action_forms if item["name"] == primary), None),
        "action_forms": [item for item in action_forms if item["name"] != primary],
        "classify_form": classify_form,
        "photo_form": photo_form,
        "error": error,
        "now": now,
        "steps": steps,
        "late": dl.lateness(steps),
        "overdue": any(step.state == dl.OVERDUE for step in steps),
        "contact": contact_of(service_request) if access.can_act(user, service_request) else None,
        "is_assignee": service_request.assignee_id == user.pk,
        # The field worker's camera card while the work is under way; elsewhere under more actions.
        "field_photos": service_request.assignee_id == user.pk and service_request.status in WORK_STATUSES,
        "complaint": getattr(service_request, "complaint", None)
        if service_request.kind == ServiceRequest.Kind.COMPLAINT
        else None,
    }
    return render(request, "servicedesk/request.html", context, status=status)


def refused_status(error: DomainError) -> int:
    """409 when someone else changed the request meanwhile, 400 for any other refusal."""
    return 409 if error.field == "version" else 400


@login_required
@require_GET
def request_page(request, request_id: int):
    service_request = access.access_request(request.user, request_id)
    if not access.is_posted(request.user, service_request.estate_id) and access.is_requester(
        request.user, service_request
    ):
        return redirect("servicedesk:portal_request", request_id=service_request.pk)  # the owner's own page
    return render_request_page(request, service_request)


@login_required
@require_POST
def request_action(request, request_id: int, action: str):
    if action not in ACTIONS:
        raise Http404
    service_request = access.access_request(request.user, request_id, write=True)
    form = action_form(action, service_request, request.POST)
    if form.is_valid():
        try:
            ACTIONS[action][2](request.user, service_request, form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            service_request = access.access_request(request.user, request_id)
            return render_request_page(
                request,
                service_request,
                failed=action,
                failed_form=form,
                error=error.message,
                status=refused_status(error),
            )
        messages.success(request, _("Saved: %(action)s.") % {"action": ACTIONS[action][0]})
        return redirect("servicedesk:request", request_id=service_request.pk)
    return render_request_page(request, service_request, failed=action, failed_form=form, status=400)


@login_required
@require_POST
def classify(request, request_id: int):
    service_request = access.access_request(request.user, request_id)
    if not access.can(request.user, service_request.estate_id, access.ANALYSE_COMPLAINTS):
        raise Http404
    form = ClassifyForm(request.POST)
    if form.is_valid():
        try:
            actions.classify_complaint(actor=request.user, service_request=service_request, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return render_request_page(
                request, service_request, failed="classify", failed_form=form, error=error.message, status=400
            )
        messages.success(request, _("The complaint details are saved."))
        return redirect("servicedesk:request", request_id=service_request.pk)
    return render_request_page(request, service_request, failed="classify", failed_form=form, status=400)


@login_required
@require_POST
def add_photo(request, request_id: int):
    service_request = access.access_request_for_photo(request.user, request_id)
    form = FieldPhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.add_request_photo(
                actor=request.user,
                service_request=service_request,
                upload=form.cleaned_data["photo"],
                stage=form.cleaned_data["stage"],
            )
        except DomainError as error:
            add_domain_error(form, error)
            return render_request_page(
                request, service_request, failed="photo", failed_form=form, error=error.message, status=400
            )
        messages.success(request, _("The photo is added."))
        return redirect("servicedesk:request", request_id=service_request.pk)
    return render_request_page(request, service_request, failed="photo", failed_form=form, status=400)


class TelRedirect(HttpResponseRedirect):
    """A redirect to the phone's dialer."""

    allowed_schemes = ["tel"]


@login_required
@require_POST
def call(request, request_id: int):
    """The call button: the call is logged, then the phone dials. The number is never printed
    on the page, so that a role that may not see it whole does not read it there."""
    service_request = access.access_request(request.user, request_id, write=True)
    try:
        number = actions.call_contact(actor=request.user, service_request=service_request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("servicedesk:request", request_id=service_request.pk)
    messages.success(request, _("The call is logged."))
    return TelRedirect("tel:" + "".join(character for character in number if character.isdigit() or character == "+"))


@login_required
@require_GET
def photo(request, photo_id: int):
    return photo_response(access.access_photo(request.user, photo_id), thumbnail=request.GET.get("size") == "thumb")


# --- front-desk intake --------------------------------------------------------------------------


def unit_by_code(estate_id: int, code: str) -> Unit | None:
    """The unit the desk typed, or None when the field is empty; unknown codes are refused."""
    code = (code or "").strip().upper()
    if not code:
        return None
    unit = queries.unit_by_code(estate_id, code)
    if unit is None:
        raise DomainError(_("No unit with this code in the estate."), field="unit")
    return unit


def intake_caller(estate_id: int, params: QueryDict) -> tuple[Person | None, Unit | None]:
    """The caller and unit picked from the search results (ids in the query string)."""
    person = unit = None
    person_id, unit_id = params.get("person", ""), params.get("unit_id", "")
    if str(person_id).isdigit():
        person = queries.person_in_estate(int(person_id), estate_id)
    if str(unit_id).isdigit():
        unit = queries.unit_in_estate(int(unit_id), estate_id)
    return person, unit


def record_intake(user: User, estate: Estate, data: dict) -> ServiceRequest:
    """The desk's form written: the unit by its code, the title from the description when
    the desk typed none."""
    return actions.receive_request(
        actor=user,
        estate=estate,
        kind=data["kind"],
        channel=data["channel"],
        priority=data["priority"],
        title=data["title"] or title_from(data["description"]),
        description=data["description"],
        unit=unit_by_code(estate.pk, data["unit"]),
        person=data["person"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def intake(request, estate_id: int):
    """One screen at the front desk: find the caller by phone or unit, see what they have
    open, record the new request."""
    estate = access_estate(request.user, estate_id, Capability.FRONT_DESK_SEARCH)
    params = request.POST if request.method == "POST" else request.GET
    query = request.GET.get("q", "")[:50]
    result = None
    if query:
        # Counted and matched as the reader may (whole numbers only for whom they may see whole).
        try:
            result = people_actions.search_people(actor=request.user, estate_id=estate.pk, query=query)
        except people_actions.TooManySearches as refusal:
            messages.error(request, refusal.message)
    person, unit = intake_caller(estate.pk, params)
    residencies = people_queries.units_of_person(person) if person else []
    if unit is None and len(residencies) >= 1:
        unit = residencies[0].unit
    initial = {"person": person.pk if person else None, "unit": unit.code if unit else ""}
    form = IntakeForm(request.POST or None, initial=initial)
    if person is not None or unit is not None:
        form.fields["description"].widget.attrs["autofocus"] = True  # the caller is found: say what
    status = 200
    if request.method == "POST":
        created = attempt(form, lambda data: record_intake(request.user, estate, data))
        if created is not None:
            messages.success(request, _("Request #%(id)s is recorded.") % {"id": created.pk})
            return redirect("servicedesk:request", request_id=created.pk)
        status = 400
    open_requests = []
    if person is not None:
        open_requests = list(queries.open_requests_of_person(person.pk))
    elif unit is not None:
        open_requests = list(queries.with_overdue(queries.open_requests_of_unit(unit.pk)))
    context = {
        "estate": estate,
        "query": query,
        "result": result,
        "person": person,
        "unit": unit,
        "residencies": residencies,
        "residents": people_queries.residents_of(unit) if unit and not person else [],
        "open_requests": open_requests,
        "form": form,
    }
    template = (
        "servicedesk/intake.html#results" if request.htmx and request.method == "GET" else "servicedesk/intake.html"
    )
    return render(request, template, context, status=status)


# --- lists --------------------------------------------------------------------------------------


@login_required
@require_GET
def my_loops(request, estate_id: int):
    """首问负责制: every request I first received that is not yet closed, wherever it is."""
    estate = access.access_estate_desk(request.user, estate_id)
    now = timezone.now()
    requests = with_lateness(list(queries.with_names(queries.loops_in_estate(request.user, estate.pk))), now)
    return render(
        request,
        "servicedesk/list.html",
        {"estate": estate, "requests": requests, "heading": _("My loops"), "empty": _("No open loops.")},
    )


@login_required
@require_GET
def my_work(request, estate_id: int):
    """The jobs assigned to me and not yet resolved: a card each, with its next step (接单 →
    到场 → 完成), where it is and how it stands against its service level. Phone-first."""
    estate = access.access_estate_desk(request.user, estate_id)
    now = timezone.now()
    jobs = []
    for job in queries.assigned_in_estate(request.user, estate.pk):
        steps = queries.request_steps(job, now)
        names = available_actions(request.user, job)
        jobs.append(
            {
                "request": job,
                "next": FIELD_LABELS.get(primary_action(request.user, job, names), ""),
                "late": dl.lateness(steps),
                "resolve": steps[2],
            }
        )
    return render(request, "servicedesk/my_work.html", {"estate": estate, "jobs": jobs, "now": now})


def board_filters(request, estate: Estate, zones: list) -> dict:
    """The board's filters from the query string: a butler starts on their own zone."""
    own_zones = [zone.pk for zone in zones if zone.butler_id == request.user.pk]
    chosen = request.GET.get("zone", "")
    if not chosen and own_zones:
        chosen = str(own_zones[0])
    zone_id = int(chosen) if chosen.isdigit() and int(chosen) in {zone.pk for zone in zones} else None
    priority = request.GET.get("priority", "")
    assignee = request.GET.get("assignee", "")
    return {
        "zone_id": zone_id,
        "overdue": request.GET.get("overdue") == "1",
        "priority": priority if priority in ServiceRequest.Priority.values else "",
        "unassigned": request.GET.get("unassigned") == "1",
        "assignee_id": int(assignee) if assignee.isdigit() and len(assignee) < 19 else None,
    }


def with_lateness(requests: list[ServiceRequest], now: dt.datetime) -> list[ServiceRequest]:
    """Each row marked with how late it is (`late_by`), for the board's column."""
    for row in requests:
        row.late_by = dl.lateness(queries.request_steps(row, now))  # type: ignore[attr-defined]
    return requests


@login_required
@require_GET
def board(request, estate_id: int):
    """The head butler's board: open requests, overdue first, each with how late it is. A
    butler starts on their own zone (their default view); anyone may pick another zone, all
    zones, a priority, the unassigned or the overdue only."""
    estate = access_estate(request.user, estate_id, Capability.VIEW_REQUESTS)
    zones = queries.board_zones(estate)
    filters = board_filters(request, estate, zones)
    now = timezone.now()
    requests = with_lateness(queries.board_rows(estate, **filters, limit=BOARD_LIMIT), now)
    return render(
        request,
        "servicedesk/list.html",
        {
            "estate": estate,
            "requests": requests[:BOARD_LIMIT],
            "more": len(requests) > BOARD_LIMIT,
            "heading": _("Request board"),
            "empty": _("No open requests."),
            "show_first_responder": True,
            "board_filters": {**filters, "zones": zones, "priorities": ServiceRequest.Priority.choices},
        },
    )


WORKBENCH_BOARD = 15  # the board's first rows on the workbench; the rest behind its link
ESCALATION_DAYS = 7


@login_required
@require_GET
def workbench(request, estate_id: int):
    """The head butler's workbench: unassigned emergencies first, the escalations that reached
    them, each person's open and overdue work, and the board with how late each request is."""
    estate = access_estate(request.user, estate_id, Capability.VIEW_REQUESTS)
    now = timezone.now()
    escalations = queries.escalations_to(request.user, estate, now - dt.timedelta(days=ESCALATION_DAYS))
    for escalation in escalations:
        escalation.late_at_escalation = escalation.at - escalation.due_at  # type: ignore[attr-defined]
    board_rows = with_lateness(queries.board_rows(estate, limit=WORKBENCH_BOARD), now)
    return render(
        request,
        "servicedesk/workbench.html",
        {
            "estate": estate,
            "now": now,
            "emergencies": with_lateness(queries.unassigned_emergencies(estate, now), now),
            "escalations": escalations,
            "escalation_days": ESCALATION_DAYS,
            "workload": queries.workload(estate, now),
            "board_rows": board_rows[:WORKBENCH_BOARD],
            "board_more": len(board_rows) > WORKBENCH_BOARD,
            "open_count": queries.open_count(estate),
            "overdue_count": queries.overdue_count(estate, now),
        },
    )


# --- service levels and complaints --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def service_levels(request, estate_id: int):
    """The whole table in hours, one form and one save: every field checked before anything is
    written, and a refused one named."""
    estate = access_estate(request.user, estate_id, Capability.MANAGE_SERVICE_LEVELS)
    rows = queries.service_levels_of(estate)
    kinds, priorities = dict(ServiceRequest.Kind.choices), dict(ServiceRequest.Priority.choices)
    for row in rows:
        row["kind_label"], row["priority_label"] = kinds[row["kind"]], priorities[row["priority"]]
    form = ServiceLevelsForm(request.POST or None, rows=rows)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = actions.set_service_levels(actor=request.user, estate=estate, levels=form.changed_levels())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Service levels saved: %(count)d changed.") % {"count": changed})
                return redirect("servicedesk:service_levels", estate_id=estate.pk)
        status = 400
        messages.error(
            request,
            _("Nothing was saved. Please correct: %(fields)s.")
            % {"fields": "、".join(str(form.fields[name].label) for name in form.errors if name in form.fields)},
        )
    return render(
        request,
        "servicedesk/service_levels.html",
        {"estate": estate, "form": form, "own_count": queries.own_service_level_count(estate)},
        status=status,
    )


DUTY_DAYS = 14


def duty_manager_choices(estate_id: int) -> list[tuple[str, str]]:
    """Who may stand as the 24-hour duty manager: head butlers, the deputy manager and above."""
    people: dict[int, str] = {}
    for posting in postings_of_estate(estate_id):
        if posting.post in access.DUTY_MANAGER_POSTS:
            people.setdefault(posting.user_id, f"{posting.user} · {posting.get_post_display()}")
    return [(str(user_id), label) for user_id, label in people.items()]


@login_required
@require_http_methods(["GET", "POST"])
def duty_managers(request, estate_id: int):
    """The 24-hour duty manager (值班经理) of each of the coming days, named by the estate until
    the roster exists. Escalations outside office hours go to the day's duty manager."""
    estate = access_estate(request.user, estate_id, Capability.NAME_DUTY_MANAGER)
    people = duty_manager_choices(estate.pk)
    form = DutyManagerForm(request.POST or None, people=people)
    status = 200
    if request.method == "POST":
        named = attempt(
            form,
            lambda data: actions.name_duty_manager(
                actor=request.user, estate=estate, date=data["date"], user=find_assignee(estate.pk, data["user"])
            ),
        )
        if named is not None:
            messages.success(request, _("The duty manager is named."))
            return redirect("servicedesk:duty_managers", estate_id=estate.pk)
        status = 400
    today = dl.duty_date(timezone.now())
    named = {duty.date: duty.user for duty in queries.duty_managers_of(estate, today, DUTY_DAYS)}
    days = [(day, named.get(day)) for day in (today + dt.timedelta(days=n) for n in range(DUTY_DAYS))]
    return render(
        request, "servicedesk/duty_managers.html", {"estate": estate, "days": days, "form": form}, status=status
    )


def parse_month(value: str, today: dt.date) -> tuple[int, int] | None:
    if not value:
        return today.year, today.month
    try:
        parsed = dt.datetime.strptime(value.strip(), "%Y-%m")
    except ValueError:
        return None
    if not 2000 <= parsed.year <= 2100:
        return None
    return parsed.year, parsed.month


@login_required
@require_GET
def complaints(request, estate_id: int):
    """The month's complaints: by category, valid ones, time to resolve, repeat complainants."""
    estate = access_estate(request.user, estate_id, Capability.ANALYSE_COMPLAINTS)
    today = timezone.localtime().date()
    month = parse_month(request.GET.get("month", ""), today)
    error = ""
    status = 200
    if month is None:
        error = _("Enter the month as YYYY-MM, e.g. 2026-03.")
        status = 400
        month = (today.year, today.month)
    summary = queries.complaint_summary(estate, *month)
    labels = dict(ComplaintDetails.Category.choices)
    categories = [(labels.get(key, _("Not classified yet")), count) for key, count in summary.by_category.items()]
    return render(
        request,
        "servicedesk/complaints.html",
        {
            "estate": estate,
            "summary": summary,
            "categories": categories,
            "month_value": f"{month[0]:04d}-{month[1]:02d}",
            "month_name": _("%(year)d-%(month)02d") % {"year": month[0], "month": month[1]},
            "error": error,
            "complaints": queries.complaints_of_month(estate, *month),
        },
        status=status,
    )


# --- the owner portal ---------------------------------------------------------------------------


def portal_person(user: User) -> Person:
    if user.person is None:
        raise Http404
    return user.person


@login_required
@require_GET
def portal_requests(request):
    person = portal_person(request.user)
    return render(
        request,
        "servicedesk/portal_list.html",
        {"person": person, "requests": list(queries.requests_of_person(person.pk)[:200])},
    )


@login_required
@require_http_methods(["GET", "POST"])
def portal_new(request):
    """Submit a request from a phone, with photos. All or nothing: a refused photo keeps the
    request from being recorded, so the owner fixes it and sends again."""
    person = portal_person(request.user)
    units = [residency.unit for residency in people_queries.units_of_person(person)]
    if not units:
        raise Http404
    form = PortalRequestForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = actions.submit_portal_request(
                    actor=request.user,
                    person=person,
                    unit_id=int(data["unit"]) if data["unit"].isdigit() else None,
                    kind=data["kind"],
                    priority=data["priority"],
                    title=title_from(data["description"]),
                    description=data["description"],
                    photos=request.FILES.getlist("photos"),
                )
            except DomainError as error:
                add_domain_error(form, error)
                if error.field == "photos":
                    form.photo_error = error.message  # type: ignore[attr-defined]
            else:
                messages.success(request, _("Your request is sent. Your butler will contact you."))
                return redirect("servicedesk:portal_request", request_id=created.pk)
    return render(request, "servicedesk/portal_new.html", {"person": person, "form": form}, status=status)


def render_portal_request(
    request,
    service_request: ServiceRequest,
    *,
    confirm_form: forms.Form | None = None,
    photo_form: forms.Form | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "service_request": service_request,
        "timeline": queries.timeline(service_request, include_escalations=False),
        "photos": queries.photos_of(service_request),
        "confirm_form": (confirm_form or ConfirmForm(initial={"version": service_request.version}))
        if queries.owner_may_answer(service_request)
        else None,
        "photo_form": (photo_form or PhotoForm()) if access.can_add_photo(request.user, service_request) else None,
        "error": error,
    }
    return render(request, "servicedesk/portal_request.html", context, status=status)


@login_required
@require_GET
def portal_request(request, request_id: int):
    return render_portal_request(request, access.access_portal_request(request.user, request_id))


@login_required
@require_POST
def portal_confirm(request, request_id: int):
    """The owner confirms the resolution with a rating, or rejects it in their own words."""
    service_request = access.access_portal_request(request.user, request_id)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            visit = actions.confirm_resolution(
                actor=request.user,
                service_request=service_request,
                satisfaction=data["satisfaction"],
                solved=data["solved"] == "yes",
                owner_words=data["owner_words"],
                expected_version=data["version"],
            )
        except DomainError as error:
            add_domain_error(form, error)
            service_request = access.access_portal_request(request.user, request_id)
            return render_portal_request(
                request, service_request, confirm_form=form, error=error.message, status=refused_status(error)
            )
        if visit.satisfied:
            messages.success(request, _("Thank you: the request is closed."))
        else:
            messages.success(request, _("We are sorry: the request is reopened and we will come back to it."))
        return redirect("servicedesk:portal_request", request_id=service_request.pk)
    return render_portal_request(request, service_request, confirm_form=form, status=400)


@login_required
@require_POST
def portal_add_photo(request, request_id: int):
    service_request = access.access_portal_request(request.user, request_id)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.add_request_photo(
                actor=request.user, service_request=service_request, upload=form.cleaned_data["photo"]
            )
        except DomainError as error:
            add_domain_error(form, error)
            return render_portal_request(request, service_request, photo_form=form, error=error.message, status=400)
        messages.success(request, _("The photo is added."))
        return redirect("servicedesk:portal_request", request_id=service_request.pk)
    return render_portal_request(request, service_request, photo_form=form, status=400)
