"""The registry's menu items (guanjia/core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from guanjia.core.navigation import NavItem
from guanjia.core.roles import Capability as C

ITEMS = [
    NavItem("workbench", _("Workbench"), "home", per_estate=False, order=0, icon="ti-layout-dashboard"),
    NavItem("records", _("Estate overview"), "estates:dashboard", (C.VIEW_REGISTRY,), order=10, also=("estates:zone",)),
    NavItem("records", _("Units"), "estates:units", (C.VIEW_REGISTRY,), order=20, also=("estates:unit_*",)),
]
