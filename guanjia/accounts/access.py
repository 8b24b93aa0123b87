"""Who is asking, as the user model."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from guanjia.accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The login of a page behind login_required: never anonymous there (404 if it were)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user
