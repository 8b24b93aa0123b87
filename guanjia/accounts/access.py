"""Who is asking, and which logins, postings and tokens they may reach. Missing and forbidden
both raise Http404; what a person may reach but not do is refused by the actions (400)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest

from guanjia.accounts.models import ApiToken, Posting, User
from guanjia.core.roles import CAPABILITIES, Capability, Post, covers, powers_of
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate
from guanjia.estates.models import Estate

AnyUser = AbstractBaseUser | AnonymousUser


def signed_in_user(request: HttpRequest) -> User:
    """The login of a page behind login_required: never anonymous there (404 if it were)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user


def staff_estate(user: AnyUser, estate_id: int) -> Estate:
    """An estate whose staff the user manages (grants and removes posts, resets passwords)."""
    return access_estate(user, estate_id, Capability.MANAGE_STAFF)


def capabilities_in(user: User, estate_id: int) -> frozenset[str]:
    """What the user may do in the estate, read afresh (not from the request's scope: a post
    ended a moment ago must not lend its capabilities to a grant)."""
    held: set[str] = set()
    for post in user.load_posts_in(estate_id):
        held |= CAPABILITIES.get(post, frozenset())
    return frozenset(held)


def grantable_posts(actor: User, estate_id: int) -> list[str]:
    """The posts the actor may grant or remove in the estate, in the order of Post."""
    held = capabilities_in(actor, estate_id)
    if Capability.MANAGE_STAFF not in held:
        return []
    return [post for post in Post.values if holds_powers_of(held, post)]


def holds_powers_of(held: frozenset[str], post: str) -> bool:
    """Whether capabilities held cover every power of the post (core.roles.covers)."""
    return all(covers(held, capability) for capability in powers_of(post))


def access_posting(user: AnyUser, posting_id: int) -> Posting:
    """An active posting of an estate whose staff the user manages."""
    posting = Posting.objects.select_related("user", "estate").filter(pk=posting_id, active=True).first()
    if posting is None or not scope_of(user).can(posting.estate_id, Capability.MANAGE_STAFF):
        raise Http404
    return posting


def access_staff_member(user: AnyUser, estate_id: int, user_id: int) -> tuple[Estate, User]:
    """A login posted in an estate whose staff the user manages, with that estate. A login not
    posted there is missing, like one that does not exist."""
    estate = staff_estate(user, estate_id)
    member = User.objects.filter(pk=user_id, postings__estate_id=estate.pk, postings__active=True).distinct().first()
    if member is None:
        raise Http404
    return estate, member


def access_my_token(user: AnyUser, token_id: int) -> ApiToken:
    """One of the user's own API tokens; anybody else's is missing."""
    if not isinstance(user, User):
        raise Http404
    token = ApiToken.objects.filter(pk=token_id, user_id=user.pk).first()
    if token is None:
        raise Http404
    return token
