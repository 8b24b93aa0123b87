from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_unit
from guanjia.frontdesk.queries import desk_view
from guanjia.people.queries import residents_of


@login_required
@require_GET
def unit_desk(request, unit_id: int):
    """The front-desk screen for one unit: its people, keys, parcels waiting, expected
    visitors, the owner's instructions and the requests still open."""
    unit = access_unit(request.user, unit_id)
    if not scope_of(request.user).can(unit.estate_id, Capability.HANDLE_CUSTODY):
        raise Http404
    return render(
        request,
        "frontdesk/unit_desk.html",
        {
            "estate": unit.estate,
            "unit": unit,
            "residencies": residents_of(unit),
            "desk": desk_view(unit, timezone.now()),
        },
    )
