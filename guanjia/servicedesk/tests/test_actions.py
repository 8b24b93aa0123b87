import datetime as dt

import pytest
from django.http import Http404

from guanjia.core.errors import DomainError
from guanjia.core.models import Change
from guanjia.core.roles import Post
from guanjia.estates.models import Estate
from guanjia.notifications.models import Notification
from guanjia.servicedesk import actions, queries
from guanjia.servicedesk.access import access_request
from guanjia.servicedesk.models import (
    ComplaintDetails,
    Escalation,
    RequestEvent,
    ServiceLevel,
    ServiceRequest,
)
from guanjia.servicedesk.tests.factories import MONDAY_10, at, receive, staff, walk

S = ServiceRequest.Status
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


# --- intake ---------------------------------------------------------------------------------


def test_receive_fixes_the_first_responder_zone_and_deadlines(cast):
    service_request = receive(cast, priority=ServiceRequest.Priority.EMERGENCY)
    assert service_request.status == S.RECEIVED and service_request.version == 1
    assert service_request.first_responder == cast.assistant
    assert service_request.zone == cast.zone_a
    assert service_request.received_at == MONDAY_10
    assert service_request.arrive_by == MONDAY_10 + 30 * MIN
    assert service_request.resolve_by == MONDAY_10 + DAY
    assert service_request.return_visit_by is None
    event = RequestEvent.objects.get(request=service_request)
    assert (event.from_status, event.to_status, event.action, event.actor) == (
        "",
        S.RECEIVED,
        "receive",
        cast.assistant,
    )
    assert Change.objects.filter(object_id=service_request.pk, verb="create").exists()


def test_a_common_area_request_needs_no_unit_or_person(cast):
    service_request = receive(
        cast, kind=ServiceRequest.Kind.REPAIR_COMMON, unit=None, person=None, channel=ServiceRequest.Channel.PATROL
    )
    assert service_request.unit is None and service_request.zone is None and service_request.person is None


def test_a_complaint_gets_its_details_row(cast):
    service_request = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None)
    assert service_request.complaint.validity == ComplaintDetails.Validity.PENDING
    assert service_request.respond_by == MONDAY_10 + DAY and service_request.resolve_by == MONDAY_10 + 2 * DAY


def test_unit_and_person_may_be_given_by_id(cast):
    service_request = receive(cast, unit=cast.unit_b.pk, person=str(cast.neighbour.pk))
    assert (
        service_request.unit == cast.unit_b
        and service_request.person == cast.neighbour
        and service_request.zone == cast.zone_b
    )


@pytest.mark.parametrize(
    "values,field",
    [
        ({"unit": "other_unit"}, "unit"),
        ({"unit": 99999999}, "unit"),
        ({"unit": "abc"}, "unit"),
        ({"unit": True}, "unit"),
        ({"person": "stranger"}, "person"),
        ({"person": 99999999}, "person"),
        ({"kind": "plumbing"}, "kind"),
        ({"channel": "fax"}, "channel"),
        ({"priority": "whenever"}, "priority"),
        ({"title": "  "}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"unit": None}, "unit"),  # an in-unit repair without its unit
        ({"actor": "outsider"}, "first_responder"),
        ({"actor": "owner"}, "first_responder"),
    ],
)
def test_bad_intake_names_the_field_and_saves_nothing(cast, values, field):
    for name in ("unit", "person", "actor"):
        if isinstance(values.get(name), str) and hasattr(cast, values[name]):
            values[name] = getattr(cast, values[name])
    changes = Change.objects.count()
    with pytest.raises(DomainError) as caught:
        receive(cast, **values)
    assert field in [problem.field for problem in caught.value.problems]
    assert ServiceRequest.objects.count() == 0
    assert RequestEvent.objects.count() == 0 and ComplaintDetails.objects.count() == 0
    assert Change.objects.count() == changes


def test_all_problems_are_reported_at_once(cast):
    with pytest.raises(DomainError) as caught:
        receive(cast, kind="x", channel="y", title="", unit=cast.other_unit)
    assert {p.field for p in caught.value.problems} == {"kind", "channel", "title", "unit"}


