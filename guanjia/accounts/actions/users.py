"""Logins: creation and deactivation."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.accounts.actions.tokens import revoke_all_tokens
from guanjia.accounts.models import User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
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
def deactivate_user(*, actor: User | None, user: User) -> User:
    """Close a login: it signs in no more, and its API tokens are revoked, so that turning it
    back on later does not bring old tokens back to life."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked = revoke_all_tokens(actor=actor, user=user, why="deactivated")
    record_change(actor=actor, target=user, verb="deactivate", changes={"is_active": [True, False], "tokens": revoked})
    return user
