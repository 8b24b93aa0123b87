"""The escalation job through the real huey worker process, with a fixed clock: each service
level, the paused clock, each rung, the duty manager at night, a second run that adds
nothing, and a worker restart."""

import datetime as dt

import pytest

from guanjia.core.roles import Post
from guanjia.core.testing import run_worker, wait_for
from guanjia.notifications.models import Notification
from guanjia.servicedesk import actions, tasks
from guanjia.servicedesk.deadlines import SHANGHAI
from guanjia.servicedesk.models import Escalation, ServiceRequest
from guanjia.servicedesk.tests.factories import receive, staff


def moment(day: int, hour: int, minute: int = 0) -> dt.datetime:
    # March 2030, far enough ahead that the every-minute run on the real clock never
    # finds these requests overdue: only the runs this test enqueues do. 4 March is a Monday.
    return dt.datetime(2030, 3, day, hour, minute, tzinfo=SHANGHAI)


def rungs(service_request):
    return list(
        Escalation.objects.filter(request=service_request).order_by("id").values_list("rung", "notified__username")
    )


def run_at(worker, when, expected):
    tasks.escalate_overdue_task(when.isoformat())
    wait_for(lambda: Escalation.objects.count() >= expected, worker=worker, message=f"{expected} escalations")


@pytest.mark.django_db(transaction=True)
def test_escalation_ladder_through_the_worker(cast):
    deputy = staff(cast.estate, Post.DEPUTY_MANAGER, "deputy", "赵副经理")
    actions.name_duty_manager(actor=cast.manager, estate=cast.estate, date=dt.date(2030, 3, 4), user=deputy)
    day = receive(cast, priority=ServiceRequest.Priority.EMERGENCY, now=moment(4, 10, 0))  # on site by 10:30
    night = receive(cast, priority=ServiceRequest.Priority.EMERGENCY, now=moment(4, 20, 0))  # on site by 20:30
    for service_request, at in ((day, moment(4, 10, 1)), (night, moment(4, 20, 1))):
        actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.butler, now=at)

    with run_worker() as worker:
        run_at(worker, moment(4, 10, 31), 1)
        run_at(worker, moment(4, 10, 45), 2)
        run_at(worker, moment(4, 11, 0), 3)
        assert rungs(day) == [("assignee", "butler"), ("head_butler", "head_butler"), ("manager", "manager")]
        # Night: the assignee, then the duty manager (not for the day's request, whose
        # head butler and manager already know).
        run_at(worker, moment(4, 20, 45), 5)
        assert rungs(night) == [("assignee", "butler"), ("duty_manager", "deputy")]
        assert len(rungs(day)) == 3
        # The same moment again: nothing new.
        result = tasks.escalate_overdue_task(moment(4, 20, 45).isoformat())
        assert result.get(blocking=True, timeout=30) == 0

    # Work queued while no worker runs is done once one starts again.
    tasks.escalate_overdue_task(moment(5, 9, 0).isoformat())
    with run_worker(flush=False) as worker:
        wait_for(lambda: Escalation.objects.count() >= 7, worker=worker, message="the morning rungs")
        result = tasks.escalate_overdue_task(moment(5, 9, 0).isoformat())
        assert result.get(blocking=True, timeout=30) == 0
    assert rungs(night)[2:] == [("head_butler", "head_butler"), ("manager", "manager")]
    assert Escalation.objects.count() == 7
    # Each rung told its recipient once, through the inbox written with it.
    told = Notification.objects.filter(dedupe_key__startswith="escalation:")
    assert sorted(told.values_list("dedupe_key", flat=True)) == sorted(
        f"escalation:{pk}" for pk in Escalation.objects.values_list("pk", flat=True)
    )
    assert {(n.recipient.username, n.link) for n in told.filter(recipient__username="deputy")} == {
        ("deputy", f"/requests/{night.pk}/")
    }


def assignee_rungs() -> set[tuple[int, str]]:
    return set(Escalation.objects.filter(rung=Escalation.Rung.ASSIGNEE).values_list("request_id", "deadline"))


@pytest.mark.django_db(transaction=True)
def test_each_service_level_and_the_paused_clock_through_the_worker(cast):
    """Monday 11 March 2030. An ordinary repair must be resolved within a day, a complaint
    answered within 24 hours and resolved within 2 days, a resolved repair return-visited
    within 3 days; two days waiting on the owner move a repair's deadline two days on. The
    worker, run at fixed moments a minute either side of each deadline, escalates each one
    exactly when it passes."""
    repair = receive(cast, now=moment(11, 9, 0))
    actions.assign_request(actor=cast.assistant, service_request=repair, assignee=cast.butler, now=moment(11, 9, 5))
    actions.start_work(actor=cast.butler, service_request=repair, now=moment(11, 9, 10))
    complaint = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, title="夜间噪音", now=moment(11, 9, 0))
    paused = receive(cast, title="更换门锁", now=moment(11, 9, 0))
    actions.assign_request(actor=cast.assistant, service_request=paused, assignee=cast.butler, now=moment(11, 9, 5))
    actions.start_work(actor=cast.butler, service_request=paused, now=moment(11, 9, 10))
    actions.wait_for_owner(actor=cast.butler, service_request=paused, note="业主出差", now=moment(11, 10, 0))
    actions.resume_work(actor=cast.butler, service_request=paused, now=moment(13, 10, 0))
    done = receive(cast, title="灯不亮", now=moment(11, 10, 0))
    actions.assign_request(actor=cast.assistant, service_request=done, assignee=cast.butler, now=moment(11, 10, 1))
    actions.start_work(actor=cast.butler, service_request=done, now=moment(11, 10, 2))
    actions.resolve_request(actor=cast.butler, service_request=done, now=moment(11, 10, 3))
    for service_request in (repair, complaint, paused, done):
        service_request.refresh_from_db()
    # The deadlines the standards set, and the one the pause moved.
    assert repair.resolve_by == moment(12, 9, 0)
    assert (complaint.respond_by, complaint.resolve_by) == (moment(12, 9, 0), moment(13, 9, 0))
    assert paused.resolve_by == moment(14, 9, 0)  # a day after intake, plus two days paused
    assert done.return_visit_by == moment(14, 10, 3)

    steps = [
        (moment(12, 8, 59), set()),
        (moment(12, 9, 1), {(repair.pk, "resolve"), (complaint.pk, "respond")}),
        (moment(13, 8, 59), set()),
        (moment(13, 9, 1), {(complaint.pk, "resolve")}),
        (moment(14, 8, 59), set()),  # the paused repair's first deadline passed long ago
        (moment(14, 9, 1), {(paused.pk, "resolve")}),
        (moment(14, 10, 2), set()),
        (moment(14, 10, 4), {(done.pk, "return_visit")}),
    ]
    expected: set[tuple[int, str]] = set()
    with run_worker() as worker:
        for when, new in steps:
            result = tasks.escalate_overdue_task(when.isoformat())
            result.get(blocking=True, timeout=60)
            worker.check_alive()
            expected |= new
            assert assignee_rungs() == expected, when
