"""Access rows of the servicedesk pages (see tests/test_access_matrix.py)."""

from __future__ import annotations

from typing import Any


def objects(world: Any) -> dict[str, Any]:
    """The objects the rows below name, made once per test on top of the world."""
    return {}


def endpoints() -> list[Any]:
    from tests.test_access_matrix import operation, page  # noqa: F401  (the table's helpers)

    return []
