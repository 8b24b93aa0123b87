from __future__ import annotations

import datetime
from typing import Annotated

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanjia.accounts import actions
from guanjia.accounts.access import access_my_token, access_posting, access_staff_member, staff_estate
from guanjia.accounts.models import ApiToken, Posting, User
from guanjia.accounts.queries import active_user, postings_of_estate, tokens_of
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
    expires_at: datetime.datetime


@router.get("/me", response=MeOut, operation_id="accounts_me")
def me(request):
    user = request.auth
    scope = scope_of(user)
    postings = [PostingOut(estate_id=e, posts=sorted(p)) for e, p in sorted(scope.posts.items())]
    return MeOut(
        id=user.pk, username=user.username, display_name=str(user), person_id=user.person_id, postings=postings
    )


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
    operation_id="accounts_token",
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
    return Status(201, {"token": token, "name": row.name, "expires_at": row.expires_at})


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
    """Post a login to the estate. Only a post whose capabilities the caller holds in the estate,
    never to the caller, never an owner's or occupant's login; audited."""
    estate = staff_estate(request.auth, estate_id)
    user = active_user(payload.user_id, field="user_id")
    return Status(
        201, actions.post_staff(actor=request.auth, user=user, estate=estate, post=payload.post, since=payload.since)
    )


@router.post("/postings/{posting_id}/end", response={200: PostingRowOut, 400: ErrorOut}, operation_id="postings_end")
def end_posting(request, posting_id: int):
    """Remove a post: the same rules as granting it."""
    return actions.end_posting(actor=request.auth, posting=access_posting(request.auth, posting_id))


class PasswordResetOut(Schema):
    user_id: int
    username: str
    temporary_password: str


@router.post(
    "/estates/{estate_id}/staff/{user_id}/password-reset",
    response={201: PasswordResetOut, 400: ErrorOut},
    operation_id="staff_password_reset",
)
def reset_password(request, estate_id: int, user_id: int):
    """Give a member of the estate's staff a temporary password (shown only in this answer),
    which they must replace at their next sign-in; their API tokens are revoked. Only for staff
    whose every post the caller could grant."""
    estate, member = access_staff_member(request.auth, estate_id, user_id)
    temporary = actions.reset_password(actor=request.auth, estate=estate, user=member)
    return Status(201, {"user_id": member.pk, "username": member.username, "temporary_password": temporary})


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    expires_at: datetime.datetime
    revoked: bool


@router.get("/me/tokens", response=list[ApiTokenOut], operation_id="tokens_list")
def list_tokens(request):
    """The caller's own API tokens, newest first (the token itself is never shown again)."""
    return list(tokens_of(request.auth))


@router.post("/me/tokens/{token_id}/revoke", response=ApiTokenOut, operation_id="tokens_revoke")
def revoke_token(request, token_id: int):
    """Revoke one of the caller's own tokens; from then on it is refused (401)."""
    return actions.revoke_token(actor=request.auth, token=access_my_token(request.auth, token_id))
