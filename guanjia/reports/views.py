"""The workbenches: the manager's and deputy's of an estate, the company's across the estates
one answers for, the butler's of their zones; the targets form and the ratings behind 满意率.
Thin: authorize, refresh today's rollup when it is stale, read, render."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from guanjia.core import display
from guanjia.core.forms import attempt
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.reports import access, actions, queries
from guanjia.reports.forms import TargetsForm
from guanjia.servicedesk import queries as servicedesk_queries

TODO_LISTED = 20  # requests on the butler's workbench per list; the board has the rest


def percent(value: Decimal | None) -> float | None:
    """A fraction as a chart's percent (92.35), None where nothing was counted."""
    return None if value is None else float((value * 100).quantize(Decimal("0.1")))


def chart(label: str, trend: list[dict[str, Any]], key: str, *, target: Decimal | None, is_rate: bool) -> str:
    values = [(percent(entry.get(key)) if is_rate else entry.get(key)) if entry["known"] else None for entry in trend]
    spec: dict[str, Any] = {
        "kind": "line",
        "labels": [entry["month"].strftime("%Y-%m") for entry in trend],
        "series": [{"name": label, "values": values}],
        "unit": "%" if is_rate else "",
    }
    if target is not None:
        spec["target"] = percent(target)
    return json.dumps(spec, ensure_ascii=False)


# (key in the figures, label, kind: rate or count, which target applies, where the list is)
TILES: list[tuple[str, Any, str, str | None, str]] = [
    ("collection_rate", gettext_lazy("Collection rate (this period)"), "rate", "collection_rate", "collection"),
    ("collection_rate_ytd", gettext_lazy("Collection rate (year to date)"), "rate", "collection_rate", "collection"),
    ("satisfaction_rate", gettext_lazy("Satisfaction rate"), "rate", "satisfaction_rate", "ratings"),
    ("respond_rate", gettext_lazy("On time: respond"), "rate", "on_time_rate", "overdue"),
    ("arrive_rate", gettext_lazy("On time: arrive"), "rate", "on_time_rate", "overdue"),
    ("resolve_rate", gettext_lazy("On time: resolve"), "rate", "on_time_rate", "overdue"),
    ("overdue_now", gettext_lazy("Overdue now"), "count", None, "overdue"),
    ("complaints", gettext_lazy("Complaints this month"), "count", None, "complaints"),
    ("approvals_waiting", gettext_lazy("Approvals waiting"), "count", None, "approvals"),
]


# The capability each list behind a tile asks for (a tile links to it only for those who hold it:
# a deputy sees the collection rate but not the billing ledgers).
LIST_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "collection": (Capability.VIEW_BILLING, Capability.VIEW_ZONE_BILLING),
    "ratings": (Capability.VIEW_FIGURES,),
    "overdue": (Capability.VIEW_REQUESTS,),
    "complaints": (Capability.ANALYSE_COMPLAINTS,),
    "approvals": (Capability.MANAGE_BILLING,),
}


def list_links(user: Any, estate_id: int, month: dt.date) -> dict[str, str | None]:
    month_text = month.strftime("%Y-%m")
    links = {
        "collection": reverse("billing:collection", args=[estate_id]) + f"?month={month_text}",
        "ratings": reverse("reports:ratings", args=[estate_id]) + f"?month={month_text}",
        "overdue": reverse("servicedesk:board", args=[estate_id]) + "?overdue=1",
        "complaints": reverse("servicedesk:complaints", args=[estate_id]) + f"?month={month_text}",
        "approvals": reverse("billing:reversals", args=[estate_id]),
    }
    scope = scope_of(user)
    return {
        name: url if any(scope.can(estate_id, each) for each in LIST_CAPABILITIES[name]) else None
        for name, url in links.items()
    }


def tiles(data: dict[str, Any], links: dict[str, str | None]) -> list[dict[str, Any]]:
    """The tiles of a workbench: value, target, whether it is met, a trend, the list behind."""
    figures, targets, trend = data["figures"], data["targets"], data["trend"]
    result = []
    for key, label, kind, target_key, link in TILES:
        value = figures.get(key)
        target = targets.get(target_key) if target_key else None
        if kind == "rate":
            met = None if value is None or target is None else value >= target
        else:
            met = value == 0 if key == "overdue_now" else None
        result.append(
            {
                "key": key,
                "label": str(label),
                "value": value,
                "is_rate": kind == "rate",
                "target": target,
                "met": met,
                "chart": chart(str(label), trend, key, target=target, is_rate=kind == "rate"),
                "link": links[link],
            }
        )
    return result


