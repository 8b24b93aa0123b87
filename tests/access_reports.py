"""Access rows of the workbenches and the figures API (see tests/test_access_matrix.py): the
manager's figures and targets are the manager's (and a deputy's); the butler's workbench is
a zone butler's; nobody reaches another estate's."""

from __future__ import annotations

from typing import Any


def endpoints() -> list[Any]:
    from tests.test_access_matrix import NOBODY, OUTSIDER, STAFF_MANAGERS, ZONE_EDITORS, constant, operation, page

    figures = STAFF_MANAGERS  # view_figures: the manager (and a deputy, not in the cast)
    targets = constant({"collection_rate": "96", "satisfaction_rate": "91", "on_time_rate": "93"})
    return [
        page("GET", "reports:workbench", figures, estate_id="estate"),
        page("GET", "reports:workbench", NOBODY, estate_id="other_estate"),
        page("GET", "reports:ratings", figures, estate_id="estate"),
        page("GET", "reports:ratings", NOBODY, estate_id="other_estate"),
        page("GET", "reports:targets", figures, estate_id="estate"),
        page("POST", "reports:targets", figures, targets, estate_id="estate"),
        page("POST", "reports:targets", NOBODY, targets, estate_id="other_estate"),
        page("GET", "reports:butler", ZONE_EDITORS, estate_id="estate"),
        page("GET", "reports:butler", OUTSIDER, estate_id="other_estate"),
        page("GET", "reports:company", figures),
        operation("GET", "/estates/{estate_id}/figures", figures, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/figures", NOBODY, estate_id="other_estate"),
        operation("GET", "/figures/company", figures),
    ]