# --- life cycle -----------------------------------------------------------------------------


def test_the_whole_loop_writes_one_event_per_change(cast):
    service_request = receive(cast)
    actions.assign_request(
        actor=cast.assistant, service_request=service_request, assignee=cast.butler, now=at(2, 10, 5)
    )
    actions.start_work(actor=cast.butler, service_request=service_request, now=at(2, 10, 20))
    actions.wait_for_parts(actor=cast.butler, service_request=service_request, note="等阀门", now=at(2, 10, 30))
    actions.resume_work(actor=cast.butler, service_request=service_request, now=at(2, 11, 0))
    actions.wait_for_owner(actor=cast.butler, service_request=service_request, note="业主不在家", now=at(2, 11, 10))
    actions.resume_work(actor=cast.butler, service_request=service_request, now=at(2, 12, 10))
    actions.resolve_request(actor=cast.butler, service_request=service_request, now=at(2, 13, 0))
    visit = actions.record_return_visit(
        actor=cast.butler, service_request=service_request, how="phone", satisfaction=5, solved=True, now=at(3, 9, 0)
    )
    actions.close_request(actor=cast.assistant, service_request=service_request, now=at(3, 9, 5))
    service_request.refresh_from_db()
    events = list(
        RequestEvent.objects.filter(request=service_request).values_list("from_status", "to_status", "action")
    )
    assert events == [
        ("", S.RECEIVED, "receive"),
        (S.RECEIVED, S.ASSIGNED, "assign"),
        (S.ASSIGNED, S.IN_PROGRESS, "start"),
        (S.IN_PROGRESS, S.WAITING_PARTS, "wait_parts"),
        (S.WAITING_PARTS, S.IN_PROGRESS, "resume"),
        (S.IN_PROGRESS, S.WAITING_OWNER, "wait_owner"),
        (S.WAITING_OWNER, S.IN_PROGRESS, "resume"),
        (S.IN_PROGRESS, S.RESOLVED, "resolve"),
        (S.RESOLVED, S.RETURN_VISIT, "return_visit"),
        (S.RETURN_VISIT, S.CLOSED, "close"),
    ]
    assert service_request.status == S.CLOSED and service_request.version == 10
    assert service_request.first_responder == cast.assistant and service_request.assignee == cast.butler
    assert service_request.responded_at == at(2, 10, 5) and service_request.arrived_at == at(2, 10, 20)
    assert service_request.resolved_at == at(2, 13, 0) and service_request.closed_at == at(3, 9, 5)
    assert service_request.return_visit_by == at(2, 13, 0) + 3 * DAY
    # Only waiting on the owner paused the clock (one hour), not waiting for parts.
    assert service_request.paused_seconds == 3600 and service_request.paused_since is None
    assert visit.satisfaction == 5 and visit.solved
    assert Change.objects.filter(object_id=service_request.pk, verb="close").exists()


def test_waiting_on_the_owner_shifts_the_unmet_deadlines(cast):
    service_request = receive(cast, priority=ServiceRequest.Priority.URGENT)
    actions.assign_request(
        actor=cast.assistant, service_request=service_request, assignee=cast.butler, now=at(2, 10, 5)
    )
    actions.start_work(actor=cast.butler, service_request=service_request, now=at(2, 10, 40))
    before = ServiceRequest.objects.get(pk=service_request.pk)
    actions.wait_for_owner(actor=cast.butler, service_request=service_request, now=at(2, 11, 0))
    paused = ServiceRequest.objects.get(pk=service_request.pk)
    assert paused.paused_since == at(2, 11, 0) and paused.is_paused
    actions.resume_work(actor=cast.butler, service_request=service_request, now=at(2, 14, 30))
    after = ServiceRequest.objects.get(pk=service_request.pk)
    assert after.resolve_by == before.resolve_by + 3.5 * HOUR
    assert after.respond_by == before.respond_by  # already met: it stays where it was
    assert after.arrive_by == before.arrive_by
    assert after.paused_seconds == int(3.5 * 3600)


