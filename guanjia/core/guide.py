"""The user guides (docs/guide/<post>.md, in Chinese) as pages of the app: which guide fits a
post, and a small Markdown renderer for what the guides use (headings, paragraphs, lists,
pictures, links, bold, code). The guides are files of the repository, not user input; the
renderer escapes every character of them all the same, so that a guide cannot put markup or a
script into a page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from guanjia.core.roles import Post

GUIDE_DIR = Path(settings.BASE_DIR) / "docs" / "guide"
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"
SCREENSHOT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")


@dataclass(frozen=True)
class Guide:
    slug: str  # the file's name without .md, and the page's address
    title: str | Promise


# In the order of the index: the service center's posts from the top, then the owner.
GUIDES = [
    Guide("manager", _("Manager and deputy manager")),
    Guide("head_butler", _("Head butler")),
    Guide("butler", _("Butler")),
    Guide("assistant", _("Butler assistant (front desk)")),
    Guide("finance", _("Site finance")),
    Guide("general_affairs", _("General affairs")),
    Guide("technician", _("Technicians and crews")),
    Guide("owner", _("Owner")),
]
BY_SLUG = {guide.slug: guide for guide in GUIDES}
# The guide of each post: the deputy works as the manager does, the crews as the technician.
GUIDE_OF_POST = {
    Post.MANAGER: "manager",
    Post.DEPUTY_MANAGER: "manager",
    Post.HEAD_BUTLER: "head_butler",
    Post.BUTLER: "butler",
    Post.ASSISTANT: "assistant",
    Post.FINANCE: "finance",
    Post.GENERAL_AFFAIRS: "general_affairs",
    Post.TECHNICIAN: "technician",
    Post.CLEANING_CREW: "technician",
    Post.GREENING_CREW: "technician",
    Post.SECURITY_CREW: "technician",
}
# The most senior post first, when someone holds several.
POST_ORDER = list(GUIDE_OF_POST)


def guide_for(posts: Iterable[str], *, is_owner: bool) -> str:
    """The slug of the guide someone with these posts reads first."""
    held = [post for post in POST_ORDER if post in set(posts)]
    if held:
        return GUIDE_OF_POST[held[0]]
    return "owner" if is_owner else "manager"


def guide_text(slug: str) -> str | None:
    if slug not in BY_SLUG:
        return None
    path = GUIDE_DIR / f"{slug}.md"
    return path.read_text(encoding="utf-8") if path.exists() else None


def screenshot_path(name: str) -> Path | None:
    if not SCREENSHOT_NAME.match(name):
        return None
    path = SCREENSHOT_DIR / name
    return path if path.is_file() else None


# Markdown, the part the guides use -------------------------------------------------------

IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*([^*]+)\*\*")
CODE = re.compile(r"`([^`]+)`")
HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")


def render(text: str, link: Callable[[str], str]) -> SafeString:
    """HTML of a guide. `link` turns a target written in the file (butler.md,
    ../screenshots/desk.png) into the address the page uses."""
    html: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            html.append(f"<p>{' '.join(paragraph)}</p>")
            paragraph.clear()
        if items:
            html.append(f"<{list_tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    for line in text.splitlines():
        if not line.strip():
            flush()
            continue
        if heading := HEADING.match(line):
            flush()
            level = max(len(heading.group(1)), 2)  # the page's own heading is the one h1
            html.append(f"<h{level}>{inline(heading.group(2), link)}</h{level}>")
            continue
        bullet, numbered = BULLET.match(line), NUMBERED.match(line)
        if bullet or numbered:
            tag = "ul" if bullet else "ol"
            if paragraph or (list_tag and list_tag != tag):
                flush()
            list_tag = tag
            items.append(inline((bullet or numbered).group(1), link))  # type: ignore[union-attr]
            continue
        if items:  # a continuation line of the last item
            items[-1] += " " + inline(line.strip(), link)
            continue
        paragraph.append(inline(line.strip(), link))
    flush()
    return mark_safe("\n".join(html))  # noqa: S308 (every piece of text went through escape)


def inline(text: str, link: Callable[[str], str]) -> str:
    """Escaped text with its pictures, links, bold and code made into markup."""
    pieces: list[str] = []
    position = 0
    for match in re.finditer(f"{IMAGE.pattern}|{LINK.pattern}", text):
        pieces.append(emphasis(text[position : match.start()]))
        if match.group(0).startswith("!"):
            alt, target = match.group(1), match.group(2)
            pieces.append(
                f'<img src="{escape(link(target))}" alt="{escape(alt)}" class="gj-guide-shot" loading="lazy">'
            )
        else:
            label, target = match.group(3), match.group(4)
            pieces.append(f'<a href="{escape(link(target))}">{emphasis(label)}</a>')
        position = match.end()
    pieces.append(emphasis(text[position:]))
    return "".join(pieces)


def emphasis(text: str) -> str:
    escaped: str = escape(text)
    escaped = CODE.sub(r"<code>\1</code>", escaped)
    return BOLD.sub(r"<strong>\1</strong>", escaped)
