"""Every write to logins, postings and API tokens. `actor` None is the system (the demo loader)."""

from __future__ import annotations

import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import ApiToken, Posting, User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.roles import Post
from guanjia.core.scope import forget_scope
from guanjia.estates.models import Estate
from guanjia.people.models import Person


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    username: str,
    password: str,
    display_name: str = "",
    person: Person | None = None,
    check_password: bool = True,
) -> User:
    username = username.strip()
    if not username:
        raise DomainError(_("Enter a username."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This username is taken."), field="username")
    user = User(username=username, display_name=display_name, person=person)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise DomainError(" ".join(error.messages), field="password") from None
    user.set_password(password)
    user.save()
    record_change(
        actor=actor,
        target=user,
        verb="create",
        estate_id=person.estate_id if person is not None else None,
        changes={"username": [None, username]},
    )
    return user


@transaction.atomic
def post_staff(
    *, actor: User | None, user: User, estate: Estate, post: str, since: datetime.date | None = None
) -> Posting:
    if post not in Post.values:
        raise DomainError(_("Choose a post from the list."), field="post")
    try:
        with transaction.atomic():
            posting = Posting.objects.create(user=user, estate=estate, post=post, since=since)
    except IntegrityError:
        raise DomainError(_("This person already holds this post in the estate."), field="post") from None
    forget_scope(user)
    record_change(actor=actor, target=user, verb="post", estate_id=estate.pk, changes={"post": [None, post]})
    return posting


@transaction.atomic
def end_posting(*, actor: User, posting: Posting) -> Posting:
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    if not posting.active:
        raise DomainError(_("This posting has already ended."), field="post")
    posting.active = False
    posting.save(update_fields=["active"])
    record_change(
        actor=actor,
        target=posting.user,
        verb="end_post",
        estate_id=posting.estate_id,
        changes={"post": [posting.post, None]},
    )
    return posting


@transaction.atomic
def issue_api_token(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is never stored and shown only now."""
    if not name.strip():
        raise DomainError(_("Name the token after the client that will use it."), field="name")
    token = ApiToken.new_token()
    row = ApiToken.objects.create(user=user, name=name.strip()[:60], digest=ApiToken.digest_of(token), prefix=token[:8])
    record_change(actor=actor, target=user, verb="issue_token", changes={"token": [None, row.prefix + "…"]})
    return row, token


def user_for_token(token: str) -> User:
    """The active user of a live (unrevoked) token; ApiToken.DoesNotExist for any other token."""
    row = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(token), revoked=False).first()
    if row is None or not row.user.is_active:
        raise ApiToken.DoesNotExist
    # Touch at most once a minute: a write per API call would cost more than the call.
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
