"""Two members of staff act on one request at the same moment: one wins, the other is told
the request changed, and exactly one event row is written. SQLite serialises whole-database
writes and has no SELECT ... FOR UPDATE, so this runs on PostgreSQL only."""

import threading

import pytest
from django.db import connection, connections

from guanjia.core.errors import DomainError
from guanjia.servicedesk import actions
from guanjia.servicedesk.models import Request, RequestEvent
from guanjia.servicedesk.tests.factories import receive

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False])
def test_two_threads_start_the_same_request(cast, with_version):
    request = receive(cast)
    actions.assign_request(actor=cast.assistant, request=request, assignee=cast.butler)
    request.refresh_from_db()
    seen = request.version if with_version else None
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(user):
        try:
            barrier.wait(timeout=10)
            actions.start_work(actor=user, request=request, expected_version=seen)
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.field)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(user,)) for user in (cast.butler, cast.head_butler)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == sorted(["ok", "version" if with_version else "status"])
    assert RequestEvent.objects.filter(request=request, action="start").count() == 1
    request.refresh_from_db()
    assert request.status == Request.Status.IN_PROGRESS
    assert request.version == 3  # received 1, assigned 2, started 3: the loser wrote nothing
