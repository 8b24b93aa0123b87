"""The one JSON API: /api/v1, OpenAPI at /api/docs. Session login for pages (with CSRF),
bearer tokens for API clients."""

from __future__ import annotations

from typing import Any

from django.db import DataError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import HttpBearer, SessionAuth

from guanjia.core.errors import DomainError, input_error


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from guanjia.accounts.actions import user_for_token
        from guanjia.accounts.models import ApiToken

        try:
            user = user_for_token(token)
        except ApiToken.DoesNotExist:
            return None  # not signed in by token: the session is tried next, then 401
        request.user = user
        return user


api = NinjaAPI(
    title="Guanjia API",
    version="1",
    description="管家 — property service center API. Phone and ID numbers are masked unless stated.",
    # The bearer token first: SessionAuth checks CSRF before anything else, so a token client's
    # POST would be refused (403) if the session came first. Without a token, the session (and
    # its CSRF check) applies as before.
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError):
    return api.create_response(request, error.as_dict(), status=400)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, error: ValidationError):
    """A value the schema refuses (a date that does not exist, a number too big for its column,
    text too long) answers like every other bad field: 400, naming it; never pydantic's 422."""
    return api.create_response(request, input_error(list(error.errors)).as_dict(), status=400)


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def number_out_of_range(request: HttpRequest, error: Exception):
    """An id, offset or filter bigger than the database's integers (SQLite raises OverflowError,
    PostgreSQL DataError): bad input, not a server failure."""
    from django.utils.translation import gettext

    message = gettext("A number in the request is out of range.")
    return api.create_response(request, {"detail": message, "field": "", "problems": []}, status=400)


def mount_routers() -> None:
    from guanjia.accounts.api import router as accounts_router
    from guanjia.billing.api import router as billing_router
    from guanjia.estates.api import router as estates_router
    from guanjia.frontdesk.api import router as frontdesk_router
    from guanjia.people.api import router as people_router

    api.add_router("/", accounts_router)
    api.add_router("/", estates_router)
    api.add_router("/", people_router)
    api.add_router("/", frontdesk_router)
    api.add_router("/", billing_router)
    from guanjia.servicedesk.api import router as servicedesk_router

    api.add_router("/", servicedesk_router)
    from guanjia.notifications.api import router as notifications_router

    api.add_router("/", notifications_router)
    from guanjia.people.import_api import router as import_router

    api.add_router("/estates/", import_router)
    from guanjia.reports.api import router as reports_router

    api.add_router("/", reports_router)


mount_routers()
