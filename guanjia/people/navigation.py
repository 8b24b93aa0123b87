"""The owner records' menu items (guanjia/core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from guanjia.core.navigation import NavItem
from guanjia.core.roles import Capability as C

ITEMS = [
    NavItem(
        "records",
        _("Owner search"),
        "people:frontdesk",
        (C.FRONT_DESK_SEARCH,),
        order=5,
        also=("people:person", "people:person_*", "people:unit"),
    ),
    NavItem("records", _("Import"), "people_import:upload", (C.IMPORT_REGISTRY,), order=40, also=("people_import:*",)),
]
