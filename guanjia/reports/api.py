"""JSON endpoints of figures: an estate's workbench and the company's, the same numbers as
the pages (reports.queries), from the rollup rows."""

from __future__ import annotations

from ninja import Router

from guanjia.reports import access, actions, queries
from guanjia.reports.schemas import CompanyFiguresOut, EstateFiguresOut

router = Router(tags=["reports"])


@router.get("/estates/{estate_id}/figures", response=EstateFiguresOut, operation_id="reports_estate_figures")
def estate_figures(request, estate_id: int):
    """This month's figures of the estate, the year to date's collection rate, the twelve
    months' trend, the targets and the figures per zone; today's refreshed when stale."""
    estate = access.access_estate_figures(request.auth, estate_id)
    actions.refresh_if_stale(estate)
    data = queries.estate_figures(estate, actions.local_today())
    return {
        "estate_id": estate.pk,
        "month": data["month"],
        "refreshed_at": data["figures"]["refreshed_at"],
        "figures": data["figures"],
        "targets": data["targets"],
        "trend": data["trend"],
        "zones": [{"zone_id": row["zone"].pk, "zone_name": row["zone"].name, **row} for row in data["zones"]],
        "people": data["people"],
    }


@router.get("/figures/company", response=CompanyFiguresOut, operation_id="reports_company_figures")
def company_figures(request):
    """The figures of every estate the caller answers for (their posts with VIEW_FIGURES),
    this month's, with the company's sums and trend; from the rollup rows only."""
    estate_ids = access.access_company_figures(request.auth)
    return queries.company_figures(estate_ids, actions.local_today())
