"""Fetch-and-authorize for billing. Missing and forbidden both raise Http404.

The capabilities are in the central table (guanjia.core.roles):
- site finance and the manager read and write every bill of their estate (manage_billing);
- the head butler reads every bill of the estate; a butler reads the bills of their zones
  (they chase arrears there) and the estate's billing pages limited to those zones;
- an owner reads the bills of the units they currently live in as owner, co-owner, tenant
  or family member (the person the bill is addressed to);
- everyone else, including staff of other estates: 404.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from guanjia.billing.models import Bill
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Estate


def billing_zones(user: Any, estate_id: int) -> set[int] | None:
    """The zones whose bills the user may read in the estate: None for all of them, a set
    (possibly empty) for a butler limited to their own zones."""
    scope = scope_of(user)
    if scope.can(estate_id, Capability.VIEW_BILLING):
        return None
    if scope.can(estate_id, Capability.VIEW_ZONE_BILLING):
        return set(scope.zone_ids)
    return set()


def access_estate_billing(user: Any, estate_id: int, *, write: bool = False) -> Estate:
    scope = scope_of(user)
    if write:
        allowed = scope.can(estate_id, Capability.MANAGE_BILLING)
    else:
        allowed = scope.can(estate_id, Capability.VIEW_BILLING) or scope.can(estate_id, Capability.VIEW_ZONE_BILLING)
    if not allowed:
        raise Http404
    try:
        return Estate.objects.get(pk=estate_id)
    except Estate.DoesNotExist:
        raise Http404 from None


def access_bill(user: Any, bill_id: int, *, write: bool = False) -> Bill:
    bill = Bill.objects.select_related("unit", "unit__zone", "fee_item", "estate").filter(pk=bill_id).first()
    if bill is None:
        raise Http404
    scope = scope_of(user)
    if write:
        allowed = scope.can(bill.estate_id, Capability.MANAGE_BILLING)
    elif scope.can(bill.estate_id, Capability.VIEW_BILLING) or (
        scope.can(bill.estate_id, Capability.VIEW_ZONE_BILLING) and bill.unit.zone_id in scope.zone_ids
    ):
        allowed = True
    else:
        allowed = (
            scope.person_id is not None
            and bill.unit.residencies.filter(person_id=scope.person_id, ended__isnull=True).exists()
        )
    if not allowed:
        raise Http404
    return bill
