"""Granting and removing posts. The rules hold for every caller with an actor (the API, the
staff page, a manager's password reset); `actor` None is the system (the demo loader):

- the actor manages the staff of the estate (MANAGE_STAFF there);
- nobody changes their own posts;
- nobody grants or removes a post whose capabilities they do not all hold in that estate
  themselves (a deputy makes no manager, and removes none);
- a login linked to an owner archive entry (an owner's or occupant's portal login) is never
  made staff;
- every grant and removal is in the audit log: who (actor), whom (target), which post
  (changes), which estate (estate_id)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanjia.accounts.access import capabilities_in, holds_powers_of
from guanjia.accounts.models import Posting, User
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.roles import Capability, Post
from guanjia.core.scope import forget_scope
from guanjia.estates.models import Estate


def check_may_change_post(*, actor: User, estate_id: int, user: User, post: str) -> None:
    """Refuse the actor granting or removing this post of this user in the estate."""
    held = capabilities_in(actor, estate_id)
    if Capability.MANAGE_STAFF not in held:
        raise DomainError(_("You do not manage the staff of this estate."), field="post")
    if user.pk == actor.pk:
        raise DomainError(_("Nobody changes their own posts: ask another manager."), field="user_id")
    if not holds_powers_of(held, post):
        raise DomainError(
            _(
                "This post may do more than you may in this estate: only someone who holds all it"
                " may do grants or removes it."
            ),
            field="post",
        )


def check_staff_login(user: User) -> None:
    """An owner's or occupant's portal login never becomes a member of staff: staff get a
    login of their own."""
    if user.person_id is not None:
        raise DomainError(
            _("This is the portal login of an owner or occupant; staff need a login of their own."),
            field="user_id",
        )
    if not user.is_active:
        raise DomainError(_("No such user."), field="user_id")


@transaction.atomic
def post_staff(
    *, actor: User | None, user: User, estate: Estate, post: str, since: datetime.date | None = None
) -> Posting:
    if post not in Post.values:
        raise DomainError(_("Choose a post from the list."), field="post")
    check_staff_login(user)
    if actor is not None:
        check_may_change_post(actor=actor, estate_id=estate.pk, user=user, post=post)
    posting = reopen_or_create(user=user, estate=estate, post=post, since=since)
    forget_scope(user)
    record_change(actor=actor, target=user, verb="post", estate_id=estate.pk, changes={"post": [None, post]})
    return posting


def reopen_or_create(*, user: User, estate: Estate, post: str, since: datetime.date | None) -> Posting:
    """The posting, active: an ended one of the same post comes back (one row per user, estate
    and post is a constraint), else a new one."""
    ended = Posting.objects.select_for_update().filter(user=user, estate=estate, post=post).first()
    if ended is not None and not ended.active:
        ended.active = True
        ended.since = since
        ended.save(update_fields=["active", "since"])
        return ended
    if ended is not None:
        raise DomainError(_("This person already holds this post in the estate."), field="post")
    try:
        with transaction.atomic():
            return Posting.objects.create(user=user, estate=estate, post=post, since=since)
    except IntegrityError:
        raise DomainError(_("This person already holds this post in the estate."), field="post") from None


@transaction.atomic
def end_posting(*, actor: User | None, posting: Posting) -> Posting:
    posting = Posting.objects.select_for_update().select_related("user").get(pk=posting.pk)
    if not posting.active:
        raise DomainError(_("This posting has already ended."), field="post")
    if actor is not None:
        check_may_change_post(actor=actor, estate_id=posting.estate_id, user=posting.user, post=posting.post)
    posting.active = False
    posting.save(update_fields=["active"])
    forget_scope(posting.user)
    record_change(
        actor=actor,
        target=posting.user,
        verb="end_post",
        estate_id=posting.estate_id,
        changes={"post": [posting.post, None]},
    )
    return posting
