"""Posts (岗位) and what each may do: the one table of capabilities.

Scope is applied on top of this by the access_* functions: every capability is held
within the estates a person is posted to, and a butler's registry writes are limited to
the zones they look after.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Post(models.TextChoices):
    MANAGER = "manager", _("Service center manager")
    DEPUTY_MANAGER = "deputy_manager", _("Deputy manager")
    HEAD_BUTLER = "head_butler", _("Head butler")
    BUTLER = "butler", _("Butler")
    ASSISTANT = "assistant", _("Butler assistant")
    FINANCE = "finance", _("Site finance")
    GENERAL_AFFAIRS = "general_affairs", _("General affairs")
    TECHNICIAN = "technician", _("Engineering technician")
    CLEANING_CREW = "cleaning_crew", _("Cleaning crew")
    GREENING_CREW = "greening_crew", _("Greening crew")
    SECURITY_CREW = "security_crew", _("Security crew")


class Capability(models.TextChoices):
    VIEW_REGISTRY = "view_registry", _("View estates, units and people")
    EDIT_REGISTRY = "edit_registry", _("Edit units and people")
    EDIT_ZONE_REGISTRY = "edit_zone_registry", _("Edit units and people of own zones")
    IMPORT_REGISTRY = "import_registry", _("Import from Excel")
    EXPORT_REGISTRY = "export_registry", _("Export to Excel")
    UNMASK_PERSONAL = "unmask_personal", _("See full phone and ID numbers")
    FRONT_DESK_SEARCH = "front_desk_search", _("Front-desk search")
    VIEW_HISTORY = "view_history", _("View change history")
    VIEW_STAFF = "view_staff", _("View staff and posts")
    MANAGE_STAFF = "manage_staff", _("Post staff to the estate")
    RECEIVE_WORK = "receive_work", _("Receive assigned work")


C = Capability
CAPABILITIES: dict[str, frozenset[str]] = {
    Post.MANAGER: frozenset(
        {
            C.VIEW_REGISTRY,
            C.EDIT_REGISTRY,
            C.IMPORT_REGISTRY,
            C.EXPORT_REGISTRY,
            C.UNMASK_PERSONAL,
            C.FRONT_DESK_SEARCH,
            C.VIEW_HISTORY,
            C.VIEW_STAFF,
            C.MANAGE_STAFF,
        }
    ),
    Post.DEPUTY_MANAGER: frozenset(
        {
            C.VIEW_REGISTRY,
            C.EDIT_REGISTRY,
            C.IMPORT_REGISTRY,
            C.EXPORT_REGISTRY,
            C.FRONT_DESK_SEARCH,
            C.VIEW_HISTORY,
            C.VIEW_STAFF,
            C.MANAGE_STAFF,
        }
    ),
    Post.HEAD_BUTLER: frozenset(
        {
            C.VIEW_REGISTRY,
            C.EDIT_REGISTRY,
            C.IMPORT_REGISTRY,
            C.EXPORT_REGISTRY,
            C.UNMASK_PERSONAL,
            C.FRONT_DESK_SEARCH,
            C.VIEW_HISTORY,
            C.VIEW_STAFF,
        }
    ),
    # A butler keeps the owner archive of their zone (业主档案), so they may see it whole.
    Post.BUTLER: frozenset(
        {C.VIEW_REGISTRY, C.EDIT_ZONE_REGISTRY, C.UNMASK_PERSONAL, C.FRONT_DESK_SEARCH, C.VIEW_HISTORY}
    ),
    Post.ASSISTANT: frozenset({C.VIEW_REGISTRY, C.FRONT_DESK_SEARCH}),
    Post.FINANCE: frozenset({C.VIEW_REGISTRY, C.EXPORT_REGISTRY}),
    Post.GENERAL_AFFAIRS: frozenset({C.VIEW_REGISTRY, C.VIEW_STAFF}),
    Post.TECHNICIAN: frozenset({C.RECEIVE_WORK}),
    Post.CLEANING_CREW: frozenset({C.RECEIVE_WORK}),
    Post.GREENING_CREW: frozenset({C.RECEIVE_WORK}),
    Post.SECURITY_CREW: frozenset({C.RECEIVE_WORK}),
}


def post_can(post: str, capability: str) -> bool:
    return capability in CAPABILITIES.get(post, frozenset())
