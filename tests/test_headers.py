"""Headers every answer carries (issue 11, item 8): a Content-Security-Policy that allows no
inline script and no eval, and `Cache-Control: no-store` on whatever is shown to someone
signed in (pages, fragments, files, API), so that personal data stays out of browser and
proxy caches. The templates hold no inline script for the policy to refuse."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_policy(response) -> None:
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["style-src-elem"] == ["'self'"]  # no injected <style>


def signed_in_pages(cast) -> list[tuple[str, str]]:
    estate = cast.estate.pk
    return [
        ("manager", reverse("estates:dashboard", args=[estate])),
        ("manager", reverse("estates:units", args=[estate])),
        ("manager", reverse("accounts:staff", args=[estate])),
        ("assistant", reverse("people:frontdesk", args=[estate])),
        ("assistant", reverse("people:frontdesk", args=[estate]) + "?q=zs"),
        ("assistant", reverse("frontdesk:parcel_scan", args=[estate])),
        ("finance", reverse("billing:fees", args=[estate])),
        ("owner", reverse("accounts:portal")),
        ("owner", reverse("billing:portal")),
    ]


def test_pages_carry_a_policy_without_inline_script_or_eval(client_as, cast):
    assert_strict_policy(Client().get(reverse("login")))
    for role, url in signed_in_pages(cast):
        response = client_as(role).get(url)
        assert response.status_code == 200, (role, url)
        assert_strict_policy(response)


def test_signed_in_pages_and_fragments_are_not_stored(client_as, cast):
    for role, url in signed_in_pages(cast):
        response = client_as(role).get(url)
        assert "no-store" in response["Cache-Control"], (role, url)
    fragment = client_as("assistant").get(
        reverse("people:frontdesk", args=[cast.estate.pk]) + "?q=zs", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "no-store" in fragment["Cache-Control"]


def test_api_answers_are_not_stored(client, cast):
    client.force_login(cast.manager)
    session = client.get(f"/api/v1/units/{cast.unit_a.pk}")
    assert session.status_code == 200 and session["Cache-Control"] == "no-store"
    client.logout()
    token = client.post(
        "/api/v1/auth/token",
        {"username": "manager", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert token["Cache-Control"] == "no-store"  # the token itself
    bearer = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert bearer.status_code == 200 and bearer["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in bearer


def test_a_signed_in_answer_is_not_stored_even_if_a_view_says_otherwise(client_as, cast, settings):
    """The rule sits in one middleware, not in each view: a view that marks its answer
    cacheable (today none does) is overruled for a signed-in user."""
    from django.http import HttpResponse

    from guanjia.core.middleware import SecurityHeadersMiddleware

    def cacheable_view(request):
        response = HttpResponse("张三 13812341234")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    middleware = SecurityHeadersMiddleware(cacheable_view)
    request = client_as("manager").get(reverse("home")).wsgi_request
    assert middleware(request)["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client, db):
    response = client.get(settings.STATIC_URL + "css/guanjia.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_htmx_is_told_not_to_evaluate_code(client, db):
    page = Client().get(reverse("login")).content.decode()
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert match, "no htmx-config meta in base.html"
    assert '"allowEval": false' in match.group(1)
    assert '"allowScriptTags": false' in match.group(1)
    assert '"includeIndicatorStyles": false' in match.group(1)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
HTMX_CODE = re.compile(r"hx-on|hx-vars|[\"']\s*(js|javascript):|hx-trigger=\"[^\"]*\[", re.IGNORECASE)


def served_templates() -> list[Path]:
    folders = [ROOT / "templates", *(ROOT / "guanjia").glob("*/templates")]
    found = [path for folder in folders for path in folder.rglob("*.html")]
    # The printed receipt is rendered to PDF on the server, never served as a page.
    return [path for path in found if path.name != "receipt.html"]


def test_no_template_holds_code_the_policy_would_refuse():
    templates = served_templates()
    assert len(templates) > 30
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, HTMX_CODE):
            problems += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not problems, problems
