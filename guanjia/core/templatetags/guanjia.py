"""{% load guanjia %}: the value formats of guanjia/core/display.py as template filters, and
the small tags the base layout needs."""

from __future__ import annotations

from django import template

from guanjia.core import display

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
