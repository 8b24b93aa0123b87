from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms

from guanjia.core.errors import DomainError


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
