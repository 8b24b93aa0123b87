"""The staff navigation: items grouped by task (工作台 · 客服 · 前台 · 收费 · 巡查 · 排班 · 档案 ·
办公 · 报表 · 设置), only those the signed-in person's posts may open, the current page marked.

Each app declares its own items in `<app>/navigation.py` as a list `ITEMS` of NavItem; this
module collects them from the installed apps (by name, so core imports no app) and builds the
menu for a request. An item names the URL (which takes the estate's id unless `per_estate` is
False), the capabilities any one of which opens it (none: every staff member), and the other
views under it that mark it current.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# (key, label, Tabler icon): the order of the menu.
GROUPS: tuple[tuple[str, Promise, str], ...] = (
    ("workbench", _("Workbench"), "ti-layout-dashboard"),
    ("service", _("Service"), "ti-headset"),
    ("desk", _("Front desk"), "ti-building-store"),
    ("billing", _("Billing"), "ti-currency-yuan"),
    ("rounds", _("Rounds"), "ti-route"),
    ("roster", _("Roster"), "ti-calendar-time"),
    ("records", _("Records"), "ti-folders"),
    ("office", _("Office"), "ti-briefcase"),
    ("reports", _("Reports"), "ti-chart-bar"),
    ("settings", _("Settings"), "ti-settings"),
)

# A badge: the signed-in user and the estate -> how many things wait (0 hides it).
Badge = Callable[[object, int | None], int]


@dataclass(frozen=True)
class NavItem:
    group: str
    label: Promise | str
    url_name: str
    capabilities: tuple[str, ...] = ()
    order: int = 50
    per_estate: bool = True
    also: tuple[str, ...] = ()  # view names (or "app:prefix*") that mark this item current
    badge: Badge | None = None
    icon: str = ""


@dataclass
class MenuItem:
    label: str
    url: str
    current: bool
    badge: int = 0
    icon: str = ""


@dataclass
class MenuGroup:
    key: str
    label: str
    icon: str
    items: list[MenuItem] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return any(item.current for item in self.items)

    @property
    def badge(self) -> int:
        return sum(item.badge for item in self.items)


@cache
def all_items() -> tuple[NavItem, ...]:
    """Every app's ITEMS, from `<app>/navigation.py` where it has one."""
    found: list[NavItem] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("guanjia."):
            continue
        try:
            module = import_module(f"{config.name}.navigation")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.navigation":
                raise
            continue
        found.extend(getattr(module, "ITEMS", ()))
    return tuple(found)


def is_current(item: NavItem, view_name: str) -> bool:
    if view_name == item.url_name:
        return True
    for pattern in item.also:
        if pattern.endswith("*") and view_name.startswith(pattern[:-1]):
            return True
        if view_name == pattern:
            return True
    return False


def menu(
    *,
    user: object,
    estate_id: int | None,
    capabilities: set[str] | frozenset[str],
    view_name: str,
    items: Sequence[NavItem] | None = None,
) -> list[MenuGroup]:
    """The groups this person may open, in menu order, each with its items in order."""
    groups = {key: MenuGroup(key, str(label), icon) for key, label, icon in GROUPS}
    for item in sorted(items if items is not None else all_items(), key=lambda each: each.order):
        if item.capabilities and not capabilities.intersection(item.capabilities):
            continue
        if item.per_estate and estate_id is None:
            continue
        try:
            url = reverse(item.url_name, kwargs={"estate_id": estate_id} if item.per_estate else None)
        except NoReverseMatch:
            continue  # an app that is not installed here (e.g. optional pages)
        badge = item.badge(user, estate_id) if item.badge else 0
        groups[item.group].items.append(MenuItem(str(item.label), url, is_current(item, view_name), badge, item.icon))
    return [group for group in groups.values() if group.items]
