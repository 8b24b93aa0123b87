from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanjia.accounts.models import ApiToken, Posting, User
from guanjia.core.errors import DomainError
from guanjia.core.roles import Post
from guanjia.core.scope import scope_of
from guanjia.people.models import Residency

# Which page a post lands on after login, in order of precedence when one person holds
# several posts in an estate.
HOME_BY_POST = [
    (Post.MANAGER, "reports:workbench"),
    (Post.DEPUTY_MANAGER, "reports:workbench"),
    (Post.HEAD_BUTLER, "servicedesk:workbench"),
    (Post.BUTLER, "reports:butler"),
    (Post.ASSISTANT, "frontdesk:today"),
    (Post.FINANCE, "billing:home"),
    (Post.GENERAL_AFFAIRS, "accounts:staff"),
]


def home_route(user: AbstractBaseUser | AnonymousUser) -> tuple[str, dict]:
    """The URL name and arguments of the home page fitting the user's post."""
    scope = scope_of(user)
    if not scope.posts:
        return ("accounts:portal", {}) if scope.person_id else ("accounts:no_post", {})
    estate_id = min(scope.posts)
    posts = scope.posts[estate_id]
    for post, route in HOME_BY_POST:
        if post in posts:
            return route, {"estate_id": estate_id}
    # Technicians and crews: the requests assigned to them, on the phone-sized list.
    return "servicedesk:my_work", {"estate_id": estate_id}


def active_user(user_id: int, *, field: str) -> User:
    """The active login with this id; a DomainError naming `field` (where the caller took the
    id from) when there is none."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise DomainError(_("No such user."), field=field)
    return user


def postings_of_estate(estate_id: int) -> QuerySet[Posting]:
    return (
        Posting.objects.filter(estate_id=estate_id, active=True)
        .select_related("user")
        .order_by("post", "user__username")
    )


def staff_of(estate_id: int, posts: Collection[str]) -> list[User]:
    """The active users who hold any of these posts in the estate now, each once, the longest
    posted first (the order in which a page or an escalation prefers them)."""
    postings = (
        Posting.objects.filter(estate_id=estate_id, post__in=posts, active=True, user__is_active=True)
        .select_related("user")
        .order_by("id")
    )
    found: dict[int, User] = {}
    for posting in postings:
        found.setdefault(posting.user_id, posting.user)
    return list(found.values())


def residents_with_logins(unit_id: int, relations: Collection[str] = ()) -> list[User]:
    """The active portal logins of the people who live in the unit now (only these relations to
    it, when given), by id. Asked on every parcel check-in: first the unit's residents, from the
    residency index, and only when there are any their logins; two plain queries cost less than
    one join."""
    residencies = Residency.objects.filter(unit_id=unit_id, ended__isnull=True)
    if relations:
        residencies = residencies.filter(relation__in=relations)
    person_ids = list(residencies.values_list("person_id", flat=True))
    if not person_ids:
        return []
    return list(User.objects.filter(is_active=True, person_id__in=person_ids).order_by("pk"))


def login_of(person_id: int | None) -> User | None:
    """The active portal login of an owner or occupant, if they have one."""
    if person_id is None:
        return None
    return User.objects.filter(person_id=person_id, is_active=True).first()


# The tokens page and API list this many of a user's tokens, the newest first: enough for every
# client a person runs, and a bound on a list that grows with every sign-in of a script.
TOKENS_LISTED = 100


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[:TOKENS_LISTED])


def staff_login_named(username: str, *, field: str) -> User:
    """The active login with this username (as people type it: case and spaces aside); a
    DomainError naming `field` when there is none."""
    user = User.objects.filter(username__iexact=username.strip(), is_active=True).first()
    if user is None:
        raise DomainError(_("No such user."), field=field)
    return user
