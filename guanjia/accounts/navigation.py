"""The staff pages' menu items (guanjia/core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from guanjia.core.navigation import NavItem
from guanjia.core.roles import Capability as C

ITEMS = [
    NavItem("settings", _("Staff"), "accounts:staff", (C.VIEW_STAFF,), order=10),
]
