"""Granting and removing posts (issue 11, item 1): nobody grants or removes a post whose
capabilities they do not hold in that estate, nobody changes their own posts, an owner's login
is never made staff, another estate's manager finds nothing, and every grant and removal is in
the audit log. Each refusal through the API and through the staff page, with nothing written."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from guanjia.accounts.models import Posting, User
from guanjia.accounts.tests.factories import UserFactory
from guanjia.core.audit import history_of
from guanjia.core.roles import Post
from tests.support import make_staff

API_POSTINGS = "/api/v1/estates/{}/postings"


@pytest.fixture
def deputy(cast):
    return make_staff("deputy", "何副经理", cast.estate, Post.DEPUTY_MANAGER)


@pytest.fixture
def other_manager(cast):
    """The manager of the other estate, 云栖苑."""
    return make_staff("other_manager", "孙经理", cast.other_estate, Post.MANAGER)


def grant_by_api(client, actor, estate, user, post):
    client.force_login(actor)
    return client.post(
        API_POSTINGS.format(estate.pk),
        json.dumps({"user_id": user.pk, "post": post}),
        content_type="application/json",
    )


def grant_by_page(client, actor, estate, user, post):
    client.force_login(actor)
    return client.post(
        reverse("accounts:posting_create", kwargs={"estate_id": estate.pk}),
        {"username": user.username, "post": post},
    )


def end_by_api(client, actor, posting):
    client.force_login(actor)
    return client.post(f"/api/v1/postings/{posting.pk}/end")


def end_by_page(client, actor, posting):
    client.force_login(actor)
    return client.post(reverse("accounts:posting_end", kwargs={"posting_id": posting.pk}))


GRANT = {"api": grant_by_api, "page": grant_by_page}
END = {"api": end_by_api, "page": end_by_page}
WAYS = sorted(GRANT)


def posting_of(user: User, post: str) -> Posting:
    return Posting.objects.get(user=user, post=post)


def refused(response, way: str, fragment: str = "") -> None:
    """A 400 in the API naming the problem; the page shown again (400) with the message."""
    assert response.status_code == 400, response.content
    body = response.json()["detail"] if way == "api" else response.content.decode()
    assert fragment in body


@pytest.mark.parametrize("way", WAYS)
def test_deputy_cannot_post_themselves_manager(client, cast, deputy, unchanged, way):
    with unchanged():
        response = GRANT[way](client, deputy, cast.estate, deputy, Post.MANAGER)
    refused(response, way)
    assert not Posting.objects.filter(user=deputy, post=Post.MANAGER).exists()


@pytest.mark.parametrize("way", WAYS)
def test_nobody_changes_their_own_posts_even_within_their_capabilities(client, cast, deputy, unchanged, way):
    # An assistant's capabilities are all a deputy's: still not for themselves.
    with unchanged():
        response = GRANT[way](client, deputy, cast.estate, deputy, Post.ASSISTANT)
    refused(response, way, "自己")
    with unchanged():
        response = END[way](client, cast.manager, posting_of(cast.manager, Post.MANAGER))
    refused(response, way, "自己")
    assert posting_of(cast.manager, Post.MANAGER).active


@pytest.mark.parametrize("way", WAYS)
def test_deputy_cannot_grant_manager_to_someone_else(client, cast, deputy, unchanged, way):
    with unchanged():
        response = GRANT[way](client, deputy, cast.estate, cast.assistant, Post.MANAGER)
    refused(response, way)
    # Nor a head butler's post: it sees full phone numbers, which a deputy does not.
    with unchanged():
        response = GRANT[way](client, deputy, cast.estate, cast.assistant, Post.HEAD_BUTLER)
    refused(response, way)
    assert set(cast.assistant.postings.values_list("post", flat=True)) == {Post.ASSISTANT}


@pytest.mark.parametrize("way", WAYS)
def test_manager_of_another_estate_gets_404(client, cast, other_manager, unchanged, way):
    with unchanged():
        response = GRANT[way](client, other_manager, cast.estate, other_manager, Post.MANAGER)
    assert response.status_code == 404
    with unchanged():
        response = GRANT[way](client, other_manager, cast.estate, cast.assistant, Post.HEAD_BUTLER)
    assert response.status_code == 404
    with unchanged():
        response = END[way](client, other_manager, posting_of(cast.manager, Post.MANAGER))
    assert response.status_code == 404
    assert posting_of(cast.manager, Post.MANAGER).active


@pytest.mark.parametrize("way", WAYS)
def test_an_owners_login_is_never_made_staff(client, cast, other_manager, unchanged, way):
    # Neither by the manager of the estate the owner lives in, nor by another estate's manager
    # in their own estate.
    with unchanged():
        response = GRANT[way](client, cast.manager, cast.estate, cast.owner, Post.HEAD_BUTLER)
    refused(response, way, "业主")
    with unchanged():
        response = GRANT[way](client, other_manager, cast.other_estate, cast.owner, Post.HEAD_BUTLER)
    refused(response, way, "业主")
    assert not Posting.objects.filter(user=cast.owner).exists()


@pytest.mark.parametrize("way", WAYS)
def test_nobody_removes_a_post_above_their_own(client, cast, deputy, unchanged, way):
    for above in (posting_of(cast.manager, Post.MANAGER), posting_of(cast.head_butler, Post.HEAD_BUTLER)):
        with unchanged():
            response = END[way](client, deputy, above)
        refused(response, way)
        above.refresh_from_db()
        assert above.active


@pytest.mark.parametrize("way", WAYS)
def test_grant_and_removal_within_ones_capabilities_are_audited(client, cast, deputy, way):
    response = GRANT[way](client, deputy, cast.estate, cast.finance, Post.ASSISTANT)
    assert response.status_code in (201, 302), response.content
    posting = posting_of(cast.finance, Post.ASSISTANT)
    assert posting.active and posting.estate == cast.estate
    granted = history_of(cast.finance).get(verb="post")
    assert (granted.actor, granted.estate_id, granted.changes) == (
        deputy,
        cast.estate.pk,
        {"post": [None, "assistant"]},
    )

    response = END[way](client, deputy, posting)
    assert response.status_code in (200, 302), response.content
    posting.refresh_from_db()
    assert not posting.active
    removed = history_of(cast.finance).get(verb="end_post")
    assert (removed.actor, removed.estate_id, removed.changes) == (
        deputy,
        cast.estate.pk,
        {"post": ["assistant", None]},
    )

    # An ended post may be granted again (the same row comes back to life).
    response = GRANT[way](client, deputy, cast.estate, cast.finance, Post.ASSISTANT)
    assert response.status_code in (201, 302), response.content
    assert posting_of(cast.finance, Post.ASSISTANT).active
    assert history_of(cast.finance).filter(verb="post").count() == 2


@pytest.mark.parametrize("way", WAYS)
def test_a_manager_posts_butlers_and_technicians(client, cast, way):
    # A butler's zone-limited capabilities are covered by the manager's estate-wide ones, and
    # receiving assigned work is a duty, not a power a manager must hold to grant it.
    newcomer = UserFactory(username="newcomer", display_name="新管家")
    for post in (Post.BUTLER, Post.TECHNICIAN, Post.FINANCE, Post.HEAD_BUTLER):
        response = GRANT[way](client, cast.manager, cast.estate, newcomer, post)
        assert response.status_code in (201, 302), (post, response.content)
    assert set(newcomer.postings.values_list("post", flat=True)) == {"butler", "technician", "finance", "head_butler"}


def test_the_staff_page_offers_only_the_posts_one_may_grant(client, cast, deputy):
    client.force_login(deputy)
    body = client.get(reverse("accounts:staff", kwargs={"estate_id": cast.estate.pk})).content.decode()
    assert 'value="assistant"' in body and 'value="technician"' in body
    assert 'value="butler"' not in body  # a butler unmasks and sees bills; a deputy does neither
    assert 'value="manager"' not in body
    assert 'value="head_butler"' not in body
    # A head butler sees the staff but may change no post.
    client.force_login(cast.head_butler)
    body = client.get(reverse("accounts:staff", kwargs={"estate_id": cast.estate.pk})).content.decode()
    assert reverse("accounts:posting_create", kwargs={"estate_id": cast.estate.pk}) not in body


def test_an_unknown_username_on_the_page_is_a_field_error(client, cast, unchanged):
    client.force_login(cast.manager)
    with unchanged():
        response = client.post(
            reverse("accounts:posting_create", kwargs={"estate_id": cast.estate.pk}),
            {"username": "nobody-here", "post": Post.ASSISTANT},
        )
    assert response.status_code == 400
    assert "没有该用户" in response.content.decode()
