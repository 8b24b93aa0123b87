from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.core.audit import history_of
from guanjia.core.forms import attempt
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate, access_unit, can_edit_unit
from guanjia.people import actions, queries
from guanjia.people.access import (
    access_attachment,
    access_estate_for_new_person,
    access_person,
    access_personal_data,
    can_edit_person,
    can_unmask,
)
from guanjia.people.forms import AttachmentForm, LinkForm, PersonForm, VehicleForm
from guanjia.people.models import Person, Residency

PERSON_FORM_FIELDS = (
    "name",
    "phone",
    "email",
    "id_type",
    "emergency_contact_name",
    "emergency_contact_phone",
    "special_needs",
    "preferences",
    "note",
)


@login_required
@require_GET
def frontdesk(request, estate_id: int):
    """The front desk's one box: name, pinyin initials, phone tail or unit code."""
    estate = access_estate(request.user, estate_id, Capability.FRONT_DESK_SEARCH)
    query = request.GET.get("q", "")[:50]
    template = "people/frontdesk.html#results" if request.htmx else "people/frontdesk.html"
    try:
        result = actions.search_people(actor=request.user, estate_id=estate.pk, query=query) if query.strip() else None
    except actions.TooManySearches as refusal:
        context = {"estate": estate, "query": query, "result": None, "refusal": refusal.message}
        return render(request, template, context, status=429)
    return render(request, template, {"estate": estate, "query": query, "result": result})


@login_required
@require_GET
def person(request, person_id: int):
    person = access_person(request.user, person_id)
    scope = scope_of(request.user)
    return render(
        request,
        "people/person.html",
        {
            "estate": person.estate,
            "person": person,
            "residencies": queries.units_of_person(person),
            "vehicles": queries.vehicles_of(person),
            "attachments": queries.attachments_of(person),
            # The documents (ID copies, contracts) open under the rule of the clear ID number.
            "can_open_attachments": can_unmask(request.user, person),
            "can_edit": can_edit_person(request.user, person),
            # One's own entry is shown whole already: nothing to reveal there.
            "can_reveal": scope.person_id != person.pk and can_unmask(request.user, person),
            "can_history": scope.can(person.estate_id, Capability.VIEW_HISTORY),
            "attachment_form": AttachmentForm(),
            "vehicle_form": VehicleForm(),
            "link_form": LinkForm(),
        },
    )


@login_required
@require_POST
def reveal(request, person_id: int):
    person = access_personal_data(request.user, person_id)
    values = actions.reveal_personal_data(actor=request.user, person=person, purpose=request.POST.get("purpose", ""))
    return render(request, "people/person.html#revealed", {"person": person, "revealed": values})


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request, estate_id: int):
    estate = access_estate_for_new_person(request.user, estate_id)
    form = PersonForm(request.POST or None)
    if request.method == "POST":
        created = attempt(form, lambda data: actions.create_person(actor=request.user, estate=estate, **data))
        if created is not None:
            return redirect("people:person", person_id=created.pk)
    return render(request, "people/person_edit.html", {"estate": estate, "form": form, "person": None})


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, person_id: int):
    person = access_person(request.user, person_id, write=True)
    initial = {name: getattr(person, name) for name in PERSON_FORM_FIELDS}
    # Phones are shown masked here as everywhere (the clear ones only through the logged
    # reveal); a masked value sent back unchanged keeps the number on file.
    initial["phone"] = person.phone_masked
    initial["emergency_contact_phone"] = person.emergency_contact_phone_masked
    form = PersonForm(request.POST or None, initial=initial)

    def update(data: dict) -> Person:
        values = dict(data)
        if not values.get("id_number"):
            values.pop("id_number", None)  # empty means keep the number on file
        for name in ("phone", "emergency_contact_phone"):
            if values.get(name) and values[name] == initial[name]:
                values.pop(name)
        return actions.update_person(actor=request.user, person=person, **values)

    if request.method == "POST" and attempt(form, update) is not None:
        return redirect("people:person", person_id=person.pk)
    return render(request, "people/person_edit.html", {"estate": person.estate, "form": form, "person": person})


def submit_for_person(request, person: Person, form: forms.Form, write: Callable[[dict], object]):
    """The small forms on the person page: run `write` with the cleaned data, then back to the
    person; on a refusal, the form again with each problem under its field."""
    if attempt(form, write) is not None:
        return redirect("people:person", person_id=person.pk)
    context = {"estate": person.estate, "form": form, "person": person}
    return render(request, "people/form_errors.html", context, status=400)


@login_required
@require_POST
def link_unit(request, person_id: int):
    person = access_person(request.user, person_id, write=True)

    def link(data: dict) -> Residency:
        unit = queries.unit_with_code(person.estate_id, data["unit_code"])
        unit = access_unit(request.user, unit.pk, write=True)
        return actions.link_person_to_unit(actor=request.user, person=person, unit=unit, relation=data["relation"])

    return submit_for_person(request, person, LinkForm(request.POST), link)


@login_required
@require_POST
def add_vehicle(request, person_id: int):
    person = access_person(request.user, person_id, write=True)
    return submit_for_person(
        request,
        person,
        VehicleForm(request.POST),
        lambda data: actions.add_vehicle(actor=request.user, person=person, **data),
    )


@login_required
@require_POST
def upload_attachment(request, person_id: int):
    person = access_person(request.user, person_id, write=True)
    return submit_for_person(
        request,
        person,
        AttachmentForm(request.POST, request.FILES),
        lambda data: actions.add_attachment(
            actor=request.user, person=person, title=data["title"], upload=data["file"]
        ),
    )


@login_required
@require_GET
def download_attachment(request, attachment_id: int):
    attachment = access_attachment(request.user, attachment_id)
    actions.log_attachment_read(actor=request.user, attachment=attachment)
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.download_name,
    )


@login_required
@require_GET
def person_history(request, person_id: int):
    person = access_person(request.user, person_id)
    if not scope_of(request.user).can(person.estate_id, Capability.VIEW_HISTORY):
        raise Http404
    return render(
        request, "core/history.html", {"estate": person.estate, "target": person, "changes": history_of(person)[:500]}
    )


@login_required
@require_GET
def unit_page(request, unit_id: int):
    unit = access_unit(request.user, unit_id)
    scope = scope_of(request.user)
    return render(
        request,
        "people/unit.html",
        {
            "estate": unit.estate,
            "unit": unit,
            "residencies": queries.residents_of(unit),
            "can_edit": can_edit_unit(request.user, unit),
            "can_history": scope.can(unit.estate_id, Capability.VIEW_HISTORY),
        },
    )
