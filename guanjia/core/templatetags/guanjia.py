"""{% load guanjia %}: the value formats of guanjia/core/display.py as template filters, and
the small tags the base layout needs."""

from __future__ import annotations

import re

from django import forms, template

from guanjia.core import audit, display

register = template.Library()


@register.filter
def money(value: object) -> str:
    return display.money(value)


@register.filter
def price(value: object, unit: str = "") -> str:
    return display.price(value, unit)


@register.filter
def rate(value: object, places: int = 1) -> str:
    return display.rate(value, places)


@register.filter
def duration(value: object) -> str:
    return display.duration(value)  # type: ignore[arg-type]


@register.filter
def when(value: object) -> str:
    return display.when(value)  # type: ignore[arg-type]


@register.filter
def when_seconds(value: object) -> str:
    return display.when(value, seconds=True)  # type: ignore[arg-type]


_TAGS = re.compile(r"<[^>]+>")


class IfTextNode(template.Node):
    child_nodelists = ("nodelist",)  # so that {% block %}s inside are found by {% extends %}

    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        rendered = self.nodelist.render(context)
        return rendered if _TAGS.sub("", rendered).strip() else ""


@register.tag
def iftext(parser: template.base.Parser, token: template.base.Token) -> IfTextNode:
    """{% iftext %}<h1>{% block heading %}{% endblock %}</h1>{% endiftext %}: the wrapper only
    when something inside has visible text (a page that fills no heading gets no empty <h1>)."""
    nodelist = parser.parse(("endiftext",))
    parser.delete_first_token()
    return IfTextNode(nodelist)


@register.filter
def readable_history(changes: object, target: object) -> list:
    """{% for change in changes|readable_history:target %}: Chinese verbs, labels and values."""
    return audit.readable(changes, type(target))  # type: ignore[arg-type]


def kit_class(widget: forms.Widget) -> str:
    """The kit's class for a widget (Tabler is Bootstrap underneath)."""
    if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.filter
def styled(field: forms.BoundField) -> str:
    """A form field's widget with the kit's classes (and is-invalid when it has errors),
    keeping classes the form set itself."""
    widget = field.field.widget
    classes = [widget.attrs.get("class", ""), kit_class(widget)]
    if field.errors:
        classes.append("is-invalid")
    return field.as_widget(attrs={"class": " ".join(each for each in classes if each)})


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_list(field: forms.BoundField) -> bool:
    """Ticks or radios: drawn as a list of checks, not as one control."""
    return isinstance(field.field.widget, (forms.CheckboxSelectMultiple, forms.RadioSelect))