def test_the_callers_copy_follows_the_change(cast):
    service_request = receive(cast)
    returned = actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.butler)
    assert service_request.status == returned.status == S.ASSIGNED
    assert service_request.version == 2 and service_request.assignee_id == cast.butler.pk


def test_reassigning_keeps_the_first_responder(cast):
    service_request = walk(cast, receive(cast), S.IN_PROGRESS)
    technician = staff(cast.estate, Post.TECHNICIAN, "tech", "李师傅")
    actions.assign_request(
        actor=cast.head_butler, service_request=service_request, assignee=technician, note="转工程部"
    )
    service_request.refresh_from_db()
    assert service_request.status == S.ASSIGNED and service_request.assignee == technician
    assert service_request.first_responder == cast.assistant


def test_assignee_must_be_staff_of_the_estate(cast, unchanged):
    service_request = receive(cast)
    with unchanged():
        for assignee in (cast.outsider, cast.owner, None):
            with pytest.raises(DomainError) as caught:
                actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=assignee)
            assert caught.value.field == "assignee"


@pytest.mark.parametrize(
    "status,action",
    [
        (S.RECEIVED, "start"),
        (S.RECEIVED, "resolve"),
        (S.RECEIVED, "close"),
        (S.RECEIVED, "reopen"),
        (S.ASSIGNED, "resolve"),
        (S.ASSIGNED, "resume"),
        (S.IN_PROGRESS, "resume"),
        (S.IN_PROGRESS, "start"),
        (S.IN_PROGRESS, "close"),
        (S.RESOLVED, "start"),
        (S.RESOLVED, "cancel"),
        (S.CLOSED, "cancel"),
        (S.CLOSED, "assign"),
        (S.CLOSED, "close"),
    ],
)
def test_refused_transitions_change_nothing(cast, status, action, unchanged):
    service_request = receive(cast)
    if status != S.RECEIVED:
        walk(cast, service_request, status)
    calls = {
        "start": lambda: actions.start_work(actor=cast.butler, service_request=service_request),
        "resolve": lambda: actions.resolve_request(actor=cast.butler, service_request=service_request),
        "close": lambda: actions.close_request(actor=cast.butler, service_request=service_request),
        "reopen": lambda: actions.reopen_request(actor=cast.butler, service_request=service_request, note="业主不满意"),
        "resume": lambda: actions.resume_work(actor=cast.butler, service_request=service_request),
        "cancel": lambda: actions.cancel_request(actor=cast.butler, service_request=service_request, reason="业主撤回"),
        "assign": lambda: actions.assign_request(
            actor=cast.butler, service_request=service_request, assignee=cast.butler
        ),
    }
    with unchanged():
        with pytest.raises(DomainError) as caught:
            calls[action]()
        assert caught.value.field == "status"


def test_cancelled_is_the_end(cast, unchanged):
    service_request = receive(cast)
    actions.cancel_request(actor=cast.assistant, service_request=service_request, reason="业主已自行修好")
    with unchanged(), pytest.raises(DomainError):
        actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.butler)
    service_request.refresh_from_db()
    assert service_request.cancel_reason == "业主已自行修好"


@pytest.mark.parametrize("reason", ["", "   ", "长" * 301])
def test_cancel_needs_a_reason(cast, reason, unchanged):
    service_request = receive(cast)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.cancel_request(actor=cast.assistant, service_request=service_request, reason=reason)
        assert caught.value.field == "reason"


def test_cancel_while_waiting_on_the_owner_ends_the_pause(cast):
    service_request = walk(cast, receive(cast), S.IN_PROGRESS)
    actions.wait_for_owner(actor=cast.butler, service_request=service_request, now=at(2, 11, 0))
    actions.cancel_request(
        actor=cast.butler, service_request=service_request, reason="业主决定自行处理", now=at(2, 11, 30)
    )
    service_request.refresh_from_db()
    assert (
        service_request.status == S.CANCELLED
        and service_request.paused_since is None
        and service_request.paused_seconds == 1800
    )


def test_a_request_owing_a_return_visit_cannot_skip_it(cast, unchanged):
    service_request = walk(cast, receive(cast), S.RESOLVED)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.close_request(actor=cast.butler, service_request=service_request)
        assert caught.value.field == "status"


