"""The figures' menu items (guanjia/core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from guanjia.core.navigation import NavItem
from guanjia.core.roles import Capability as C

ITEMS = [
    NavItem("workbench", _("Estate figures"), "reports:workbench", (C.VIEW_FIGURES,), order=10),
    NavItem("workbench", _("My zones' to-dos"), "reports:butler", (C.VIEW_ZONE_BILLING,), order=10),
    NavItem("reports", _("Company figures"), "reports:company", (C.VIEW_FIGURES,), order=10, per_estate=False),
    NavItem("reports", _("Ratings"), "reports:ratings", (C.VIEW_FIGURES,), order=20),
    NavItem("settings", _("Targets"), "reports:targets", (C.SET_TARGETS,), order=50),
]
