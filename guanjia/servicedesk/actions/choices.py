"""The one check every service-desk form shares: a value from a list of choices."""

from __future__ import annotations

from django.db.models import Choices

from guanjia.core.errors import Problems


def resolve_choice(value: object, choices: type[Choices], field: str, message: str, problems: Problems) -> str:
    """The value when it is one of the choices; otherwise "" and the problem noted."""
    if value not in choices.values:
        problems.add(field, message)
        return ""
    return str(value)
