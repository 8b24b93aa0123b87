"""Template context every page gets: who is signed in, their estates and posts."""

from __future__ import annotations

from django.http import HttpRequest

from guanjia.core.roles import CAPABILITIES, Post
from guanjia.core.scope import scope_of


def staff_context(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_of(user)
    estate_id = None
    match = getattr(request, "resolver_match", None)
    if match is not None:
        estate_id = match.kwargs.get("estate_id")
    if estate_id is None and scope.posts:
        estate_id = min(scope.posts)
    posts = scope.posts.get(estate_id, set()) if estate_id else set()
    capabilities: set[str] = set()
    for post in posts:
        capabilities |= CAPABILITIES.get(post, frozenset())
    return {
        "nav_estate_id": estate_id,
        "nav_posts": [Post(p).label for p in sorted(posts)],
        "nav_capabilities": capabilities,
        "nav_is_owner": scope.person_id is not None and not scope.posts,
    }