def test_an_inquiry_closes_without_a_return_visit(cast):
    service_request = receive(cast, kind=ServiceRequest.Kind.INQUIRY, unit=None)
    service_request = walk(cast, service_request, S.RESOLVED)
    assert service_request.return_visit_by is None
    actions.close_request(actor=cast.assistant, service_request=service_request)
    service_request.refresh_from_db()
    assert service_request.status == S.CLOSED


def test_a_stale_version_is_told_to_reload(cast, unchanged):
    service_request = receive(cast)
    seen = service_request.version
    actions.assign_request(
        actor=cast.assistant, service_request=service_request, assignee=cast.butler, expected_version=seen
    )
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.assign_request(
                actor=cast.head_butler, service_request=service_request, assignee=cast.butler, expected_version=seen
            )
        assert caught.value.field == "version"


# --- return visit and reopening ---------------------------------------------------------------


@pytest.mark.parametrize("satisfaction", [0, 6, -1, "abc", "", None, 3.5, True])
def test_satisfaction_out_of_range_is_refused(cast, satisfaction, unchanged):
    service_request = walk(cast, receive(cast), S.RESOLVED)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.record_return_visit(
                actor=cast.butler, service_request=service_request, how="phone", satisfaction=satisfaction, solved=True
            )
        assert "satisfaction" in [p.field for p in caught.value.problems]


def test_return_visit_how_must_be_known(cast, unchanged):
    service_request = walk(cast, receive(cast), S.RESOLVED)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.record_return_visit(
                actor=cast.butler, service_request=service_request, how="telepathy", satisfaction="4", solved=True
            )
        assert caught.value.field == "how"


def test_an_unsatisfied_owner_reopens_to_the_same_assignee(cast):
    service_request = walk(cast, receive(cast), S.RESOLVED)
    visit = actions.record_return_visit(
        actor=cast.head_butler,
        service_request=service_request,
        how="visit",
        satisfaction=2,
        solved=False,
        owner_words="水管还在滴水",
        now=at(3, 10, 0),
    )
    service_request.refresh_from_db()
    assert service_request.status == S.ASSIGNED and service_request.assignee == cast.butler
    assert service_request.first_responder == cast.assistant
    assert service_request.resolved_at is None and service_request.return_visit_by is None
    assert service_request.resolve_by == at(3, 10, 0) + DAY and service_request.reopen_count == 1
    event = RequestEvent.objects.filter(request=service_request).last()
    assert (event.from_status, event.to_status, event.action, event.note) == (
        S.RESOLVED,
        S.ASSIGNED,
        "reopen",
        "水管还在滴水",
    )
    assert visit.satisfaction == 2 and not visit.solved and visit.owner_words == "水管还在滴水"
    # The loop goes round again.
    actions.start_work(actor=cast.butler, service_request=service_request)
    actions.resolve_request(actor=cast.butler, service_request=service_request)
    actions.record_return_visit(
        actor=cast.head_butler, service_request=service_request, how="phone", satisfaction=4, solved=True
    )
    actions.close_request(actor=cast.head_butler, service_request=service_request)
    service_request.refresh_from_db()
    assert service_request.status == S.CLOSED and service_request.return_visits.count() == 2


def test_a_good_rating_for_an_unsolved_problem_still_reopens(cast):
    service_request = walk(cast, receive(cast), S.RESOLVED)
    actions.record_return_visit(
        actor=cast.butler,
        service_request=service_request,
        how="phone",
        satisfaction=5,
        solved=False,
        owner_words="态度好但没修好",
    )
    service_request.refresh_from_db()
    assert service_request.status == S.ASSIGNED


def test_unsatisfied_needs_the_owners_words(cast, unchanged):
    service_request = walk(cast, receive(cast), S.RESOLVED)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.record_return_visit(
                actor=cast.butler, service_request=service_request, how="phone", satisfaction=1, solved=False
            )
        assert caught.value.field == "owner_words"


