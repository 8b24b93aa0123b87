"""The owner's home (accounts:portal): the figures each app has for the owner, collected the
way the menu is (core.navigation): an app that has something to show declares
`guanjia/<app>/portal.py` with `tiles(person_id, unit_ids) -> list[Tile]`. So accounts, below
the workflow apps, imports none of them, and an app's figure comes from its own queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import apps
from django.utils.functional import Promise


@dataclass(frozen=True)
class Tile:
    """One figure on the owner's home: what it counts, the number as read, where it leads."""

    key: str  # a stable name for tests and styling: "parcels", "owed", "requests"
    order: int  # place on the home, smallest first
    label: str | Promise
    value: str
    url: str
    icon: str  # a Tabler icon, e.g. "ti-package"
    note: str | Promise = ""  # one line under the figure, e.g. "of which ¥300.00 in arrears"
    urgent: bool = False  # shown in red: something overdue or waiting long


TileSource = Callable[[int, set[int]], list[Tile]]


@cache
def tile_sources() -> tuple[TileSource, ...]:
    found: list[TileSource] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("guanjia."):
            continue
        try:
            module = import_module(f"{config.name}.portal")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.portal":
                raise
            continue
        source = getattr(module, "tiles", None)
        if source is not None:
            found.append(source)
    return tuple(found)


def tiles_for(person_id: int, unit_ids: set[int]) -> list[Tile]:
    """Every app's figures for the person's current units, in their order."""
    collected = [tile for source in tile_sources() for tile in source(person_id, unit_ids)]
    return sorted(collected, key=lambda tile: tile.order)
