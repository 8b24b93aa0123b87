"""API tokens: issued for a lifetime (settings.API_TOKEN_LIFETIME_DAYS), listed and revoked by
their owner, all revoked when the password changes or the login is closed.

A token is not tied to a browser session: a client obtains it with the username and password
(POST /api/v1/auth/token), never from a signed-in page, so signing out of a page leaves the
user's tokens alone. Their owner revokes them on the tokens page (one or all at once); a
password change or reset revokes them all (docs/decisions/0006-api-tokens.md)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import ApiToken, User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError


def token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


@transaction.atomic
def issue_api_token(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is never stored and shown only now."""
    if not name.strip():
        raise DomainError(_("Name the token after the client that will use it."), field="name")
    if user.must_change_password:
        raise DomainError(_("Change your temporary password on the website first."), field="password")
    token = ApiToken.new_token()
    row = ApiToken.objects.create(
        user=user,
        name=name.strip()[:60],
        digest=ApiToken.digest_of(token),
        prefix=token[:8],
        expires_at=timezone.now() + token_lifetime(),
    )
    record_change(actor=actor, target=user, verb="issue_token", changes={"token": [None, row.prefix + "…"]})
    return row, token


def user_for_token(token: str) -> User:
    """The active user of a live token (neither revoked nor expired); ApiToken.DoesNotExist for
    any other token."""
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(token), revoked=False, expires_at__gt=now)
        .first()
    )
    if row is None or not row.user.is_active:
        raise ApiToken.DoesNotExist
    # Touch at most once a minute: a write per API call would cost more than the call.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


@transaction.atomic
def revoke_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one token (again is no error: the owner's intent holds)."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not token.revoked:
        token.revoked = True
        token.save(update_fields=["revoked"])
        record_change(
            actor=actor, target=token.user, verb="revoke_token", changes={"token": [token.prefix + "…", None]}
        )
    return token


def revoke_all_tokens(*, actor: User | None, user: User, why: str) -> int:
    """Revoke every token of the user still unrevoked; how many. Called inside the action that
    gives the reason (password change, reset, deactivation, the owner's "revoke all")."""
    revoked = ApiToken.objects.filter(user=user, revoked=False).update(revoked=True)
    if revoked:
        record_change(actor=actor, target=user, verb="revoke_tokens", changes={"tokens": revoked}, note=why)
    return revoked


@transaction.atomic
def revoke_my_tokens(*, actor: User) -> int:
    return revoke_all_tokens(actor=actor, user=actor, why="by owner")
