"""Issue 11, item 13: an edit form saved unchanged changes nothing.

The unit form rendered its delivery date as 2018/10/16 (the zh-hans input format) into an
<input type="date">; a browser shows such a value blank and sends it back empty, so saving only
a note erased the date. Here each edit page is read as a browser reads it: the form's inputs
with the values a browser would keep (an <input type="date"> keeps only yyyy-mm-dd, a number
input only plain digits...), posted back as they are. Nothing may change: not the object, not
its audit trail. A second test renders every date, time and decimal field of every form in the
project and checks that the value is in its input's wire format.
"""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone, translation

from guanjia.core.models import Change

# What a browser keeps of an input's value attribute (the HTML value sanitization algorithm).
WIRE_PATTERNS = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$"),
    "time": re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "number": re.compile(r"^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?$"),
}


def kept_by_a_browser(input_type: str, value: str) -> str:
    pattern = WIRE_PATTERNS.get(input_type)
    return value if pattern is None or pattern.match(value) else ""


class FormReader(HTMLParser):
    """The fields of each <form method="post"> of a page, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.current: list[tuple[str, str]] | None = None
        self.select: tuple[str, list[tuple[str, bool]]] | None = None
        self.option_value: str | None = None
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attributes}
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self.current = []
            self.forms.append(self.current)
        if self.current is None or "name" not in attrs and tag in ("input", "select", "textarea"):
            if tag == "option" and self.select is not None:
                self.option_value = attrs.get("value", "")
                self.select[1].append((attrs.get("value", ""), "selected" in attrs))
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.current.append((attrs["name"], attrs.get("value", "on")))
                return
            self.current.append((attrs["name"], kept_by_a_browser(kind, attrs.get("value", ""))))
        elif tag == "select":
            self.select = (attrs["name"], [])
        elif tag == "option" and self.select is not None:
            self.select[1].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea":
            self.textarea = (attrs["name"], [])

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select is not None and self.current is not None:
            name, options = self.select
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            self.current.extend((name, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.current is not None:
            name, parts = self.textarea
            self.current.append((name, "".join(parts).removeprefix("\n")))
            self.textarea = None


def posted_form(html: str, marker: str) -> dict[str, list[str]]:
    """The fields of the page's post form that has an input named `marker`."""
    reader = FormReader()
    reader.feed(html)
    for fields in reader.forms:
        if any(name == marker for name, _ in fields):
            data: dict[str, list[str]] = {}
            for name, value in fields:
                data.setdefault(name, []).append(value)
            return data
    raise AssertionError(f"no post form with a field {marker!r}")


@dataclass
class EditPage:
    role: str
    url: Callable[[Any], str]
    target: Callable[[Any], Any]  # the object, every field of its form filled
    marker: str


def filled_unit(cast: Any) -> Any:
    unit = cast.unit_a
    unit.delivery_date = datetime.date(2018, 10, 16)
    unit.area = Decimal("1312.55")
    unit.floor = 12
    unit.note = "东边套"
    unit.save()
    return unit


def filled_person(cast: Any) -> Any:
    person = cast.owner_person
    person.email = "zhangsan@example.com"
    person.emergency_contact_name = "张四"
    person.emergency_contact_phone = "13900001111"
    person.special_needs = "行动不便"
    person.preferences = "上午联系"
    person.note = "业委会成员"
    person.save()
    return person


def filled_authorization(cast: Any) -> Any:
    from guanjia.frontdesk.models import Key, KeyAuthorization

    key = Key.objects.create(estate=cast.estate, unit=cast.unit_a, kind=Key.Kind.UNIT, tag="K-1201", slot="A-01")
    return KeyAuthorization.objects.create(
        key=key,
        granted_by=cast.owner_person,
        borrower_name="保洁李",
        borrower_phone="13700001111",
        purpose="保洁",
        valid_until=datetime.date(2030, 12, 31),
    )


def filled_service_level(cast: Any) -> Any:
    from guanjia.servicedesk.actions import set_service_level

    return set_service_level(
        actor=cast.manager,
        estate=cast.estate,
        kind="repair_in_unit",
        priority="normal",
        respond_minutes=20,
        arrive_minutes=45,
        resolve_minutes=480,
        return_visit_minutes=4320,
    )