@login_required
@require_GET
def workbench(request, estate_id: int):
    estate = access.access_estate_figures(request.user, estate_id)
    actions.refresh_if_stale(estate)
    data = queries.estate_figures(estate, actions.local_today())
    return render(
        request,
        "reports/workbench.html",
        {
            "estate": estate,
            "data": data,
            "tiles": tiles(data, list_links(request.user, estate.pk, data["month"])),
            "can_set_targets": access.can_set_targets(request.user, estate.pk),
        },
    )


@login_required
@require_GET
def company(request):
    estate_ids = access.access_company_figures(request.user)
    data = queries.company_figures(estate_ids, actions.local_today())
    return render(
        request,
        "reports/company.html",
        {"data": data, "trend_chart": company_charts(data), "estate_rows": estate_rows(data["estates"])},
    )


def estate_rows(estates: list[dict[str, Any]]) -> SafeString:
    """The company page's table body, one row per estate, made here rather than in the
    template: with a hundred estates the template's loop was most of the request's time."""

    def late(row: dict[str, Any], name: str) -> str:
        value = row[name]
        return " gj-late" if value is not None and value < row["targets"][name] else ""

    return format_html_join(
        "\n",
        '<tr data-estate="{}"><td><a href="{}">{}</a></td><td class="text-end{}">{}</td><td class="text-end">{}</td>'
        '<td class="text-end{}">{}</td><td class="text-end{}">{}</td><td class="text-end">{}</td>'
        '<td class="text-end">{}</td><td class="text-end">{}</td></tr>',
        (
            (
                row["estate_id"],
                reverse("reports:workbench", args=[row["estate_id"]]),
                row["estate_name"],
                late(row, "collection_rate"),
                display.rate(row["collection_rate"]),
                display.money(row["arrears"]),
                late(row, "satisfaction_rate"),
                display.rate(row["satisfaction_rate"]),
                late(row, "on_time_rate"),
                display.rate(row["on_time_rate"]),
                row["overdue_now"],
                row["complaints"],
                row["approvals_waiting"],
            )
            for row in estates
        ),
    )


def company_charts(data: dict[str, Any]) -> dict[str, str]:
    trend = data["trend"]
    return {
        "collection_rate": chart(_("Collection rate"), trend, "collection_rate", target=None, is_rate=True),
        "satisfaction_rate": chart(_("Satisfaction rate"), trend, "satisfaction_rate", target=None, is_rate=True),
        "on_time_rate": chart(_("On-time rate"), trend, "on_time_rate", target=None, is_rate=True),
    }


@login_required
@require_http_methods(["GET", "POST"])
def targets(request, estate_id: int):
    estate = access.access_targets(request.user, estate_id)
    current = queries.targets_of(estate.pk)
    form = TargetsForm(request.POST or None, initial=TargetsForm.initial_from(current))
    if request.method == "POST":
        saved = attempt(
            form,
            lambda data: actions.set_targets(actor=request.user, estate=estate, values=TargetsForm.fractions(data)),
        )
        if saved is not None:
            messages.success(request, _("Targets saved."))
            return redirect("reports:workbench", estate_id=estate.pk)
    return render(request, "reports/targets.html", {"estate": estate, "form": form})


@login_required
@require_GET
def ratings(request, estate_id: int):
    """The ratings behind 满意率: every rating of the month, the unsatisfied first."""
    estate = access.access_estate_figures(request.user, estate_id)
    today = actions.local_today()
    month = parse_month(request.GET.get("month", ""), today)
    rows = queries.ratings_of_month(estate, month)
    return render(
        request,
        "reports/ratings.html",
        {"estate": estate, "month": month, "ratings": rows, "figures": queries.rating_counts(rows)},
    )


def parse_month(value: str, today: dt.date) -> dt.date:
    try:
        parsed = dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)
    return parsed if 2000 <= parsed.year <= 2100 else today.replace(day=1)


@login_required
@require_GET
def butler(request, estate_id: int):
    """A butler's workbench: their zones' to-dos and figures against the estate's targets."""
    estate, zones = access.access_butler_zones(request.user, estate_id)
    actions.refresh_if_stale(estate)
    today = actions.local_today()
    zone_rows = queries.zone_figures(estate, today.replace(day=1), [zone.pk for zone in zones])
    total = queries.figures_of_zones(zone_rows)
    zone_ids = [zone.pk for zone in zones]
    open_requests = list(servicedesk_queries.filtered_board(estate).filter(zone_id__in=zone_ids)[:TODO_LISTED])
    visits_due = list(
        servicedesk_queries.filtered_board(estate, status="resolved")
        .filter(zone_id__in=zone_ids, return_visit_by__isnull=False)
        .order_by("return_visit_by")[:TODO_LISTED]
    )
    return render(
        request,
        "reports/butler.html",
        {
            "estate": estate,
            "zones": zones,
            "zone_rows": zone_rows,
            "figures": total,
            "targets": queries.targets_of(estate.pk),
            "open_requests": open_requests,
            "visits_due": visits_due,
            "now": timezone.now(),
        },
    )
