from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from guanjia.accounts.models import Posting
from guanjia.core.roles import Post
from guanjia.core.scope import scope_of

# Which page a post lands on after login, in order of precedence when one person holds
# several posts in an estate.
HOME_BY_POST = [
    (Post.MANAGER, "estates:dashboard"),
    (Post.DEPUTY_MANAGER, "estates:dashboard"),
    (Post.HEAD_BUTLER, "estates:dashboard"),
    (Post.BUTLER, "estates:my_zone"),
    (Post.ASSISTANT, "people:frontdesk"),
    (Post.FINANCE, "estates:units"),
    (Post.GENERAL_AFFAIRS, "accounts:staff"),
]


def home_route(user: Any) -> tuple[str, dict]:
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


def postings_of_estate(estate_id: int) -> QuerySet[Posting]:
    return (
        Posting.objects.filter(estate_id=estate_id, active=True)
        .select_related("user")
        .order_by("post", "user__username")
    )
