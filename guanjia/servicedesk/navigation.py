"""The service desk's menu items (guanjia/core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from guanjia.core.navigation import NavItem
from guanjia.core.roles import Capability as C

ITEMS = [
    NavItem("service", _("Service workbench"), "servicedesk:workbench", (C.VIEW_REQUESTS,), order=5),
    NavItem("service", _("Intake"), "servicedesk:intake", (C.FRONT_DESK_SEARCH,), order=10),
    NavItem("service", _("Request board"), "servicedesk:board", (C.VIEW_REQUESTS,), order=20),
    NavItem("service", _("My loops"), "servicedesk:my_loops", order=30),
    NavItem("service", _("Assigned to me"), "servicedesk:my_work", order=40),
    NavItem("reports", _("Complaints"), "servicedesk:complaints", (C.ANALYSE_COMPLAINTS,), order=30),
    NavItem("settings", _("Service levels"), "servicedesk:service_levels", (C.MANAGE_SERVICE_LEVELS,), order=30),
    NavItem("settings", _("Duty managers"), "servicedesk:duty_managers", (C.NAME_DUTY_MANAGER,), order=40),
]
