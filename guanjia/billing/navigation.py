"""Billing's menu items (guanjia/core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from guanjia.core.navigation import NavItem
from guanjia.core.roles import Capability as C

ITEMS = [
    NavItem("billing", _("Billing home"), "billing:home", (C.MANAGE_BILLING,), order=5),
    NavItem("billing", _("Collection"), "billing:collection", (C.VIEW_BILLING, C.VIEW_ZONE_BILLING), order=10),
    NavItem("billing", _("Arrears"), "billing:arrears", (C.VIEW_BILLING, C.VIEW_ZONE_BILLING), order=20),
    NavItem("billing", _("Billing run"), "billing:run", (C.MANAGE_BILLING,), order=30, also=("billing:run_*",)),
    NavItem("billing", _("Meter readings"), "billing:readings", (C.MANAGE_BILLING,), order=40),
    NavItem("billing", _("Reversals"), "billing:reversals", (C.MANAGE_BILLING,), order=50),
    NavItem("settings", _("Fees"), "billing:fees", (C.MANAGE_BILLING,), order=20, also=("billing:fee_item",)),
]
