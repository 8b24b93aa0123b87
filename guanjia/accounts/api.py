from __future__ import annotations

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanjia.accounts import actions
from guanjia.core.schemas import ErrorOut
from guanjia.core.scope import scope_of

router = Router(tags=["accounts"])


class PostingOut(Schema):
    estate_id: int
    posts: list[str]


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    person_id: int | None
    postings: list[PostingOut]


class TokenIn(Schema):
    username: str
    password: str
    name: str = "api"


class TokenOut(Schema):
    token: str
    name: str


@router.get("/me", response=MeOut, operation_id="accounts_me")
def me(request):
    user = request.auth
    scope = scope_of(user)
    postings = [PostingOut(estate_id=e, posts=sorted(p)) for e, p in sorted(scope.posts.items())]
    return MeOut(
        id=user.pk, username=user.username, display_name=str(user), person_id=user.person_id, postings=postings
    )


@router.post(
    "/auth/token", auth=None, response={201: TokenOut, 401: ErrorOut, 429: ErrorOut}, operation_id="accounts_token"
)
def obtain_token(request, payload: TokenIn):
    """Exchange a username and password for a bearer token (shown once). Repeated failures lock
    the username for 15 minutes, as on the login page."""
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
    except AxesBackendPermissionDenied:
        user = None
    if getattr(request, "axes_locked_out", False):
        return Status(429, {"detail": _("Too many failed attempts; try again in 15 minutes."), "field": "password"})
    if user is None:
        return Status(401, {"detail": _("Wrong username or password."), "field": "password"})
    row, token = actions.issue_api_token(actor=user, user=user, name=payload.name)
    return Status(201, {"token": token, "name": row.name})