def test_a_return_visit_only_follows_a_resolution(cast, unchanged):
    service_request = walk(cast, receive(cast), S.IN_PROGRESS)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.record_return_visit(
                actor=cast.butler,
                service_request=service_request,
                how="phone",
                satisfaction=1,
                solved=False,
                owner_words="没修",
            )
        assert caught.value.field == "status"


@pytest.mark.parametrize("status", [S.RETURN_VISIT, S.CLOSED])
def test_reopen_after_the_visit_or_closure(cast, status):
    service_request = walk(cast, receive(cast), status)
    actions.reopen_request(actor=cast.head_butler, service_request=service_request, note="业主来电说又漏了")
    service_request.refresh_from_db()
    assert (
        service_request.status == S.ASSIGNED
        and service_request.assignee == cast.butler
        and service_request.closed_at is None
    )


def test_reopen_needs_a_note(cast, unchanged):
    service_request = walk(cast, receive(cast), S.CLOSED)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.reopen_request(actor=cast.head_butler, service_request=service_request, note=" ")
        assert caught.value.field == "note"


# --- service levels, complaints, duty managers -------------------------------------------------


def test_the_manager_sets_a_service_level_for_new_requests(cast):
    level = actions.set_service_level(
        actor=cast.manager,
        estate=cast.estate,
        kind=ServiceRequest.Kind.REPAIR_IN_UNIT,
        priority=ServiceRequest.Priority.NORMAL,
        arrive_minutes=120,
        resolve_minutes="480",
    )
    assert (level.respond_minutes, level.arrive_minutes, level.resolve_minutes) == (30, 120, 480)
    service_request = receive(cast)
    assert service_request.arrive_by == MONDAY_10 + 2 * HOUR and service_request.resolve_by == MONDAY_10 + 8 * HOUR
    # The other estate keeps the defaults.
    assert ServiceLevel.objects.filter(estate=cast.other_estate).count() == 0
    actions.set_service_level(
        actor=cast.manager, estate=cast.estate, kind="repair_in_unit", priority="normal", resolve_minutes=600
    )
    assert ServiceLevel.objects.get(pk=level.pk).resolve_minutes == 600


def test_a_changed_service_level_applies_in_every_process_from_its_commit(
    cast, django_assert_num_queries, django_assert_max_num_queries
):
    """Intake keeps an estate's service levels in its process, good while the estate row read
    by the same request carries the same settings_version."""
    as_read_by_a_request = Estate.objects.get(pk=cast.estate.pk)
    kind, priority = ServiceRequest.Kind.REPAIR_IN_UNIT, ServiceRequest.Priority.NORMAL
    default = queries.allowance_in(as_read_by_a_request, kind, priority)
    with django_assert_num_queries(0):  # kept: asked again, nothing is read
        assert queries.allowance_in(as_read_by_a_request, kind, priority) == default
    # Another process (here, this one) changes the level: the estate's number moves on with it.
    actions.set_service_level(
        actor=cast.manager, estate=Estate.objects.get(pk=cast.estate.pk), kind=kind, priority=priority,
        resolve_minutes=45,
    )  # fmt: skip
    next_request = Estate.objects.get(pk=cast.estate.pk)
    assert next_request.settings_version == as_read_by_a_request.settings_version + 1
    with django_assert_max_num_queries(1):
        assert queries.allowance_in(next_request, kind, priority).resolve == 45
    taken = actions.receive_request(
        actor=cast.assistant, estate=next_request, kind=kind, channel="phone", title="漏水", unit=cast.unit_a,
        now=MONDAY_10,
    )  # fmt: skip
    assert taken.resolve_by == MONDAY_10 + dt.timedelta(minutes=45)
    # The other estate's levels are its own.
    assert queries.allowance_in(cast.other_estate, kind, priority) == default


