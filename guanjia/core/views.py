"""The user guides as pages (guanjia/core/guide.py): for anyone signed in, staff or owner.
They hold no data of any estate, so no access_* check beyond signing in: any guide may be
read by anyone who uses the app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from guanjia.core import guide as guides
from guanjia.core.scope import scope_of


@login_required
def my_guide(request: HttpRequest) -> HttpResponse:
    """The guide of the signed-in user's own post."""
    scope = scope_of(request.user)
    posts = {post for estate_posts in scope.posts.values() for post in estate_posts}
    return redirect("core:guide", slug=guides.guide_for(posts, is_owner=scope.person_id is not None))


@login_required
def guide(request: HttpRequest, slug: str) -> HttpResponse:
    text = guides.guide_text(slug)
    if text is None:
        raise Http404
    # The file's own title (its first line, "# …") is the page's heading already.
    if text.startswith("# "):
        text = text.partition("\n")[2]
    body = guides.render(text, link=guide_link)
    return render(
        request,
        "core/guide.html",
        {"guide": guides.BY_SLUG[slug], "body": body, "guides": guides.GUIDES},
    )


@login_required
def guide_screenshot(request: HttpRequest, file: str) -> FileResponse:
    path = guides.screenshot_path(file)
    if path is None:
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/png")


def guide_link(target: str) -> str:
    """A guide's link as the app serves it: another guide, a screenshot, or as written."""
    if target.endswith(".md") and "/" not in target:
        slug = target.removesuffix(".md")
        return reverse("core:guide", args=[slug]) if slug in guides.BY_SLUG else reverse("core:my_guide")
    if target.startswith("../screenshots/"):
        return reverse("core:guide_screenshot", args=[target.removeprefix("../screenshots/")])
    return target
