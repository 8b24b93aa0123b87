import datetime as dt

from guanjia.servicedesk import actions, queries
from guanjia.servicedesk.models import ServiceRequest
from guanjia.servicedesk.tests.factories import at, receive, walk

S = ServiceRequest.Status


def test_my_loops_holds_what_i_received_until_it_is_closed(cast):
    mine = receive(cast)
    resolved = walk(cast, receive(cast), S.RESOLVED)
    walk(cast, receive(cast), S.CLOSED)
    cancelled = receive(cast)
    actions.cancel_request(actor=cast.assistant, service_request=cancelled, reason="重复")
    receive(cast, actor=cast.head_butler)
    actions.assign_request(actor=cast.assistant, service_request=mine, assignee=cast.butler)
    assert [r.pk for r in queries.my_loops(cast.assistant)] == [mine.pk, resolved.pk]
    assert list(queries.my_loops(cast.butler)) == []


def test_board_puts_overdue_first(cast):
    later = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None, now=at(2, 9, 0))  # resolve by the 4th
    sooner = receive(cast, now=at(2, 9, 30))  # repair: resolve by the 3rd
    overdue = receive(cast, priority=ServiceRequest.Priority.EMERGENCY, now=at(2, 10, 0))
    paused = receive(cast, priority=ServiceRequest.Priority.EMERGENCY, now=at(2, 10, 0))
    walk(cast, paused, S.IN_PROGRESS, now=at(2, 10, 0))
    actions.wait_for_owner(actor=cast.butler, service_request=paused, now=at(2, 10, 5))
    for service_request in (later, sooner):
        actions.assign_request(
            actor=cast.assistant, service_request=service_request, assignee=cast.butler, now=at(2, 10, 0)
        )
    done = walk(cast, receive(cast, now=at(2, 8, 0)), S.CLOSED, now=at(2, 8, 0))
    other = receive(cast, now=at(2, 8, 0))
    # Another estate's request never shows.
    ServiceRequest.objects.filter(pk=other.pk).update(estate=cast.other_estate, unit=None, person=None)
    board = list(queries.board(cast.estate, now=at(2, 11, 0)))
    assert [r.pk for r in board] == [overdue.pk, sooner.pk, paused.pk, later.pk]
    assert [r.overdue for r in board] == [True, False, False, False]
    assert done.pk not in [r.pk for r in board]


def test_monthly_complaint_summary(cast):
    def complaint(person, day, category, validity="valid", resolve_after=None):
        service_request = receive(
            cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None, person=person, now=at(day, 10, 0)
        )
        actions.classify_complaint(
            actor=cast.head_butler, service_request=service_request, category=category, validity=validity
        )
        if resolve_after is not None:
            actions.assign_request(
                actor=cast.assistant, service_request=service_request, assignee=cast.butler, now=at(day, 10, 0)
            )
            actions.start_work(actor=cast.butler, service_request=service_request, now=at(day, 10, 0))
            actions.resolve_request(
                actor=cast.butler, service_request=service_request, now=at(day, 10, 0) + resolve_after
            )
        return service_request

    complaint(cast.owner_person, 2, "cleaning", resolve_after=dt.timedelta(hours=4))
    complaint(cast.owner_person, 10, "cleaning", resolve_after=dt.timedelta(hours=8))
    complaint(cast.owner_person, 20, "parking", validity="invalid")
    complaint(cast.neighbour, 21, "attitude")
    april_first = dt.datetime(2026, 3, 31, 16, 1, tzinfo=dt.UTC)  # 1 April 00:01 in Shanghai
    receive(cast, kind=ServiceRequest.Kind.COMPLAINT, unit=None, person=cast.neighbour, now=april_first)
    receive(cast, now=at(3, 10, 0))  # a repair is not a complaint
    summary = queries.complaint_summary(cast.estate, 2026, 3)
    assert summary.total == 4 and summary.valid == 3
    assert summary.by_category == {"cleaning": 2, "parking": 1, "attitude": 1}
    assert summary.resolved == 2 and summary.average_hours_to_resolve == 6.0
    assert summary.repeat_complainants == [(cast.owner_person.pk, "张三", 3)]
    april = queries.complaint_summary(cast.estate, 2026, 4)
    assert april.total == 1 and april.by_category == {"": 1}