@pytest.mark.parametrize(
    "values,field",
    [
        ({"kind": "x"}, "kind"),
        ({"priority": "x"}, "priority"),
        ({"respond_minutes": 0}, "respond_minutes"),
        ({"arrive_minutes": -5}, "arrive_minutes"),
        ({"resolve_minutes": "1.5"}, "resolve_minutes"),
        ({"return_visit_minutes": 10**9}, "return_visit_minutes"),
    ],
)
def test_bad_service_level_names_the_field(cast, values, field):
    values = {"kind": "complaint", "priority": "normal", **values}
    with pytest.raises(DomainError) as caught:
        actions.set_service_level(actor=cast.manager, estate=cast.estate, **values)
    assert caught.value.field == field
    assert ServiceLevel.objects.count() == 0


@pytest.mark.parametrize("role", ["butler", "assistant", "head_butler", "outsider", "owner"])
def test_only_the_manager_sets_service_levels(cast, role):
    with pytest.raises(Http404):
        actions.set_service_level(
            actor=cast.user(role), estate=cast.estate, kind="complaint", priority="normal", resolve_minutes=60
        )
    assert ServiceLevel.objects.count() == 0


def test_classify_a_complaint(cast):
    service_request = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None)
    details = actions.classify_complaint(
        actor=cast.head_butler,
        service_request=service_request,
        category="attitude",
        validity="valid",
        department="front_desk",
    )
    assert (details.category, details.validity, details.department) == ("attitude", "valid", "front_desk")
    assert RequestEvent.objects.filter(request=service_request, action="classify").count() == 1


@pytest.mark.parametrize(
    "values,field",
    [({"category": "weather"}, "category"), ({"validity": "maybe"}, "validity"), ({"department": "hr"}, "department")],
)
def test_bad_complaint_classification(cast, values, field, unchanged):
    service_request = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None)
    with unchanged():
        with pytest.raises(DomainError) as caught:
            actions.classify_complaint(
                actor=cast.head_butler, service_request=service_request, **{"category": "fees", **values}
            )
        assert caught.value.field == field
    assert ComplaintDetails.objects.get(request=service_request).category == ""


def test_only_a_complaint_is_classified(cast):
    service_request = receive(cast)
    with pytest.raises(DomainError) as caught:
        actions.classify_complaint(actor=cast.head_butler, service_request=service_request, category="fees")
    assert caught.value.field == "kind"
    assert ComplaintDetails.objects.count() == 0


def test_duty_manager_is_a_head_butler_or_above(cast):
    day = dt.date(2026, 3, 2)
    duty = actions.name_duty_manager(actor=cast.manager, estate=cast.estate, date=day, user=cast.head_butler)
    assert duty.user == cast.head_butler
    actions.name_duty_manager(actor=cast.head_butler, estate=cast.estate, date=day, user=cast.manager)
    duty.refresh_from_db()
    assert duty.user == cast.manager
    for user in (cast.butler, cast.outsider, cast.owner):
        with pytest.raises(DomainError) as caught:
            actions.name_duty_manager(actor=cast.manager, estate=cast.estate, date=day, user=user)
        assert caught.value.field == "user"
    with pytest.raises(DomainError) as caught:
        actions.name_duty_manager(actor=cast.manager, estate=cast.estate, date="明天", user=cast.manager)
    assert caught.value.field == "date"
    with pytest.raises(Http404):
        actions.name_duty_manager(actor=cast.butler, estate=cast.estate, date=day, user=cast.butler)
    duty.refresh_from_db()
    assert duty.user == cast.manager


# --- escalation ---------------------------------------------------------------------------------


class Notified:
    """The escalations notified so far, read from the inbox rows written with them."""

    def ids(self):
        keys = Notification.objects.filter(dedupe_key__startswith="escalation:").order_by("id")
        return [int(key.split(":")[1]) for key in keys.values_list("dedupe_key", flat=True)]

    def __eq__(self, other):
        return self.ids() == other

    def __len__(self):
        return len(self.ids())


@pytest.fixture
def notified():
    return Notified()


def ladder(service_request):
    return list(
        Escalation.objects.filter(request=service_request)
        .order_by("id")
        .values_list("deadline", "rung", "notified__username")
    )


def escalate(now, capture):
    with capture(execute=True):
        return actions.escalate_overdue(now=now)


