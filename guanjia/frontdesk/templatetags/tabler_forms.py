"""{% load tabler_forms %}: a form field drawn with the kit's classes (form-control,
form-select, form-check-input) and marked invalid when it has errors, without touching the
form classes (the same forms serve the API's checks and the old pages)."""

from __future__ import annotations

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


def kit_class(widget: forms.Widget) -> str:
    if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.filter
def tabler(field: forms.BoundField) -> SafeString:
    widget = field.field.widget
    existing = widget.attrs.get("class", "")
    classes = f"{existing} {kit_class(widget)}".strip()
    if field.errors:
        classes += " is-invalid"
    return field.as_widget(attrs={"class": classes})


@register.filter
def is_choice_list(field: forms.BoundField) -> bool:
    """Ticks or radios: drawn as a list of checks, not as one control."""
    return isinstance(field.field.widget, (forms.CheckboxSelectMultiple, forms.RadioSelect))
