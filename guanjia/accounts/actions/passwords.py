"""Password change by the user and reset by a manager. Either revokes every API token of the
login; Django's session hash signs every other session of the login out on its own."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from guanjia.accounts.actions.postings import check_may_change_post, check_staff_login
from guanjia.accounts.actions.tokens import revoke_all_tokens
from guanjia.accounts.models import Posting, User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.estates.models import Estate

# Django 5.2 words its length rule anew ("%d" in place of "%(min_length)d") and its Chinese
# catalogue still has only the old wording: naming the new one here puts it in ours.
LENGTH_RULE = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)

# Letters and digits that cannot be mistaken for each other when read aloud or copied by hand.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 12


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str) -> User:
    """The signed-in user chooses a new password, giving the current one."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password):
        raise DomainError(_("Your current password was entered incorrectly."), field="old_password")
    if new_password == old_password:
        raise DomainError(_("Choose a password different from the current one."), field="new_password1")
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="new_password1") from None
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    revoked = revoke_all_tokens(actor=user, user=user, why="password changed")
    record_change(actor=user, target=user, verb="change_password", changes={"tokens": revoked})
    return user


def new_temporary_password() -> str:
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))


@transaction.atomic
def reset_password(*, actor: User, estate: Estate, user: User) -> str:
    """A manager (or deputy) of the estate gives a member of its staff a temporary password,
    returned to be shown once: it only lets its holder choose a new password at their next
    sign-in. Allowed only where the actor could grant every post the member holds, in every
    estate (else a manager of one estate could take over a login that is manager elsewhere)."""
    check_staff_login(user)
    postings = list(Posting.objects.filter(user=user, active=True).order_by("estate_id", "post"))
    if not any(posting.estate_id == estate.pk for posting in postings):
        raise DomainError(_("This person holds no post in the estate."), field="user_id")
    for posting in postings:
        check_may_change_post(actor=actor, estate_id=posting.estate_id, user=user, post=posting.post)
    user = User.objects.select_for_update().get(pk=user.pk)
    temporary = new_temporary_password()
    user.set_password(temporary)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    revoked = revoke_all_tokens(actor=actor, user=user, why="password reset")
    record_change(actor=actor, target=user, verb="reset_password", estate_id=estate.pk, changes={"tokens": revoked})
    return temporary
