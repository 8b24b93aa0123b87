"""The user guides as pages: each post is sent to its own guide, every guide renders from
docs/guide/ with its screenshots, and the renderer lets no markup of a file through."""

import re

import pytest
from django.urls import reverse

from guanjia.core import guide as guides
from guanjia.core.roles import Post
from tests.support import make_staff

SHOT = re.compile(r"\.\./screenshots/([a-z0-9-]+\.png)")


@pytest.mark.parametrize(
    ("role", "slug"),
    [
        ("manager", "manager"),
        ("head_butler", "head_butler"),
        ("butler", "butler"),
        ("assistant", "assistant"),
        ("finance", "finance"),
        ("owner", "owner"),
    ],
)
def test_each_post_is_sent_to_its_own_guide(client_as, role, slug):
    response = client_as(role).get(reverse("core:my_guide"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:guide", args=[slug])


def test_a_crew_member_reads_the_technicians_guide(client, cast):
    cleaner = make_staff("cleaner", "保洁员", cast.estate, Post.CLEANING_CREW)
    client.force_login(cleaner)
    assert client.get(reverse("core:my_guide"))["Location"] == reverse("core:guide", args=["technician"])


@pytest.mark.parametrize("slug", [guide.slug for guide in guides.GUIDES])
def test_every_guide_renders_with_its_screenshots(client_as, slug):
    response = client_as("butler").get(reverse("core:guide", args=[slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>" in html and "](" not in html and "**" not in html  # Markdown became markup
    shots = SHOT.findall(guides.guide_text(slug) or "")
    assert shots, f"the {slug} guide shows no screenshot"
    for name in shots:
        assert reverse("core:guide_screenshot", args=[name]) in html
    assert 'aria-current="page"' in html  # its own entry in the list of guides


def test_the_guides_link_only_to_screenshots_that_exist(client_as):
    client = client_as("owner")
    for guide in guides.GUIDES:
        text = guides.guide_text(guide.slug)
        assert text, f"docs/guide/{guide.slug}.md is missing"
        for name in SHOT.findall(text):
            response = client.get(reverse("core:guide_screenshot", args=[name]))
            assert response.status_code == 200, name
            assert response["Content-Type"] == "image/png"


def test_no_guide_or_file_outside_the_guides(client_as):
    client = client_as("manager")
    assert client.get(reverse("core:guide", args=["README"])).status_code == 404
    assert client.get(reverse("core:guide", args=["nobody"])).status_code == 404
    assert client.get(reverse("core:guide_screenshot", args=["..secrets.json"])).status_code == 404
    assert client.get(reverse("core:guide_screenshot", args=["missing.png"])).status_code == 404


def test_signing_in_comes_first(client, db):
    response = client.get(reverse("core:guide", args=["manager"]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_account_menu_links_to_the_guide(client_as):
    html = client_as("assistant").get(reverse("home"), follow=True).content.decode()
    assert f'href="{reverse("core:my_guide")}"' in html
    assert "使用说明" in html


def test_the_renderer_escapes_the_file_and_rewrites_its_links():
    html = guides.render(
        "# 标题\n\n<script>alert(1)</script> **粗** `zs`\n\n- 一\n- [二](butler.md)\n\n![图](../screenshots/desk.png)",
        link=lambda target: f"/to/{target}",
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<h2>标题</h2>" in html
    assert "<strong>粗</strong>" in html and "<code>zs</code>" in html
    assert '<ul><li>一</li><li><a href="/to/butler.md">二</a></li></ul>' in html
    assert '<img src="/to/../screenshots/desk.png" alt="图"' in html
