"""Fetch-and-authorize for figures. Missing and forbidden both raise Http404."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.access import access_estate
from guanjia.estates.models import Estate, Zone

AnyUser = AbstractBaseUser | AnonymousUser


def access_estate_figures(user: AnyUser, estate_id: int) -> Estate:
    """The manager's and deputy's workbench of an estate."""
    return access_estate(user, estate_id, Capability.VIEW_FIGURES)


def access_targets(user: AnyUser, estate_id: int) -> Estate:
    """The estate whose targets the user may set (its manager)."""
    return access_estate(user, estate_id, Capability.SET_TARGETS)


def can_set_targets(user: AnyUser, estate_id: int) -> bool:
    return scope_of(user).can(estate_id, Capability.SET_TARGETS)


def access_company_figures(user: AnyUser) -> list[int]:
    """The estates whose figures the user sees on the company workbench: every estate they
    hold a post with VIEW_FIGURES in; none → 404."""
    estate_ids = scope_of(user).estates_with(Capability.VIEW_FIGURES)
    if not estate_ids:
        raise Http404
    return estate_ids


def access_butler_zones(user: AnyUser, estate_id: int) -> tuple[Estate, list[Zone]]:
    """A butler's workbench: the estate and the zones of it they look after (there may be
    none yet: the page then says so)."""
    estate = access_estate(user, estate_id, Capability.VIEW_ZONE_BILLING)
    zone_ids = scope_of(user).zone_ids
    zones = list(Zone.objects.filter(estate_id=estate.pk, pk__in=zone_ids).order_by("code"))
    return estate, zones
