"""API tokens expire, are listed and revoked by their owner, and die with a password change, a
reset or the login's deactivation; the password-change page; a manager's password reset with a
forced change at the next sign-in (issue 11, item 7)."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanjia.accounts import actions
from guanjia.accounts.models import ApiToken, User
from guanjia.core.audit import history_of
from guanjia.core.roles import Post
from tests.support import PASSWORD, make_staff

NEW_PASSWORD = "blue-lantern-harbour-9"


def obtain_token(client, username: str, password: str = PASSWORD):
    return client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password, "name": "值班手机"}),
        content_type="application/json",
    )


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def me_status(token: str) -> int:
    return Client().get("/api/v1/me", headers=bearer(token)).status_code


@pytest.fixture
def token(cast) -> str:
    return actions.issue_api_token(actor=cast.assistant, user=cast.assistant, name="前台平板")[1]


# Lifetime ------------------------------------------------------------------------------


def test_a_token_lives_for_the_configured_days(client, cast, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 7
    before = timezone.now()
    response = obtain_token(client, "assistant")
    assert response.status_code == 201
    expires = datetime.datetime.fromisoformat(response.json()["expires_at"])
    assert before + datetime.timedelta(days=7) <= expires <= timezone.now() + datetime.timedelta(days=7)
    assert me_status(response.json()["token"]) == 200


def test_an_expired_token_is_401(cast, token):
    assert me_status(token) == 200
    ApiToken.objects.filter(user=cast.assistant).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert me_status(token) == 401
    units = Client().get(f"/api/v1/units/{cast.unit_a.pk}", headers=bearer(token))
    assert units.status_code == 401


# Listing and revoking ------------------------------------------------------------------


def test_the_owner_lists_their_tokens_and_nobody_elses(cast, token):
    actions.issue_api_token(actor=cast.manager, user=cast.manager, name="经理电脑")
    response = Client().get("/api/v1/me/tokens", headers=bearer(token))
    assert response.status_code == 200
    listed = response.json()
    assert [row["name"] for row in listed] == ["前台平板"]
    assert listed[0]["prefix"] == token[:8] and not listed[0]["revoked"]
    assert "digest" not in listed[0] and token not in response.content.decode()

    client = Client()
    client.force_login(cast.assistant)
    page = client.get(reverse("accounts:tokens")).content.decode()
    assert "前台平板" in page and "经理电脑" not in page


def test_a_token_revoked_through_the_api_is_401(cast, token):
    row = ApiToken.objects.get(user=cast.assistant)
    response = Client().post(f"/api/v1/me/tokens/{row.pk}/revoke", headers=bearer(token))
    assert response.status_code == 200 and response.json()["revoked"]
    assert me_status(token) == 401
    revoked = history_of(cast.assistant).get(verb="revoke_token")
    assert revoked.actor == cast.assistant


def test_a_token_revoked_on_the_page_is_401(client, cast, token):
    row = ApiToken.objects.get(user=cast.assistant)
    client.force_login(cast.assistant)
    response = client.post(reverse("accounts:token_revoke", kwargs={"token_id": row.pk}))
    assert response.status_code == 302
    assert me_status(token) == 401


def test_revoke_all_on_the_page(client, cast, token):
    second = actions.issue_api_token(actor=cast.assistant, user=cast.assistant, name="扫码枪")[1]
    client.force_login(cast.assistant)
    assert client.post(reverse("accounts:tokens")).status_code == 302
    assert me_status(token) == me_status(second) == 401


def test_nobody_revokes_another_users_token(client, cast, token, unchanged):
    row = ApiToken.objects.get(user=cast.assistant)
    _, manager_token = actions.issue_api_token(actor=cast.manager, user=cast.manager, name="经理电脑")
    assert me_status(manager_token) == 200  # its first use is stamped before the refusals
    with unchanged():
        by_api = Client().post(f"/api/v1/me/tokens/{row.pk}/revoke", headers=bearer(manager_token))
    assert by_api.status_code == 404
    client.force_login(cast.manager)
    with unchanged():
        by_page = client.post(reverse("accounts:token_revoke", kwargs={"token_id": row.pk}))
    assert by_page.status_code == 404
    assert me_status(token) == 200


# Password change -----------------------------------------------------------------------


def change_on_page(client, old: str, new: str, again: str | None = None):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new if again is None else again},
    )


def test_a_password_change_revokes_every_token_and_other_sessions(client, cast, token):
    elsewhere = Client()
    elsewhere.force_login(cast.assistant)
    client.force_login(cast.assistant)
    assert client.get(reverse("accounts:password_change")).status_code == 200

    response = change_on_page(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert me_status(token) == 401
    assert client.get("/api/v1/me").status_code == 200  # this session stays signed in
    assert elsewhere.get("/api/v1/me").status_code == 401  # the others end
    cast.assistant.refresh_from_db()
    assert cast.assistant.check_password(NEW_PASSWORD)
    assert history_of(cast.assistant).filter(verb="change_password", actor=cast.assistant).exists()
    # The new password gets a new token; the old password gets none.
    assert obtain_token(Client(), "assistant", NEW_PASSWORD).status_code == 201


@pytest.mark.parametrize(
    ("old", "new", "again", "field_message"),
    [
        ("wrong-password-1", NEW_PASSWORD, None, "当前密码输入错误"),
        (PASSWORD, "short", None, "密码长度太短"),
        (PASSWORD, "12345678901", None, "只包含数字"),
        (PASSWORD, "password123", None, "太常见"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, None, "不能与当前密码相同"),
    ],
)
def test_a_refused_password_change_writes_nothing(client, cast, token, unchanged, old, new, again, field_message):
    client.force_login(cast.assistant)
    with unchanged():
        response = change_on_page(client, old, new, again)
    assert response.status_code == 400
    assert field_message in response.content.decode(), response.context["form"].errors
    assert me_status(token) == 200


def test_deactivation_revokes_tokens_for_good(cast, token):
    call_command("deactivate_login", "assistant", stdout=io.StringIO())
    assert not User.objects.get(pk=cast.assistant.pk).is_active
    assert me_status(token) == 401
    User.objects.filter(pk=cast.assistant.pk).update(is_active=True)  # turned back on later
    assert me_status(token) == 401


# A manager's password reset ------------------------------------------------------------


def reset_by_api(actor, estate, member):
    client = Client()
    client.force_login(actor)
    return client.post(f"/api/v1/estates/{estate.pk}/staff/{member.pk}/password-reset")


def reset_by_page(actor, estate, member):
    client = Client()
    client.force_login(actor)
    return client.post(reverse("accounts:password_reset", kwargs={"estate_id": estate.pk, "user_id": member.pk}))


def test_a_reset_gives_a_temporary_password_that_only_leads_to_a_change(cast, token):
    response = reset_by_api(cast.manager, cast.estate, cast.assistant)
    assert response.status_code == 201
    temporary = response.json()["temporary_password"]
    assert len(temporary) >= 12
    assert me_status(token) == 401
    reset = history_of(cast.assistant).get(verb="reset_password")
    assert (reset.actor, reset.estate_id) == (cast.manager, cast.estate.pk)

    # The old password is gone; the temporary one signs in, but only to change it.
    assert obtain_token(Client(), "assistant").status_code == 401
    assert obtain_token(Client(), "assistant", temporary).status_code == 400
    client = Client()
    assert client.post(reverse("login"), {"username": "assistant", "password": temporary}).status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home.url == reverse("accounts:password_change")
    assert client.get(reverse("people:frontdesk", kwargs={"estate_id": cast.estate.pk})).status_code == 302
    assert client.get("/api/v1/me").status_code == 403
    assert change_on_page(client, temporary, NEW_PASSWORD).status_code == 302
    assert client.get(reverse("people:frontdesk", kwargs={"estate_id": cast.estate.pk})).status_code == 200
    assert obtain_token(Client(), "assistant", NEW_PASSWORD).status_code == 201


def test_a_reset_on_the_page_shows_the_password_once_and_is_not_cached(cast):
    response = reset_by_page(cast.manager, cast.estate, cast.finance)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    temporary = response.context["temporary"]
    assert temporary in response.content.decode()
    cast.finance.refresh_from_db()
    assert cast.finance.check_password(temporary) and cast.finance.must_change_password


@pytest.mark.parametrize("reset", [reset_by_api, reset_by_page], ids=["api", "page"])
def test_refused_resets_write_nothing(cast, unchanged, reset):
    deputy = make_staff("deputy", "何副经理", cast.estate, Post.DEPUTY_MANAGER)
    other_manager = make_staff("other_manager", "孙经理", cast.other_estate, Post.MANAGER)
    # A butler here who is manager in the other estate: the manager here may not take that over.
    cast.butler.postings.create(estate=cast.other_estate, post=Post.MANAGER)
    refusals = [
        (deputy, cast.estate, cast.head_butler, 400),  # a head butler unmasks; a deputy does not
        (deputy, cast.estate, cast.manager, 400),
        (cast.manager, cast.estate, cast.manager, 400),  # one's own: the password-change page
        (cast.manager, cast.estate, cast.butler, 400),
        (other_manager, cast.estate, cast.assistant, 404),  # another estate's manager
        (cast.manager, cast.estate, cast.owner, 404),  # an owner is not staff of the estate
        (cast.head_butler, cast.estate, cast.assistant, 404),  # sees the staff, manages none
    ]
    for actor, estate, member, status in refusals:
        with unchanged():
            response = reset(actor, estate, member)
        assert response.status_code == status, (actor, member, response.content)
    assert User.objects.filter(must_change_password=True).count() == 0
