"""The service desk's figure on the owner's home: the owner's requests still being worked on,
and those done and waiting for the owner to confirm."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from guanjia.accounts.portal import Tile
from guanjia.servicedesk.models import OPEN_STATUSES, ServiceRequest


def tiles(person_id: int, unit_ids: set[int]) -> list[Tile]:
    counts = ServiceRequest.objects.filter(person_id=person_id).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        to_confirm=Count("pk", filter=Q(status=ServiceRequest.Status.RESOLVED)),
    )
    to_confirm = counts["to_confirm"]
    return [
        Tile(
            key="requests",
            order=30,
            label=_("My requests in progress"),
            value=str(counts["open"]),
            url=reverse("servicedesk:portal_requests"),
            icon="ti-tool",
            note=_("%(count)d done, please confirm") % {"count": to_confirm} if to_confirm else "",
        )
    ]
