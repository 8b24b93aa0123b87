from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from guanjia.core.audit import history_of
from guanjia.core.forms import attempt
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates import actions, queries
from guanjia.estates.access import access_estate, access_unit, access_zone
from guanjia.estates.forms import UnitForm
from guanjia.estates.models import Unit

UNIT_FORM_FIELDS = ("floor", "area", "house_type", "status", "delivery_date", "zone", "note")


@login_required
@require_GET
def dashboard(request, estate_id: int):
    estate = access_estate(request.user, estate_id)
    counts = queries.status_counts(estate)
    return render(
        request,
        "estates/dashboard.html",
        {
            "estate": estate,
            "status_counts": [(s, Unit.Status(s).label, n) for s, n in counts.items()],
            "unit_total": sum(counts.values()),
            "zones": queries.zones_of(estate),
            "buildings": queries.buildings_of(estate),
        },
    )


@login_required
@require_GET
def my_zone(request, estate_id: int):
    """A butler's home: their zone's units (the first of their zones if they have several)."""
    estate = access_estate(request.user, estate_id)
    zones = queries.zones_looked_after(estate, request.user)
    if not zones:
        return redirect("estates:units", estate_id=estate.pk)
    return redirect("estates:zone", zone_id=zones[0].pk)


@login_required
@require_GET
def units(request, estate_id: int):
    estate = access_estate(request.user, estate_id)
    zone_id = request.GET.get("zone") or None
    building_id = request.GET.get("building") or None
    status = request.GET.get("status") or None
    try:
        units = queries.units_of(
            estate,
            zone_id=int(zone_id) if zone_id else None,
            building_id=int(building_id) if building_id else None,
            status=status,
        )
    except ValueError:
        raise Http404 from None
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "estates/units.html",
        {
            "estate": estate,
            "page": page,
            "zones": queries.zones_in_order(estate),
            "buildings": queries.buildings_in_order(estate),
            "statuses": Unit.Status.choices,
            "selected": {"zone": zone_id, "building": building_id, "status": status},
        },
    )


@login_required
@require_GET
def zone(request, zone_id: int):
    zone = access_zone(request.user, zone_id)
    page = Paginator(queries.units_of(zone.estate, zone_id=zone.pk), 50).get_page(request.GET.get("page"))
    return render(request, "estates/zone.html", {"estate": zone.estate, "zone": zone, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def unit_edit(request, unit_id: int):
    unit = access_unit(request.user, unit_id, write=True)
    initial = {name: getattr(unit, name) for name in UNIT_FORM_FIELDS}
    form = UnitForm(request.POST or None, initial=initial, zones=queries.zones_in_order(unit.estate))
    if request.method == "POST":
        updated = attempt(form, lambda data: actions.update_unit(actor=request.user, unit=unit, **data))
        if updated is not None:
            return redirect("people:unit", unit_id=unit.pk)
    return render(request, "estates/unit_edit.html", {"estate": unit.estate, "unit": unit, "form": form})


@login_required
@require_GET
def unit_history(request, unit_id: int):
    unit = access_unit(request.user, unit_id)
    if not scope_of(request.user).can(unit.estate_id, Capability.VIEW_HISTORY):
        raise Http404
    return render(
        request, "core/history.html", {"estate": unit.estate, "target": unit, "changes": history_of(unit)[:500]}
    )