def test_escalation_climbs_the_ladder_in_office_hours(cast, notified, django_capture_on_commit_callbacks):
    service_request = receive(cast, priority=ServiceRequest.Priority.EMERGENCY)  # on site by 10:30
    actions.assign_request(
        actor=cast.assistant, service_request=service_request, assignee=cast.butler, now=at(2, 10, 1)
    )
    assert escalate(at(2, 10, 30), django_capture_on_commit_callbacks) == []
    first = escalate(at(2, 10, 31), django_capture_on_commit_callbacks)
    assert ladder(service_request) == [("arrive", "assignee", "butler")]
    assert notified == [first[0].pk]
    escalate(at(2, 10, 44), django_capture_on_commit_callbacks)  # not yet: half of 30 min, floor 15
    assert len(ladder(service_request)) == 1
    escalate(at(2, 10, 45), django_capture_on_commit_callbacks)
    assert ladder(service_request)[-1] == ("arrive", "head_butler", "head_butler")
    escalate(at(2, 11, 0), django_capture_on_commit_callbacks)
    assert ladder(service_request)[-1] == ("arrive", "manager", "manager")
    # A second run at the same moment, and a later one, add nothing and notify nobody.
    assert escalate(at(2, 11, 0), django_capture_on_commit_callbacks) == []
    assert escalate(at(2, 11, 20), django_capture_on_commit_callbacks) == []
    assert len(notified) == 3 and Escalation.objects.count() == 3


def test_an_unassigned_request_escalates_to_its_first_responder(cast, notified, django_capture_on_commit_callbacks):
    service_request = receive(cast)  # respond within 30 minutes
    escalate(at(2, 10, 31), django_capture_on_commit_callbacks)
    assert ladder(service_request) == [("respond", "assignee", "assistant")]


def test_outside_office_hours_the_duty_manager_is_called(cast, notified, django_capture_on_commit_callbacks):
    deputy = staff(cast.estate, Post.DEPUTY_MANAGER, "deputy", "赵副经理")
    actions.name_duty_manager(actor=cast.manager, estate=cast.estate, date=dt.date(2026, 3, 2), user=deputy)
    service_request = receive(cast, priority=ServiceRequest.Priority.EMERGENCY, now=at(2, 20, 0))  # Monday evening
    actions.assign_request(
        actor=cast.assistant, service_request=service_request, assignee=cast.butler, now=at(2, 20, 2)
    )
    escalate(at(2, 20, 31), django_capture_on_commit_callbacks)
    escalate(at(2, 20, 45), django_capture_on_commit_callbacks)
    assert ladder(service_request) == [("arrive", "assignee", "butler"), ("arrive", "duty_manager", "deputy")]
    # The manager's rung at night is the duty manager again: nobody is paged twice.
    assert escalate(at(3, 2, 0), django_capture_on_commit_callbacks) == []
    # In the morning the head butler and the manager learn of it.
    escalate(at(3, 8, 35), django_capture_on_commit_callbacks)
    assert ladder(service_request)[2:] == [("arrive", "head_butler", "head_butler"), ("arrive", "manager", "manager")]
    assert len(notified) == 4


def test_without_a_named_duty_manager_the_ladder_stays(cast, notified, django_capture_on_commit_callbacks):
    service_request = receive(cast, priority=ServiceRequest.Priority.EMERGENCY, now=at(7, 14, 0))  # Saturday
    escalate(at(7, 15, 0), django_capture_on_commit_callbacks)
    rungs = {(rung, user) for _deadline, rung, user in ladder(service_request)}
    assert rungs == {("assignee", "assistant"), ("head_butler", "head_butler"), ("manager", "manager")}


def test_a_paused_clock_does_not_escalate(cast, notified, django_capture_on_commit_callbacks):
    service_request = receive(cast, priority=ServiceRequest.Priority.URGENT)  # resolve within 1 day
    walk(cast, service_request, S.IN_PROGRESS)
    actions.wait_for_owner(actor=cast.butler, service_request=service_request, now=at(2, 11, 0))
    assert escalate(at(4, 11, 0), django_capture_on_commit_callbacks) == []
    actions.resume_work(actor=cast.butler, service_request=service_request, now=at(4, 11, 0))  # paused 2 days
    assert escalate(at(5, 9, 0), django_capture_on_commit_callbacks) == []
    escalate(at(5, 10, 1), django_capture_on_commit_callbacks)  # 1 day + 2 days paused
    assert ladder(service_request) == [("resolve", "assignee", "butler")]


