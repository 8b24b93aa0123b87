"""Figures are the estate's own: another estate's staff, a butler, an owner get 404 on the
workbenches, the targets and the API, and nothing is written (not even a rollup refresh)."""

import pytest
from django.urls import reverse

from guanjia.reports.models import DailyRollup, MonthlyRollup, Target


@pytest.mark.parametrize("role", ["outsider", "butler", "assistant", "owner", "finance", "head_butler"])
def test_the_manager_workbench_is_the_managers(cast, client_as, unchanged, role):
    client = client_as(role)
    with unchanged():
        assert client.get(reverse("reports:workbench", args=[cast.estate.pk])).status_code == 404
        assert client.get(reverse("reports:ratings", args=[cast.estate.pk])).status_code == 404
        assert client.get(f"/api/v1/estates/{cast.estate.pk}/figures").status_code == 404
        assert client.get(reverse("reports:targets", args=[cast.estate.pk])).status_code == 404
        response = client.post(
            reverse("reports:targets", args=[cast.estate.pk]),
            {"collection_rate": "10", "satisfaction_rate": "10", "on_time_rate": "10"},
        )
        assert response.status_code == 404
    assert not Target.objects.exists()
    assert not DailyRollup.objects.exists() and not MonthlyRollup.objects.exists()


def test_another_estates_manager_sees_only_their_own(cast, client, unchanged):
    from guanjia.core.roles import Post
    from tests.support import make_staff

    other_manager = make_staff("other_manager", "云栖经理", cast.other_estate, Post.MANAGER)
    client.force_login(other_manager)
    with unchanged():
        assert client.get(reverse("reports:workbench", args=[cast.estate.pk])).status_code == 404
        assert client.get(f"/api/v1/estates/{cast.estate.pk}/figures").status_code == 404
    assert client.get(reverse("reports:workbench", args=[cast.other_estate.pk])).status_code == 200
    company = client.get("/api/v1/figures/company").json()
    assert [row["estate_id"] for row in company["estates"]] == [cast.other_estate.pk]


@pytest.mark.parametrize("role", ["butler", "owner", "assistant"])
def test_the_company_workbench_needs_figures_somewhere(cast, client_as, unchanged, role):
    client = client_as(role)
    with unchanged():
        assert client.get(reverse("reports:company")).status_code == 404
        assert client.get("/api/v1/figures/company").status_code == 404


@pytest.mark.parametrize("role", ["outsider", "manager", "owner"])
def test_the_butler_workbench_is_the_zone_butlers(cast, client_as, unchanged, role):
    with unchanged():
        assert client_as(role).get(reverse("reports:butler", args=[cast.estate.pk])).status_code == 404


def test_each_post_lands_on_its_workbench(cast, client_as):
    assert client_as("manager").get("/").url == reverse("reports:workbench", args=[cast.estate.pk])
    assert client_as("butler").get("/").url == reverse("reports:butler", args=[cast.estate.pk])


def test_a_tile_links_only_to_a_list_its_reader_may_open(cast, client_as):
    from guanjia.accounts.tests.factories import PostingFactory, UserFactory
    from guanjia.core.roles import Post

    deputy = UserFactory(username="deputy_reader")
    PostingFactory(user=deputy, estate=cast.estate, post=Post.DEPUTY_MANAGER)
    client = client_as("manager")
    client.force_login(deputy)
    page = client.get(reverse("reports:workbench", args=[cast.estate.pk])).content.decode()
    assert 'data-tile="collection_rate"' in page
    assert reverse("billing:collection", args=[cast.estate.pk]) not in page
    assert reverse("billing:reversals", args=[cast.estate.pk]) not in page
    assert reverse("servicedesk:complaints", args=[cast.estate.pk]) in page
    manager_page = client_as("manager").get(reverse("reports:workbench", args=[cast.estate.pk])).content.decode()
    assert reverse("billing:collection", args=[cast.estate.pk]) in manager_page
