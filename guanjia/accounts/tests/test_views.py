import pytest
from django.urls import reverse

HOME_BY_ROLE = {
    "manager": "reports:workbench",
    "head_butler": "servicedesk:workbench",
    "butler": "reports:butler",
    "assistant": "frontdesk:today",
    "finance": "billing:home",
    "outsider": "reports:butler",
}


def test_login_page_speaks_chinese(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.parametrize("role", sorted(HOME_BY_ROLE))
def test_each_post_lands_on_its_home(client_as, cast, role):
    client = client_as(role)
    response = client.get(reverse("home"))
    estate = cast.other_estate if role == "outsider" else cast.estate
    assert response.status_code == 302
    assert response.url == reverse(HOME_BY_ROLE[role], kwargs={"estate_id": estate.pk})
    page = client.get(response.url, follow=True)
    assert page.status_code == 200


def test_owner_lands_on_portal_with_their_unit(client_as, cast):
    client = client_as("owner")
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert cast.unit_a.code in response.content.decode()
    assert cast.unit_b.code not in response.content.decode()


def test_butler_home_is_their_zone(client_as, cast):
    """The zone's to-dos, with the way to the zone's units and owner archive."""
    response = client_as("butler").get(reverse("home"), follow=True)
    body = response.content.decode()
    assert cast.zone_a.name in body
    assert reverse("estates:zone", args=[cast.zone_a.pk]) in body
    assert cast.zone_b.name not in body