def test_an_overdue_return_visit_escalates(cast, notified, django_capture_on_commit_callbacks):
    service_request = walk(cast, receive(cast), S.RESOLVED)
    escalate(service_request.return_visit_by + MIN, django_capture_on_commit_callbacks)
    assert ladder(service_request) == [("return_visit", "assignee", "butler")]


def test_a_reopened_request_escalates_again(cast, notified, django_capture_on_commit_callbacks):
    service_request = receive(cast)
    walk(cast, service_request, S.IN_PROGRESS)
    escalate(at(3, 10, 10), django_capture_on_commit_callbacks)  # resolve_by 3 March 10:00 passed
    assert ("resolve", "assignee", "butler") in ladder(service_request)
    actions.resolve_request(actor=cast.butler, service_request=service_request, now=at(3, 11, 0))
    actions.reopen_request(actor=cast.assistant, service_request=service_request, note="又漏了", now=at(3, 12, 0))
    escalate(at(4, 12, 1), django_capture_on_commit_callbacks)
    assert ("resolve:1", "assignee", "butler") in ladder(service_request)


def test_finished_requests_never_escalate(cast, notified, django_capture_on_commit_callbacks):
    service_request = receive(cast)
    actions.cancel_request(actor=cast.assistant, service_request=service_request, reason="重复登记")
    walk(cast, receive(cast), S.CLOSED)
    assert escalate(at(20, 10, 0), django_capture_on_commit_callbacks) == []


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,read,write",
    [
        ("manager", True, True),
        ("head_butler", True, True),
        ("assistant", True, True),  # the first responder
        ("butler", True, True),  # zone A is theirs
        ("finance", False, False),
        ("owner", True, False),
        ("outsider", False, False),
    ],
)
def test_who_reaches_a_request(cast, role, read, write):
    service_request = receive(cast)
    user = cast.user(role)
    for mode, allowed in ((False, read), (True, write)):
        if allowed:
            assert access_request(user, service_request.pk, write=mode).pk == service_request.pk
        else:
            with pytest.raises(Http404):
                access_request(user, service_request.pk, write=mode)


def test_denied_actors_change_nothing(cast, unchanged):
    service_request = receive(cast)
    with unchanged():
        for user in (cast.outsider, cast.finance, cast.owner):
            with pytest.raises(Http404):
                found = access_request(user, service_request.pk, write=True)
                actions.assign_request(actor=user, service_request=found, assignee=cast.butler)


def test_a_butler_acts_only_in_their_zone_but_sees_the_estate(cast):
    service_request = receive(cast, unit=cast.unit_b, person=cast.neighbour)  # zone B
    assert access_request(cast.butler, service_request.pk).pk == service_request.pk
    with pytest.raises(Http404):
        access_request(cast.butler, service_request.pk, write=True)
    assert access_request(cast.owner, receive(cast).pk).person == cast.owner_person
    with pytest.raises(Http404):
        access_request(cast.owner, service_request.pk)  # 李四's request


def test_the_first_responder_keeps_the_loop(cast):
    technician = staff(cast.estate, Post.TECHNICIAN, "tech", "李师傅")
    service_request = receive(
        cast, actor=technician, channel=ServiceRequest.Channel.PATROL, kind="repair_common", unit=None
    )
    actions.assign_request(actor=technician, service_request=service_request, assignee=cast.butler)
    assert access_request(technician, service_request.pk, write=True).pk == service_request.pk
    other = receive(cast)
    with pytest.raises(Http404):
        access_request(technician, other.pk)
    actions.assign_request(actor=cast.assistant, service_request=other, assignee=technician)
    assert access_request(technician, other.pk, write=True).pk == other.pk


def test_missing_request_is_404(cast):
    with pytest.raises(Http404):
        access_request(cast.manager, 987654321)
