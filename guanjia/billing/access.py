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

from django.http import Http404

from guanjia.accounts.models import User
from guanjia.billing.models import BILLING_JOB, Bill, FeeItem, Payment, PaymentOrder, ReversalRequest
from guanjia.core.models import Job
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.models import Estate, Unit
from guanjia.people.models import Residency


def billing_zones(user: User, estate_id: int) -> set[int] | None:
    """The zones whose bills the user may read in the estate: None for all of them, a set
    (possibly empty) for a butler limited to their own zones."""
    scope = scope_of(user)
    if scope.can(estate_id, Capability.VIEW_BILLING):
        return None
    if scope.can(estate_id, Capability.VIEW_ZONE_BILLING):
        return set(scope.zone_ids)
    return set()


def access_estate_billing(user: User, estate_id: int, *, write: bool = False) -> Estate:
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


def access_bill(user: User, bill_id: int, *, write: bool = False) -> Bill:
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


def is_resident(user: User, unit_id: int) -> bool:
    person_id = scope_of(user).person_id
    return (
        person_id is not None
        and Residency.objects.filter(unit_id=unit_id, person_id=person_id, ended__isnull=True).exists()
    )


def can_read_unit_billing(user: User, unit: Unit) -> bool:
    scope = scope_of(user)
    return (
        scope.can(unit.estate_id, Capability.VIEW_BILLING)
        or (scope.can(unit.estate_id, Capability.VIEW_ZONE_BILLING) and unit.zone_id in scope.zone_ids)
        or is_resident(user, unit.pk)
    )


def access_unit_billing(user: User, unit_id: int, *, write: bool = False, pay: bool = False) -> Unit:
    """A unit's bills and payments. Read: billing staff of the estate, the butler of its zone,
    its residents. write: record payments (finance, manager). pay: start an online payment
    (finance, manager and the unit's residents)."""
    unit = Unit.objects.select_related("estate", "zone").filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    scope = scope_of(user)
    if write:
        allowed = scope.can(unit.estate_id, Capability.MANAGE_BILLING)
    elif pay:
        allowed = scope.can(unit.estate_id, Capability.MANAGE_BILLING) or is_resident(user, unit.pk)
    else:
        allowed = can_read_unit_billing(user, unit)
    if not allowed:
        raise Http404
    return unit


def can_chase_arrears(user: User, unit: Unit) -> bool:
    """Collection (催缴) is done by finance and the manager, and by the butler of the unit's zone."""
    scope = scope_of(user)
    return scope.can(unit.estate_id, Capability.MANAGE_BILLING) or (
        scope.can(unit.estate_id, Capability.VIEW_ZONE_BILLING) and unit.zone_id in scope.zone_ids
    )


def access_unit_collection(user: User, unit_id: int, *, write: bool = False) -> Unit:
    """A unit's collection log: read by whoever reads the estate's or the zone's bills,
    written by finance, the manager and the zone's butler. Never by the owner."""
    unit = Unit.objects.select_related("estate", "zone").filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    scope = scope_of(user)
    if write:
        allowed = can_chase_arrears(user, unit)
    else:
        allowed = scope.can(unit.estate_id, Capability.VIEW_BILLING) or can_chase_arrears(user, unit)
    if not allowed:
        raise Http404
    return unit


def access_payment(user: User, payment_id: int, *, write: bool = False) -> Payment:
    """A payment (and its receipt): billing staff of the estate, the zone's butler, the
    unit's residents. write (ask for its reversal): finance and the manager."""
    payment = Payment.objects.select_related("unit", "unit__zone", "estate").filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    if write:
        allowed = scope_of(user).can(payment.estate_id, Capability.MANAGE_BILLING)
    else:
        allowed = can_read_unit_billing(user, payment.unit)
    if not allowed:
        raise Http404
    return payment


def access_reversal_request(user: User, request_id: int, *, approve: bool = False) -> ReversalRequest:
    """Reversal requests are seen by those who manage billing; decided by those who may
    approve reversals (the requester is refused by the action, with a reason)."""
    reversal = ReversalRequest.objects.select_related("payment", "bill").filter(pk=request_id).first()
    if reversal is None:
        raise Http404
    capability = Capability.APPROVE_REVERSALS if approve else Capability.MANAGE_BILLING
    if not scope_of(user).can(reversal.estate_id, capability):
        raise Http404
    return reversal


def access_fee_item(user: User, fee_item_id: int, *, write: bool = False) -> FeeItem:
    item = FeeItem.objects.filter(pk=fee_item_id).first()
    if item is None:
        raise Http404
    access_estate_billing(user, item.estate_id, write=write)
    return item


def access_billing_job(user: User, estate_id: int, job_id: int) -> tuple[Estate, Job]:
    """A billing run's job, with its estate: seen by those who may start runs there."""
    estate = access_estate_billing(user, estate_id, write=True)
    job = Job.objects.filter(pk=job_id, estate_id=estate.pk, kind=BILLING_JOB).first()
    if job is None:
        raise Http404
    return estate, job


def access_unit_by_code(user: User, estate: Estate, code: str) -> Unit:
    """The estate's unit with this code, for one who may read its bills."""
    unit = Unit.objects.filter(estate=estate, code=code).first()
    if unit is None or not can_read_unit_billing(user, unit):
        raise Http404
    return unit


def arrears_reminder_zones(user: User, estate_id: int) -> set[int] | None:
    """Whose owners the user may send arrears reminders to: the whole estate (None) for
    finance and the manager, their own zones for a butler; anyone else 404."""
    scope = scope_of(user)
    if scope.can(estate_id, Capability.MANAGE_BILLING):
        return None
    if scope.can(estate_id, Capability.VIEW_ZONE_BILLING):
        return set(scope.zone_ids)
    raise Http404


def access_portal(user: User) -> int:
    """The person whose bills the owner's portal shows: the user's own archive entry."""
    person_id = scope_of(user).person_id
    if person_id is None:
        raise Http404
    return person_id


def access_payment_order(user: User, order_number: str) -> PaymentOrder:
    """An online payment order, on the sandbox's pay page: for whoever may pay for its unit
    (its residents, finance and the manager)."""
    order = PaymentOrder.objects.select_related("unit", "estate", "payment").filter(order_number=order_number).first()
    if order is None:
        raise Http404
    access_unit_billing(user, order.unit_id, pay=True)
    return order
