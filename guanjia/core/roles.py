"""Posts (岗位) and what each may do: the one table of capabilities.

Scope is applied on top of this by the access_* functions: every capability is held
within the estates a person is posted to, and a butler's registry writes, request handling
and bills are limited to the zones they look after (the *_ZONE_* capabilities). The custody
ledger is not: HANDLE_CUSTODY reaches every key, parcel, item and visitor of the estate, for
a butler as for an assistant (frontdesk/access.py; pinned by
frontdesk/tests/test_key_scope.py).
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
    HANDLE_CUSTODY = "handle_custody", _("Keys, parcels and items at the front desk")
    VIEW_REQUESTS = "view_requests", _("See every request of the estate")
    HANDLE_REQUESTS = "handle_requests", _("Act on every request of the estate")
    HANDLE_ZONE_REQUESTS = "handle_zone_requests", _("Act on the requests of own zones")
    MANAGE_SERVICE_LEVELS = "manage_service_levels", _("Edit service levels")
    ANALYSE_COMPLAINTS = "analyse_complaints", _("Classify and analyse complaints")
    NAME_DUTY_MANAGER = "name_duty_manager", _("Name the day's duty manager")
    VIEW_BILLING = "view_billing", _("See every bill of the estate")
    VIEW_ZONE_BILLING = "view_zone_billing", _("See the bills of own zones")
    MANAGE_BILLING = "manage_billing", _("Fee standards, billing runs and payments")
    APPROVE_REVERSALS = "approve_reversals", _("Approve reversals of payments and bills")
    VIEW_FIGURES = "view_figures", _("See the estate's figures and trends")
    SET_TARGETS = "set_targets", _("Set the estate's targets")


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
            C.HANDLE_CUSTODY,
            C.VIEW_REQUESTS,
            C.HANDLE_REQUESTS,
            C.MANAGE_SERVICE_LEVELS,
            C.ANALYSE_COMPLAINTS,
            C.NAME_DUTY_MANAGER,
            C.VIEW_BILLING,
            C.MANAGE_BILLING,
            C.APPROVE_REVERSALS,
            C.VIEW_FIGURES,
            C.SET_TARGETS,
        }
    ),
    Post.DEPUTY_MANAGER: frozenset(
        {
            C.VIEW_FIGURES,
            C.VIEW_REGISTRY,
            C.EDIT_REGISTRY,
            C.IMPORT_REGISTRY,
            C.EXPORT_REGISTRY,
            C.FRONT_DESK_SEARCH,
            C.VIEW_HISTORY,
            C.VIEW_STAFF,
            C.MANAGE_STAFF,
            C.HANDLE_CUSTODY,
            C.VIEW_REQUESTS,
            C.HANDLE_REQUESTS,
            C.MANAGE_SERVICE_LEVELS,
            C.ANALYSE_COMPLAINTS,
            C.NAME_DUTY_MANAGER,
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
            C.HANDLE_CUSTODY,
            C.VIEW_REQUESTS,
            C.HANDLE_REQUESTS,
            C.ANALYSE_COMPLAINTS,
            C.NAME_DUTY_MANAGER,
            C.VIEW_BILLING,
        }
    ),
    # A butler keeps the owner archive of their zone (业主档案), so they may see it whole.
    Post.BUTLER: frozenset(
        {
            C.VIEW_REGISTRY,
            C.EDIT_ZONE_REGISTRY,
            C.UNMASK_PERSONAL,
            C.FRONT_DESK_SEARCH,
            C.VIEW_HISTORY,
            # The whole estate's custody ledger, not only the zone's: a butler covers the desk
            # (keys, parcels, items, visitors) as the assistant does. Their zone's entrusted keys
            # (管家职责 8) are theirs in that the overdue alerts of those keys reach them too.
            C.HANDLE_CUSTODY,
            C.VIEW_REQUESTS,
            C.HANDLE_ZONE_REQUESTS,
            C.VIEW_ZONE_BILLING,
        }
    ),
    Post.ASSISTANT: frozenset(
        {C.VIEW_REGISTRY, C.FRONT_DESK_SEARCH, C.HANDLE_CUSTODY, C.VIEW_REQUESTS, C.HANDLE_REQUESTS}
    ),
    Post.FINANCE: frozenset({C.VIEW_REGISTRY, C.EXPORT_REGISTRY, C.VIEW_BILLING, C.MANAGE_BILLING}),
    Post.GENERAL_AFFAIRS: frozenset({C.VIEW_REGISTRY, C.VIEW_STAFF}),
    Post.TECHNICIAN: frozenset({C.RECEIVE_WORK}),
    Post.CLEANING_CREW: frozenset({C.RECEIVE_WORK}),
    Post.GREENING_CREW: frozenset({C.RECEIVE_WORK}),
    Post.SECURITY_CREW: frozenset({C.RECEIVE_WORK}),
}


# Who may grant a post (accounts.actions.postings): someone who holds every power the post
# carries. A capability of the whole estate covers its form limited to one's zones, and
# receiving assigned work is a duty rather than a power over anyone, so that a manager may post
# a butler or a technician.
COVERED_BY: dict[str, str] = {
    C.EDIT_ZONE_REGISTRY: C.EDIT_REGISTRY,
    C.HANDLE_ZONE_REQUESTS: C.HANDLE_REQUESTS,
    C.VIEW_ZONE_BILLING: C.VIEW_BILLING,
}
DUTIES: frozenset[str] = frozenset({C.RECEIVE_WORK})


def powers_of(post: str) -> frozenset[str]:
    """The capabilities of a post that one must hold to grant it (its duties aside)."""
    return CAPABILITIES.get(post, frozenset()) - DUTIES


def covers(held: frozenset[str] | set[str], capability: str) -> bool:
    """Whether capabilities held include this one, or its form for the whole estate."""
    return capability in held or COVERED_BY.get(capability, "") in held


def post_can(post: str, capability: str) -> bool:
    return capability in CAPABILITIES.get(post, frozenset())


def posts_with(capability: str) -> frozenset[str]:
    """Every post that holds the capability."""
    return frozenset(post for post, held in CAPABILITIES.items() if capability in held)
