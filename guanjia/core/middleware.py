"""Headers on every answer the application makes (static files are answered earlier, by
WhiteNoise, and stay cacheable):

- Content-Security-Policy (settings.GUANJIA_CONTENT_SECURITY_POLICY): scripts only from our
  own static files, no inline script and no eval, so that markup slipped into a page cannot
  run; htmx is configured not to evaluate code either (templates/base.html, htmx-config).
- Cache-Control: no-store on whatever is shown to someone signed in (pages, htmx fragments,
  attachments, the API by session or token): personal data must not stay in a browser's or a
  proxy's cache after sign-out. Answers to anonymous requests get it too unless their view
  chose its own caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

NO_STORE = "no-store"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.GUANJIA_CONTENT_SECURITY_POLICY
        chosen = response.get("Cache-Control", "")
        if NO_STORE not in chosen and (not chosen or signed_in(request)):
            response["Cache-Control"] = NO_STORE
        return response


def signed_in(request: HttpRequest) -> bool:
    # request.user is set by AuthenticationMiddleware, or by the API's token check
    # (config/api.py) for a bearer token; absent if an earlier middleware answered.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
