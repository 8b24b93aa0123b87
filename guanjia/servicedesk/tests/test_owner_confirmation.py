"""The owner's own confirmation and rating after the butler's return visit (回访): accepted,
through the portal page and the API, and kept beside the staff's return visit as a separate
fact (its own row, by the owner, "portal"), with the status change in the timeline. Once per
resolution; the owner of another unit gets 404 and nothing changes."""

import json

import pytest
from django.urls import reverse

from guanjia.core.errors import DomainError
from guanjia.servicedesk import actions
from guanjia.servicedesk.models import RequestEvent, ReturnVisit, ServiceRequest
from guanjia.servicedesk.tests.factories import receive, walk
from guanjia.servicedesk.tests.test_api import counts

S = ServiceRequest.Status
API = "/api/v1"


def api_confirm(client, service_request, path="confirm", **body):
    body.setdefault("rating", 4)
    return client.post(f"{API}/requests/{service_request.pk}/{path}", json.dumps(body), content_type="application/json")


def page_confirm(client, service_request, **values):
    service_request.refresh_from_db()
    data = {"version": service_request.version, "satisfaction": "4", "solved": "yes", "owner_words": ""}
    data.update(values)
    return client.post(reverse("servicedesk:portal_confirm", args=[service_request.pk]), data)


def ratings(service_request):
    """(how, satisfaction, by) of each return visit, staff's and owner's, in order."""
    return [
        (visit.how, visit.satisfaction, visit.by_id)
        for visit in ReturnVisit.objects.filter(request=service_request).order_by("at", "id")
    ]


@pytest.mark.parametrize("after", [S.RETURN_VISIT, S.CLOSED])
def test_the_owner_confirms_and_rates_after_the_butlers_return_visit_by_the_api(client_as, cast, after):
    service_request = walk(cast, receive(cast), after)
    response = api_confirm(client_as("owner"), service_request, rating=3, comment="师傅态度好，就是慢了点")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == S.CLOSED
    assert [(visit["how"], visit["satisfaction"]) for visit in data["return_visits"]] == [("phone", 5), ("portal", 3)]
    assert ratings(service_request) == [("phone", 5, cast.butler.pk), ("portal", 3, cast.owner.pk)]
    event = RequestEvent.objects.filter(request=service_request).order_by("at", "id").last()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "owner_confirm",
        after,
        S.CLOSED,
        cast.owner,
    )
    assert event.note == "师傅态度好，就是慢了点"


def test_the_owner_confirms_after_the_return_visit_on_the_portal_page(client_as, cast):
    service_request = walk(cast, receive(cast), S.RETURN_VISIT)
    client = client_as("owner")
    page = client.get(reverse("servicedesk:portal_request", args=[service_request.pk])).content.decode()
    assert 'id="portal-confirm"' in page
    response = page_confirm(client, service_request, satisfaction="3", solved="yes", owner_words="拖了三天")
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == S.CLOSED and service_request.closed_at is not None
    assert ratings(service_request) == [("phone", 5, cast.butler.pk), ("portal", 3, cast.owner.pk)]
    page = client.get(reverse("servicedesk:portal_request", args=[service_request.pk])).content.decode()
    assert 'id="portal-confirm"' not in page  # answered once for this resolution
    assert "业主评价" in page and "拖了三天" in page


def test_the_owner_says_it_is_not_done_after_the_return_visit_and_it_reopens(client_as, cast):
    service_request = walk(cast, receive(cast), S.RETURN_VISIT)
    response = api_confirm(client_as("owner"), service_request, path="reject", rating=1, comment="又漏了")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.ASSIGNED
    assert ratings(service_request) == [("phone", 5, cast.butler.pk), ("portal", 1, cast.owner.pk)]


def test_the_owner_answers_once_per_resolution(client_as, cast, unchanged):
    service_request = walk(cast, receive(cast), S.RETURN_VISIT)
    client = client_as("owner")
    assert api_confirm(client, service_request).status_code == 200
    with unchanged():
        again = api_confirm(client, service_request, rating=1, path="reject", comment="改主意了")
        assert again.status_code == 400 and again.json()["field"] == "status"
        assert page_confirm(client, service_request).status_code == 400


def test_the_owner_of_another_unit_gets_404_after_the_return_visit(client_as, cast, unchanged):
    neighbours = walk(cast, receive(cast, unit=cast.unit_b, person=cast.neighbour), S.RETURN_VISIT)
    client = client_as("owner")
    with unchanged():
        assert api_confirm(client, neighbours).status_code == 404
        assert page_confirm(client, neighbours).status_code == 404
        assert client.get(reverse("servicedesk:portal_request", args=[neighbours.pk])).status_code == 404
    neighbours.refresh_from_db()
    assert neighbours.status == S.RETURN_VISIT


def test_staff_cannot_record_the_owners_own_answer(cast, unchanged):
    """ "Owner portal" is the owner's own rating: staff record a phone call or a visit."""
    service_request = walk(cast, receive(cast), S.RESOLVED)
    before = counts()
    with pytest.raises(DomainError) as caught:
        actions.record_return_visit(
            actor=cast.butler, service_request=service_request, how="portal", satisfaction=5, solved=True
        )
    assert caught.value.field == "how" and counts() == before
