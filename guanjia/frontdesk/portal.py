"""The front desk's figure on the owner's home: parcels waiting for the owner's units."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from guanjia.accounts.portal import Tile
from guanjia.frontdesk.models import Parcel


def tiles(person_id: int, unit_ids: set[int]) -> list[Tile]:
    if not unit_ids:
        return []
    waiting = Parcel.objects.filter(unit_id__in=unit_ids, status=Parcel.Status.WAITING).count()
    return [
        Tile(
            key="parcels",
            order=10,
            label=_("Parcels waiting"),
            value=str(waiting),
            url=reverse("frontdesk:my_parcels"),
            icon="ti-package",
            note=_("Show the pickup code at the front desk") if waiting else "",
        )
    ]
