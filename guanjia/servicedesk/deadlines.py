"""Service-level deadlines, paused clocks, working hours and the escalation ladder's timing.

Pure functions: no database, no clock. Every time is an aware datetime passed in.

The default allowances follow China's property service standards (普通住宅小区物业管理服务
等级标准 and common contracts): repairs are accepted 24 hours a day; an emergency repair is on
site within 30 minutes; an ordinary repair is resolved within 1 day (or at the time agreed
with the owner: the estate edits its service level); a complaint is answered within 24 hours
and resolved within 2 days; every complaint and every repair is return-visited within 3 days
of its resolution. Waiting on the owner pauses the clock: the deadlines move by the time paused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = 1
HOUR = 60
DAY = 24 * HOUR

# The names of the deadlines a request carries, in the order they fall due.
RESPOND, ARRIVE, RESOLVE, RETURN_VISIT = "respond", "arrive", "resolve", "return_visit"
CLOCK_DEADLINES = (RESPOND, ARRIVE, RESOLVE)  # the ones that waiting on the owner pauses


@dataclass(frozen=True)
class Allowance:
    """Minutes allowed from intake (respond, arrive, resolve) and from resolution (return
    visit); None means no such deadline for this kind of request."""

    respond: int | None = None
    arrive: int | None = None
    resolve: int | None = None
    return_visit: int | None = None

    def minutes(self, name: str) -> int | None:
        value: int | None = getattr(self, name)
        return value


REPAIRS = ("repair_in_unit", "repair_common")
OTHER_KINDS = ("inquiry", "suggestion", "praise", "agency", "housekeeping", "paid_service", "special_need", "move_in")


def build_defaults() -> dict[tuple[str, str], Allowance]:
    table: dict[tuple[str, str], Allowance] = {}
    for kind in REPAIRS:
        # Emergency repair (急修): on site within 30 minutes.
        table[(kind, "emergency")] = Allowance(respond=15, arrive=30, resolve=DAY, return_visit=3 * DAY)
        table[(kind, "urgent")] = Allowance(respond=30, arrive=2 * HOUR, resolve=DAY, return_visit=3 * DAY)
        # Ordinary repair: arrival at the time agreed with the owner, resolved within 1 day.
        table[(kind, "normal")] = Allowance(respond=30, arrive=None, resolve=DAY, return_visit=3 * DAY)
    table[("complaint", "emergency")] = Allowance(respond=30, resolve=DAY, return_visit=3 * DAY)
    table[("complaint", "urgent")] = Allowance(respond=2 * HOUR, resolve=2 * DAY, return_visit=3 * DAY)
    # Complaint: answered within 24 hours, resolved within 2 days.
    table[("complaint", "normal")] = Allowance(respond=DAY, resolve=2 * DAY, return_visit=3 * DAY)
    for kind in OTHER_KINDS:
        table[(kind, "emergency")] = Allowance(respond=30, resolve=DAY)
        table[(kind, "urgent")] = Allowance(respond=2 * HOUR, resolve=DAY)
        table[(kind, "normal")] = Allowance(respond=DAY, resolve=3 * DAY)
    # An inquiry is answered on the spot or the same day.
    table[("inquiry", "normal")] = Allowance(respond=DAY, resolve=DAY)
    return table


DEFAULT_ALLOWANCES = build_defaults()


def default_allowance(kind: str, priority: str) -> Allowance:
    return DEFAULT_ALLOWANCES.get((kind, priority), Allowance(respond=DAY, resolve=3 * DAY))


def after(start: dt.datetime, minutes: int | None) -> dt.datetime | None:
    return None if minutes is None else start + dt.timedelta(minutes=minutes)


@dataclass(frozen=True)
class Deadlines:
    respond_by: dt.datetime | None
    arrive_by: dt.datetime | None
    resolve_by: dt.datetime | None


def intake_deadlines(received_at: dt.datetime, allowance: Allowance) -> Deadlines:
    return Deadlines(
        respond_by=after(received_at, allowance.respond),
        arrive_by=after(received_at, allowance.arrive),
        resolve_by=after(received_at, allowance.resolve),
    )


def return_visit_deadline(resolved_at: dt.datetime, allowance: Allowance) -> dt.datetime | None:
    return after(resolved_at, allowance.return_visit)


def shifted(deadline: dt.datetime | None, by: dt.timedelta) -> dt.datetime | None:
    """A deadline moved later by a pause."""
    return None if deadline is None else deadline + by


def paused_duration(paused_seconds: int, paused_since: dt.datetime | None, now: dt.datetime) -> dt.timedelta:
    """All the time spent waiting on the owner so far, including a pause still running."""
    total = dt.timedelta(seconds=paused_seconds)
    if paused_since is not None and now > paused_since:
        total += now - paused_since
    return total


def effective_elapsed(
    received_at: dt.datetime, now: dt.datetime, paused_seconds: int = 0, paused_since: dt.datetime | None = None
) -> dt.timedelta:
    """Time on the clock since intake: wall time minus every pause."""
    elapsed = now - received_at - paused_duration(paused_seconds, paused_since, now)
    return max(elapsed, dt.timedelta(0))


def is_overdue(deadline: dt.datetime | None, done_at: dt.datetime | None, now: dt.datetime) -> bool:
    return deadline is not None and done_at is None and now > deadline


# Default office hours of the service center: 8:30–17:30 on weekdays, Asia/Shanghai.
# (Official holidays and make-up workdays come with the roster, capability 7.)
OFFICE_START = dt.time(8, 30)
OFFICE_END = dt.time(17, 30)


def is_working_time(moment: dt.datetime, start: dt.time = OFFICE_START, end: dt.time = OFFICE_END) -> bool:
    local = moment.astimezone(SHANGHAI)
    return local.weekday() < 5 and start <= local.time() < end


def duty_date(moment: dt.datetime, handover: dt.time = OFFICE_START) -> dt.date:
    """The day whose 24-hour duty manager is on duty at `moment`: a duty day runs from one
    morning handover (8:30) to the next, so 02:00 on Tuesday belongs to Monday's duty."""
    local = moment.astimezone(SHANGHAI)
    if local.time() < handover:
        return local.date() - dt.timedelta(days=1)
    return local.date()


