"""A login whose password a manager reset signs in with the temporary password only to choose
a new one: until then every page leads to the password-change page, and the API refuses the
session (403). Bearer tokens need no check here: the reset revoked them and no new one is
issued meanwhile (accounts.actions.tokens)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Paths a login that must change its password may still reach.
OPEN_PATHS = ("/static/", "/i18n/", "/accounts/logout/")


class PasswordChangeRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if getattr(user, "must_change_password", False) and not self.may_pass(request.path):
            if request.path.startswith("/api/"):
                detail = _("Change your temporary password on the website first.")
                return JsonResponse({"detail": detail, "field": "password", "problems": []}, status=403)
            return redirect("accounts:password_change")
        return self.get_response(request)

    @staticmethod
    def may_pass(path: str) -> bool:
        return path == reverse("accounts:password_change") or path.startswith(OPEN_PATHS)
