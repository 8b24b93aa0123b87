from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.db import models

from guanjia.core.errors import DomainError
from guanjia.core.schemas import column_bounds

# The wire formats of the HTML inputs: a browser shows and sends only these, whatever the
# language; a value rendered in another format (2018/10/16, the zh-hans DATE_INPUT_FORMATS) is
# shown blank and sent back empty, which erased dates on every save.
DATE_WIRE_FORMAT = "%Y-%m-%d"
DATETIME_WIRE_FORMAT = "%Y-%m-%dT%H:%M"
TIME_WIRE_FORMAT = "%H:%M"
DATETIME_INPUT_FORMATS = [DATETIME_WIRE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateInput(forms.DateInput):
    """<input type="date">, its value always yyyy-mm-dd."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format=DATE_WIRE_FORMAT)


class DateTimeInput(forms.DateTimeInput):
    """<input type="datetime-local">, its value always yyyy-mm-ddThh:mm (local time)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format=DATETIME_WIRE_FORMAT)


class TimeInput(forms.TimeInput):
    """<input type="time">, its value always hh:mm."""

    input_type = "time"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format=TIME_WIRE_FORMAT)


class DecimalInput(forms.NumberInput):
    """<input type="number"> for a decimal: the value as plain digits (never localised with a
    thousands separator, which the input would show blank), the step from the column's places."""

    def format_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return str(value)


def column_field(model: type[models.Model], name: str, **options: Any) -> forms.Field:
    """The form field for `model.name`, bounded by its column as the API's `core.schemas.column`
    is: text by max_length, a decimal by its digits and places (NaN and infinity refused), an
    integer by its type's range and the field's validators; dates, times and decimals render in
    their input's wire format. `options` go to the form field (label, required, help_text...)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    bounds = column_bounds(field)
    defaults: dict[str, Any] = {}
    if "min_value" in bounds:
        defaults["min_value"], defaults["max_value"] = bounds["min_value"], bounds["max_value"]
    if isinstance(field, models.DecimalField):
        step = "1" if field.decimal_places == 0 else f"0.{'0' * (field.decimal_places - 1)}1"
        defaults["widget"] = DecimalInput(attrs={"step": step})
        defaults["localize"] = False
    elif isinstance(field, models.DateTimeField):
        defaults["widget"], defaults["input_formats"] = DateTimeInput(), DATETIME_INPUT_FORMATS
    elif isinstance(field, models.DateField):
        defaults["widget"] = DateInput()
    elif isinstance(field, models.TimeField):
        defaults["widget"] = TimeInput()
    form_field = field.formfield(**{**defaults, **options})
    assert form_field is not None, f"{model.__name__}.{name} has no form field"
    return form_field


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show an action's refusal on the form, each problem under the field it names."""
    if not error.problems:
        form.add_error(None, error.message)
        return
    for problem in error.problems:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, problem.message)


def attempt(form: forms.Form, write: Callable[[dict], Any]) -> Any:
    """Run `write` with the cleaned data; None when the form or the action refused (the
    refusal is then on the form, under the field it names)."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except DomainError as error:
        add_domain_error(form, error)
        return None


def set_choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, str]]) -> None:
    """Give a choice field its choices for this form (the estate's staff, the owner's units)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    field.choices = list(choices)
