"""How a service-level step reads on the pages: ✓ only when met in time, a late step with how
late it was ("超时 7 天"), an open one with the time left."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

from guanjia.core.display import duration
from guanjia.servicedesk import deadlines as dl

register = template.Library()

# The Tabler badge colour of each state.
STATE_BADGES = {
    dl.MET: "bg-green-lt",
    dl.LATE: "bg-red-lt",
    dl.OVERDUE: "bg-red text-red-fg",
    dl.OPEN: "bg-blue-lt",
    dl.PAUSED: "bg-purple-lt",
    dl.NO_LIMIT: "bg-secondary-lt",
}


def verdict(step: dl.StepTiming, now: dt.datetime | None = None) -> str:
    if step.state == dl.MET:
        return "✓ " + _("in time")
    if step.state == dl.LATE:
        return _("late by %(duration)s") % {"duration": duration(step.late_by)}
    if step.state == dl.OVERDUE:
        return _("overdue by %(duration)s") % {"duration": duration(step.late_by)}
    if step.state == dl.PAUSED:
        return _("clock paused")
    if step.state == dl.OPEN and step.due is not None and now is not None:
        return _("%(duration)s left") % {"duration": duration(step.due - now)}
    if step.state == dl.NO_LIMIT and step.done is not None:
        return _("done")
    return ""


@register.simple_tag
def step_verdict(step: dl.StepTiming, now: dt.datetime | None = None) -> str:
    return verdict(step, now)


@register.filter
def step_badge(step: dl.StepTiming) -> str:
    return STATE_BADGES.get(step.state, "bg-secondary-lt")


@register.filter
def step_label(name: str) -> str:
    """A step's or an escalation deadline's name in words (办结, not resolve:1)."""
    return dl.step_label(str(name))


@register.filter
def late_text(late_by: dt.timedelta | None) -> str:
    """How late a request is, for the board: "超时 7 天", or nothing when it is not late."""
    if late_by is None:
        return ""
    return _("late by %(duration)s") % {"duration": duration(late_by)}