EDIT_PAGES = {
    "unit": EditPage("manager", lambda unit: reverse("estates:unit_edit", args=[unit.pk]), filled_unit, "area"),
    "person": EditPage(
        "manager", lambda person: reverse("people:person_edit", args=[person.pk]), filled_person, "name"
    ),
    "key authorization": EditPage(
        "owner",
        lambda authorization: reverse("frontdesk:my_authorization_edit", args=[authorization.pk]),
        filled_authorization,
        "valid_until",
    ),
    "service level": EditPage(
        "manager",
        lambda level: reverse("servicedesk:service_levels", args=[level.estate_id]),
        filled_service_level,
        "repair_in_unit-normal-resolve_minutes",  # the one form of the whole table, in hours
    ),
}


def snapshot(target: Any) -> dict:
    target.refresh_from_db()
    return model_to_dict(target) | {"pk": target.pk}


@pytest.mark.parametrize("page", EDIT_PAGES.values(), ids=EDIT_PAGES.keys())
def test_an_edit_form_saved_unchanged_changes_nothing(client_as, cast, page):
    target = page.target(cast)
    before, changes_before = snapshot(target), Change.objects.count()
    client = client_as(page.role)
    shown = client.get(page.url(target))
    assert shown.status_code == 200
    data = posted_form(shown.content.decode(), page.marker)
    response = client.post(page.url(target), data)
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    assert snapshot(target) == before
    assert Change.objects.count() == changes_before


def test_saving_only_a_note_keeps_the_units_delivery_date(client_as, cast):
    """The report's own steps: a unit with a delivery date, its edit page, a new note."""
    unit = filled_unit(cast)
    client = client_as("manager")
    url = reverse("estates:unit_edit", args=[unit.pk])
    data = posted_form(client.get(url).content.decode(), "area")
    data["note"] = ["换了门锁"]
    assert client.post(url, data).status_code == 302
    unit.refresh_from_db()
    assert (unit.note, unit.delivery_date, unit.area) == ("换了门锁", datetime.date(2018, 10, 16), Decimal("1312.55"))
    last = Change.objects.filter(object_id=unit.pk, verb="update").latest("pk")
    assert set(last.changes) == {"note"}


# -- every date, time and decimal field of every form ------------------------------------------

SAMPLES: dict[type, Any] = {
    forms.DateTimeField: datetime.datetime(2018, 10, 16, 9, 5),
    forms.DateField: datetime.date(2018, 10, 16),
    forms.TimeField: datetime.time(9, 5),
    forms.DecimalField: Decimal("1312.55"),
}


def every_form_field() -> list[tuple[str, str, forms.Field]]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("guanjia."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for form_name, form in vars(module).items():
            if not (isinstance(form, type) and issubclass(form, forms.BaseForm)) or form.__module__ != module.__name__:
                continue
            for field_name, field in form.base_fields.items():
                if isinstance(field, tuple(SAMPLES)) and not isinstance(field.widget, forms.HiddenInput):
                    found.append((f"{config.label}.{form_name}", field_name, field))
    return found


FIELDS = every_form_field()


@pytest.mark.parametrize(("form", "name", "field"), FIELDS, ids=[f"{form}.{name}" for form, name, _ in FIELDS])
def test_every_date_time_and_decimal_input_renders_in_its_wire_format(form, name, field):
    sample = next(value for kind, value in SAMPLES.items() if isinstance(field, kind))
    if isinstance(field, forms.DecimalField) and field.max_value is not None and sample > field.max_value:
        sample = Decimal("0.55")  # a rate: the column holds no more than 9.9999
    if isinstance(sample, datetime.datetime):
        sample = timezone.make_aware(sample)
    with translation.override("zh-hans"):
        html = field.widget.render(name, field.prepare_value(sample))
    kind = re.search(r'type="([^"]+)"', html)
    value = re.search(r'value="([^"]*)"', html)
    assert kind and value, html
    assert kind.group(1) in WIRE_PATTERNS, f"{form}.{name} renders as {kind.group(1)}: {html}"
    assert kept_by_a_browser(kind.group(1), value.group(1)) == value.group(1) != "", html
    assert field.clean(value.group(1)) == sample
