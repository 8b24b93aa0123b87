"""Two members of staff act on one request at the same moment: one wins, the other is told
the request changed, and exactly one event row is written. SQLite serialises whole-database
writes and has no SELECT ... FOR UPDATE, so this runs on PostgreSQL only."""

import threading

import pytest
from django.db import connection, connections

from guanjia.core.errors import DomainError
from guanjia.servicedesk import actions
from guanjia.servicedesk.models import RequestEvent, ServiceRequest
from guanjia.servicedesk.tests.factories import receive

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False])
def test_two_threads_start_the_same_request(cast, with_version):
    service_request = receive(cast)
    actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.butler)
    service_request.refresh_from_db()
    seen = service_request.version if with_version else None
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(user):
        try:
            barrier.wait(timeout=10)
            actions.start_work(actor=user, service_request=service_request, expected_version=seen)
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
    assert RequestEvent.objects.filter(request=service_request, action="start").count() == 1
    service_request.refresh_from_db()
    assert service_request.status == ServiceRequest.Status.IN_PROGRESS
    assert service_request.version == 3  # received 1, assigned 2, started 3: the loser wrote nothing


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False])
def test_two_people_press_the_same_button_on_the_page(cast, with_version):
    """The page's side of the race: the winner is sent on, the loser sees a message that the
    request changed (409) or that it can no longer be started (400) — never a 500."""
    from django.test import Client
    from django.urls import reverse

    service_request = receive(cast)
    actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.butler)
    service_request.refresh_from_db()
    url = reverse("servicedesk:request_action", args=[service_request.pk, "start"])
    data = {"start-version": service_request.version} if with_version else {}
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def press(user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        try:
            barrier.wait(timeout=10)
            response = client.post(url, data)
            answers.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(user,)) for user in (cast.butler, cast.head_butler)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    codes = sorted(code for code, _text in answers)
    assert codes == [302, 409 if with_version else 400]
    loser = next(text for code, text in answers if code != 302)
    assert ("工单已被他人修改" if with_version else "不能") in loser
    assert RequestEvent.objects.filter(request=service_request, action="start").count() == 1
