"""Service levels, paused clocks, office hours and the ladder's timing: pure, frozen times."""

import datetime as dt

import pytest

from guanjia.servicedesk import deadlines as dl

RECEIVED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dl.SHANGHAI)  # a Monday
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize("kind", ["repair_in_unit", "repair_common"])
def test_emergency_repair_is_on_site_within_30_minutes(kind):
    due = dl.intake_deadlines(RECEIVED, dl.default_allowance(kind, "emergency"))
    assert due.arrive_by == RECEIVED + 30 * MIN
    assert due.resolve_by == RECEIVED + DAY


@pytest.mark.parametrize("kind", ["repair_in_unit", "repair_common"])
def test_ordinary_repair_is_resolved_within_a_day_and_arrives_when_agreed(kind):
    due = dl.intake_deadlines(RECEIVED, dl.default_allowance(kind, "normal"))
    assert due.resolve_by == RECEIVED + DAY
    assert due.arrive_by is None  # the time agreed with the owner
    assert due.respond_by == RECEIVED + 30 * MIN  # repairs are accepted around the clock


def test_a_repair_at_night_has_the_same_limits():
    night = dt.datetime(2026, 3, 7, 3, 0, tzinfo=dl.SHANGHAI)  # Saturday 03:00
    due = dl.intake_deadlines(night, dl.default_allowance("repair_in_unit", "emergency"))
    assert due.arrive_by == night + 30 * MIN


def test_complaint_is_answered_within_24_hours_and_resolved_within_2_days():
    due = dl.intake_deadlines(RECEIVED, dl.default_allowance("complaint", "normal"))
    assert due.respond_by == RECEIVED + DAY
    assert due.resolve_by == RECEIVED + 2 * DAY
    assert due.arrive_by is None


@pytest.mark.parametrize("kind", ["repair_in_unit", "repair_common", "complaint"])
@pytest.mark.parametrize("priority", ["emergency", "urgent", "normal"])
def test_every_complaint_and_repair_is_return_visited_within_3_days(kind, priority):
    resolved = RECEIVED + 5 * HOUR
    assert dl.return_visit_deadline(resolved, dl.default_allowance(kind, priority)) == resolved + 3 * DAY


@pytest.mark.parametrize("kind", ["inquiry", "suggestion", "praise"])
def test_no_return_visit_owed_for_an_inquiry_or_suggestion(kind):
    assert dl.return_visit_deadline(RECEIVED, dl.default_allowance(kind, "normal")) is None


def test_every_kind_and_priority_has_a_default():
    kinds = dl.REPAIRS + dl.OTHER_KINDS + ("complaint",)
    for kind in kinds:
        for priority in ("emergency", "urgent", "normal"):
            allowance = dl.DEFAULT_ALLOWANCES[(kind, priority)]
            assert allowance.resolve is not None and allowance.respond is not None


def test_effective_elapsed_leaves_out_pauses():
    now = RECEIVED + 5 * HOUR
    assert dl.effective_elapsed(RECEIVED, now) == 5 * HOUR
    assert dl.effective_elapsed(RECEIVED, now, paused_seconds=2 * 3600) == 3 * HOUR
    # A pause still running counts up to now.
    assert dl.effective_elapsed(RECEIVED, now, paused_seconds=3600, paused_since=now - HOUR) == 3 * HOUR
    assert dl.effective_elapsed(RECEIVED, now, paused_seconds=10 * 3600) == dt.timedelta(0)


def test_paused_duration_and_shift():
    since = RECEIVED + HOUR
    assert dl.paused_duration(600, since, since + 20 * MIN) == 30 * MIN
    assert dl.paused_duration(600, None, since) == 10 * MIN
    assert dl.shifted(RECEIVED + DAY, 2 * HOUR) == RECEIVED + DAY + 2 * HOUR
    assert dl.shifted(None, HOUR) is None


def test_is_overdue():
    deadline = RECEIVED + HOUR
    assert not dl.is_overdue(deadline, None, deadline)
    assert dl.is_overdue(deadline, None, deadline + MIN)
    assert not dl.is_overdue(deadline, deadline - MIN, deadline + HOUR)
    assert not dl.is_overdue(None, None, deadline)


@pytest.mark.parametrize(
    "moment,working",
    [
        (dt.datetime(2026, 3, 2, 8, 29, tzinfo=dl.SHANGHAI), False),
        (dt.datetime(2026, 3, 2, 8, 30, tzinfo=dl.SHANGHAI), True),
        (dt.datetime(2026, 3, 2, 17, 29, tzinfo=dl.SHANGHAI), True),
        (dt.datetime(2026, 3, 2, 17, 30, tzinfo=dl.SHANGHAI), False),
        (dt.datetime(2026, 3, 6, 12, 0, tzinfo=dl.SHANGHAI), True),  # Friday
        (dt.datetime(2026, 3, 7, 10, 0, tzinfo=dl.SHANGHAI), False),  # Saturday
        (dt.datetime(2026, 3, 8, 10, 0, tzinfo=dl.SHANGHAI), False),  # Sunday
        (dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC), True),  # 08:30 in Shanghai
        (dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), False),  # 17:30 in Shanghai
    ],
)
def test_office_hours_in_shanghai(moment, working):
    assert dl.is_working_time(moment) is working


def test_duty_day_runs_from_morning_handover_to_the_next():
    assert dl.duty_date(dt.datetime(2026, 3, 3, 2, 0, tzinfo=dl.SHANGHAI)) == dt.date(2026, 3, 2)
    assert dl.duty_date(dt.datetime(2026, 3, 3, 8, 30, tzinfo=dl.SHANGHAI)) == dt.date(2026, 3, 3)
    assert dl.duty_date(dt.datetime(2026, 3, 2, 21, 0, tzinfo=dl.SHANGHAI)) == dt.date(2026, 3, 2)
    # 20:00 UTC on the 2nd is 04:00 on the 3rd in Shanghai: still the 2nd's duty.
    assert dl.duty_date(dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)) == dt.date(2026, 3, 2)


def test_ladder_waits_half_then_a_whole_allowance():
    deadline = RECEIVED + DAY
    times = dl.rung_times(deadline, DAY)
    assert times.assignee == deadline
    assert times.head_butler == deadline + 12 * HOUR
    assert times.manager == deadline + DAY


def test_ladder_floors_for_short_allowances():
    deadline = RECEIVED + 30 * MIN
    times = dl.rung_times(deadline, 10 * MIN)
    assert times.head_butler == deadline + 15 * MIN
    assert times.manager == deadline + 30 * MIN


def test_month_bounds_in_shanghai():
    start, end = dl.local_month_bounds(2026, 12)
    assert start == dt.datetime(2026, 12, 1, tzinfo=dl.SHANGHAI)
    assert end == dt.datetime(2027, 1, 1, tzinfo=dl.SHANGHAI)
