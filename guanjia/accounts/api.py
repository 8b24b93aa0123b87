from __future__ import annotations

import datetime
from typing import Annotated

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanjia.accounts import actions
from guanjia.accounts.models import ApiToken, Posting, User
from guanjia.accounts.queries import active_user, postings_of_estate
from guanjia.core.roles import Capability
from guanjia.core.schemas import ErrorOut, RowId, column
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate

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
    username: Annotated[str, column(User, "username")]
    password: str
    name: Annotated[str, column(ApiToken, "name")] = "api"


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


class PostingRowOut(Schema):
    id: int
    user_id: int
    username: str
    display_name: str
    post: str
    since: datetime.date | None

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj) -> str:
        return str(obj.user)


class PostingIn(Schema):
    user_id: RowId
    post: Annotated[str, column(Posting, "post")]
    since: datetime.date | None = None


@router.get("/estates/{estate_id}/postings", response=list[PostingRowOut], operation_id="postings_list")
def list_postings(request, estate_id: int):
    estate = access_estate(request.auth, estate_id, Capability.VIEW_STAFF)
    return list(postings_of_estate(estate.pk))


@router.post(
    "/estates/{estate_id}/postings", response={201: PostingRowOut, 400: ErrorOut}, operation_id="postings_create"
)
def create_posting(request, estate_id: int, payload: PostingIn):
    estate = access_estate(request.auth, estate_id, Capability.MANAGE_STAFF)
    user = active_user(payload.user_id, field="user_id")
    return Status(
        201, actions.post_staff(actor=request.auth, user=user, estate=estate, post=payload.post, since=payload.since)
    )
