from __future__ import annotations

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