# The ladder: the assignee when the deadline passes, the head butler after a further half
# of the original allowance, the manager after a further whole allowance — never sooner
# than these floors, so a 30-minute limit does not page the manager a minute later.
SECOND_RUNG_FLOOR = dt.timedelta(minutes=15)
THIRD_RUNG_FLOOR = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class RungTimes:
    assignee: dt.datetime
    head_butler: dt.datetime
    manager: dt.datetime


def rung_times(deadline: dt.datetime, allowance: dt.timedelta) -> RungTimes:
    return RungTimes(
        assignee=deadline,
        head_butler=deadline + max(allowance / 2, SECOND_RUNG_FLOOR),
        manager=deadline + max(allowance, THIRD_RUNG_FLOOR),
    )


def local_month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the month and of the next, in Asia/Shanghai."""
    start = dt.datetime(year, month, 1, tzinfo=SHANGHAI)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


# --- how each step stands: met in time, late, overdue, open --------------------------------------

MET, LATE, OVERDUE, OPEN, PAUSED, NO_LIMIT = "met", "late", "overdue", "open", "paused", "no_limit"


@dataclass(frozen=True)
class StepTiming:
    """One service-level step of a request (respond, arrive, resolve, return visit) as it
    truly stands: met only when done by its deadline; done late keeps how late it was; not done
    past the deadline is overdue by the time since."""

    name: str
    due: dt.datetime | None
    done: dt.datetime | None
    state: str
    late_by: dt.timedelta | None = None

    @property
    def is_late(self) -> bool:
        return self.state in (LATE, OVERDUE)


def step_timing(
    name: str, due: dt.datetime | None, done: dt.datetime | None, now: dt.datetime, *, paused: bool = False
) -> StepTiming:
    if due is None:
        return StepTiming(name, None, done, NO_LIMIT)
    if done is not None:
        if done <= due:
            return StepTiming(name, due, done, MET)
        return StepTiming(name, due, done, LATE, done - due)
    if paused:
        return StepTiming(name, due, None, PAUSED)  # the clock stands still; the deadline moves on resume
    if now > due:
        return StepTiming(name, due, None, OVERDUE, now - due)
    return StepTiming(name, due, None, OPEN)


def lateness(steps: list[StepTiming]) -> dt.timedelta | None:
    """How late the request is: its latest step's delay (overdue now, or done late)."""
    delays = [step.late_by for step in steps if step.late_by is not None]
    return max(delays) if delays else None


# The steps as people name them (办结时限 is "resolve by"): on the request page, the board and
# the escalation lines.
STEP_LABELS = {
    RESPOND: gettext_lazy("Response"),
    ARRIVE: gettext_lazy("Arrival"),
    RESOLVE: gettext_lazy("Resolution"),
    RETURN_VISIT: gettext_lazy("Return visit"),
}


def step_label(deadline: str) -> str:
    """The label of a step or of an escalation's deadline ("resolve:2" is the resolution after
    the second reopening)."""
    name = deadline.split(":")[0]
    return str(STEP_LABELS.get(name, name))
