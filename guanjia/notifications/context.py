"""The unread badge in the top bar, on every page of a signed-in person."""

from __future__ import annotations

from django.http import HttpRequest

from guanjia.notifications.queries import unread_count


def unread_badge(request: HttpRequest) -> dict[str, int]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread": unread_count(user)}
