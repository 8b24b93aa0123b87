"""The front desk's menu items (guanjia/core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from guanjia.core.navigation import NavItem
from guanjia.core.roles import Capability as C

DESK = (C.HANDLE_CUSTODY,)

ITEMS = [
    NavItem("desk", _("Today at the desk"), "frontdesk:today", DESK, order=5),
    NavItem("desk", _("Desk"), "frontdesk:search", DESK, order=10, also=("frontdesk:unit_desk",)),
    NavItem("desk", _("Parcels"), "frontdesk:parcels", DESK, order=20, also=("frontdesk:parcel_*",)),
    NavItem("desk", _("Keys"), "frontdesk:keys", DESK, order=30, also=("frontdesk:key", "frontdesk:key_*")),
    NavItem("desk", _("Visitors"), "frontdesk:visitors", DESK, order=40, also=("frontdesk:visitor_*",)),
    NavItem("desk", _("Shift handover"), "frontdesk:handovers", DESK, order=50, also=("frontdesk:handover_*",)),
    NavItem("desk", _("Custody log"), "frontdesk:events", DESK, order=60),
]
