"""Template context every page gets: who is signed in, their estates and posts, and the menu."""

from __future__ import annotations

from django.apps import apps
from django.http import HttpRequest

from guanjia.core.navigation import menu
from guanjia.core.roles import CAPABILITIES, Post
from guanjia.core.scope import scope_of


def estate_name(estate_id: int) -> str:
    # By the app registry: core sits below estates in the app graph.
    estate_model = apps.get_model("estates", "Estate")
    return estate_model.objects.filter(pk=estate_id).values_list("name", flat=True).first() or ""


def staff_context(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_of(user)
    estate_id = None
    match = getattr(request, "resolver_match", None)
    if match is not None:
        estate_id = match.kwargs.get("estate_id")
    if estate_id not in scope.posts:
        # A page of an object (a unit, a request) or of an estate the person holds no post in:
        # the menu stays on the estate they work in.
        estate_id = min(scope.posts) if scope.posts else None
    posts = scope.posts.get(estate_id, set()) if estate_id else set()
    capabilities: set[str] = set()
    for post in posts:
        capabilities |= CAPABILITIES.get(post, frozenset())
    is_owner = scope.person_id is not None and not scope.posts
    groups = []
    if posts:
        view_name = match.view_name if match is not None else ""
        groups = menu(user=user, estate_id=estate_id, capabilities=capabilities, view_name=view_name)
    return {
        "nav_estate_id": estate_id,
        "nav_estate_name": estate_name(estate_id) if estate_id and len(scope.posts) > 1 else "",
        "nav_posts": [Post(p).label for p in sorted(posts)],
        "nav_capabilities": capabilities,
        "nav_is_owner": is_owner,
        "nav_groups": groups,
    }
