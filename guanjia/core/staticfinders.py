"""Serve exactly the files of the npm packages that pages use, not their whole dist folders.

The packages come from npm at setup time (package.json; never copied into the repo). Their
dist folders hold hundreds of files (right-to-left builds, source maps, other bundles); the
manifest storage would hash and compress them all on every collectstatic. This finder
exposes only the files named below, under vendor/<name>/.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage
from django.core.files.storage import FileSystemStorage

# prefix under STATIC_URL -> (folder in node_modules, the files pages load, with what they reference)
VENDOR_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "vendor/htmx": ("htmx.org/dist", ("htmx.min.js",)),
    "vendor/tabler": (
        "@tabler/core/dist",
        ("css/tabler.min.css", "css/tabler.min.css.map", "js/tabler.min.js", "js/tabler.min.js.map"),
    ),
    "vendor/tabler-icons": (
        "@tabler/icons-webfont/dist",
        (
            "tabler-icons.min.css",
            "fonts/tabler-icons.woff2",
            "fonts/tabler-icons.woff",
            "fonts/tabler-icons.ttf",
        ),
    ),
    "vendor/echarts": ("echarts/dist", ("echarts.common.min.js",)),
}


def node_modules() -> Path:
    return Path(settings.BASE_DIR) / "node_modules"


class VendorFinder(BaseFinder):
    def _storage(self, prefix: str, folder: str) -> FileSystemStorage:
        storage = FileSystemStorage(location=node_modules() / folder)
        storage.prefix = prefix  # type: ignore[attr-defined]  # what collectstatic puts before the path
        return storage

    def find(self, path: str, find_all: bool = False, **kwargs):  # noqa: ANN201 (Django's signature)
        found: list[str] = []
        for prefix, (folder, files) in VENDOR_FILES.items():
            if path.startswith(prefix + "/") and path[len(prefix) + 1 :] in files:
                candidate = node_modules() / folder / path[len(prefix) + 1 :]
                if candidate.exists():
                    if not (find_all or kwargs.get("all")):
                        return str(candidate)
                    found.append(str(candidate))
        return found if (find_all or kwargs.get("all")) else ""

    def list(self, ignore_patterns) -> Iterator[tuple[str, FileSystemStorage]]:  # noqa: ANN001
        for prefix, (folder, files) in VENDOR_FILES.items():
            storage = self._storage(prefix, folder)
            for name in files:
                if storage.exists(name):
                    yield name, storage

    def check(self, **kwargs) -> builtins.list[CheckMessage]:
        return []
