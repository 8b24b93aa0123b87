from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """One thing wrong with one input: which field, and what to do about it."""

    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict:
        data: dict = {"field": self.field, "message": str(self.message)}
        if self.row is not None:
            data["row"] = self.row
        return data


class DomainError(Exception):
    """A refusal that a person can act on. Raised by actions before anything is written
    (or inside the atomic block, which then rolls back)."""

    def __init__(self, message: str, *, field: str = "", problems: list[FieldProblem] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.problems: list[FieldProblem] = problems or ([FieldProblem(field, message)] if field else [])

    def as_dict(self) -> dict:
        return {"detail": self.message, "field": self.field, "problems": [p.as_dict() for p in self.problems]}


@dataclass
class Problems:
    """Collects field problems so that a form or a file reports all of them at once."""

    items: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, message: str, row: int | None = None) -> None:
        self.items.append(FieldProblem(field_name, str(message), row))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, summary: str) -> None:
        if self.items:
            first = self.items[0]
            raise DomainError(summary, field=first.field, problems=list(self.items))


# Where the API's parser found a value: the first item of an error's location. A body's next
# item is the handler's parameter ("payload"), not a field people know.
INPUT_SOURCES = frozenset({"body", "query", "path", "form", "header", "cookie", "file"})


def input_field(location: tuple | list) -> str:
    """The field an input error is about, as the request named it: `area`, `tiers.0.price`."""
    parts = list(location)
    if parts and parts[0] in INPUT_SOURCES:
        source = parts.pop(0)
        if source in ("body", "form") and len(parts) > 1:
            parts.pop(0)
    return ".".join(str(part) for part in parts)


def input_message(error_type: str, context: dict) -> str:
    """What to do about one value the API's parser refused, in the request's language."""
    from django.utils.translation import gettext as _

    limit = context.get("le", context.get("lt", context.get("ge", context.get("gt"))))
    if error_type == "missing":
        return _("This field is required.")
    if error_type == "string_too_long":
        return _("At most %(count)d characters.") % {"count": context["max_length"]}
    if error_type == "string_too_short":
        return _("At least %(count)d characters.") % {"count": context["min_length"]}
    if error_type in ("decimal_max_digits", "decimal_whole_digits"):
        return _("The number is too large for this field.")
    if error_type == "decimal_max_places":
        return _("Use at most %(places)d decimal places.") % {"places": context["decimal_places"]}
    if error_type in ("less_than_equal", "less_than"):
        return _("The number must not be more than %(limit)s.") % {"limit": limit}
    if error_type in ("greater_than_equal", "greater_than"):
        return _("The number must not be less than %(limit)s.") % {"limit": limit}
    if error_type in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return _("Enter a whole number.")
    if error_type in ("decimal_parsing", "decimal_type", "float_parsing", "float_type", "finite_number"):
        return _("Enter a number, e.g. 89.50.")
    if error_type.startswith("datetime_") or error_type == "timezone_aware":
        return _("Enter a date and time such as 2026-02-28T09:30.")
    if error_type.startswith("date_"):
        return _("Enter a real date such as 2026-02-28.")
    if error_type in ("string_type", "string_unicode"):
        return _("Enter text.")
    if error_type.startswith("bool_"):
        return _("Enter true or false.")
    if error_type in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        return _("This value has the wrong shape.")
    if error_type == "json_invalid":
        return _("The request body is not valid JSON.")
    return _("This value is not valid.")


def input_error(errors: list[dict]) -> DomainError:
    """The API parser's refusals as the one error shape every bad input gets (400): each
    problem names its field, the first one is the message. A column's label (core.schemas)
    leads the message, so that it reads on its own."""
    from django.utils.translation import gettext as _

    problems = Problems()
    for error in errors:
        context = error.get("ctx") or {}
        message = input_message(str(error.get("type", "")), context)
        if context.get("label"):
            message = _("%(label)s: %(message)s") % {"label": context["label"], "message": message}
        problems.add(input_field(error.get("loc", ())), message)
    if not problems:
        problems.add("", input_message("", {}))
    first = problems.items[0]
    return DomainError(first.message, field=first.field, problems=list(problems.items))
