"""Visitors: the owner's passes (a QR code the desk scans), walk-ins registered at the desk,
and the owner's do-not-admit instructions, which both kinds of entry respect."""

from __future__ import annotations

import datetime
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.errors import DomainError
from guanjia.core.validators import normalize_phone, phone_problem
from guanjia.estates.models import Estate, Unit
from guanjia.frontdesk import passcodes, queries
from guanjia.frontdesk.models import DoNotAdmit, Visit, VisitorPass
from guanjia.people.models import Person


def refuse_if_barred(unit: Unit, visitor_name: str) -> None:
    """Refuse a visitor the owner has asked the desk not to admit."""
    if queries.is_barred(unit, visitor_name):
        raise DomainError(
            _("The owner has asked not to admit %(name)s. Call the owner or the butler.") % {"name": visitor_name},
            field="visitor_name",
        )


# The owner's side: passes and instructions ---------------------------------------------------


@transaction.atomic
def issue_visitor_pass(
    *,
    person: Person,
    unit: Unit,
    visitor_name: str,
    kind: str,
    valid_from: datetime.datetime,
    valid_until: datetime.datetime,
) -> VisitorPass:
    """An owner pre-authorizes a visitor; the token is what the QR code carries, the short code
    what the visitor can tell the desk instead."""
    visitor_name = visitor_name.strip()
    if not visitor_name:
        raise DomainError(_("Enter the visitor's name."), field="visitor_name")
    if kind not in VisitorPass.Kind.values:
        raise DomainError(_("Choose one-time or recurring."), field="kind")
    if valid_until <= valid_from or valid_until <= timezone.now():
        raise DomainError(_("The pass must end after it starts, and in the future."), field="valid_until")
    for _attempt in range(5):
        try:
            # A savepoint of its own: a code already taken in the estate leaves the
            # transaction usable for the next try with a new code.
            with transaction.atomic():
                return VisitorPass.objects.create(
                    estate_id=unit.estate_id,
                    unit=unit,
                    issued_by=person,
                    visitor_name=visitor_name,
                    kind=kind,
                    token=secrets.token_urlsafe(32),
                    code=passcodes.new_code(),
                    valid_from=valid_from,
                    valid_until=valid_until,
                )
        except IntegrityError:
            continue
    raise DomainError(_("No pass code could be issued just now. Please try again."))


@transaction.atomic
def revoke_visitor_pass(*, person: Person, visitor_pass: VisitorPass) -> VisitorPass:
    updated = VisitorPass.objects.filter(pk=visitor_pass.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated:
        raise DomainError(_("This pass is already withdrawn."), field="visitor_pass")
    return VisitorPass.objects.get(pk=visitor_pass.pk)


@transaction.atomic
def add_do_not_admit(*, person: Person, unit: Unit, name: str, note: str = "") -> DoNotAdmit:
    name = name.strip()
    if not name:
        raise DomainError(_("Enter the name of the person not to admit."), field="name")
    if queries.is_barred(unit, name):
        raise DomainError(_("%(name)s is already on the list.") % {"name": name}, field="name")
    return DoNotAdmit.objects.create(unit=unit, name=name, note=note.strip()[:200], given_by=person)


@transaction.atomic
def lift_do_not_admit(*, person: Person, instruction: DoNotAdmit) -> DoNotAdmit:
    updated = DoNotAdmit.objects.filter(pk=instruction.pk, lifted_at__isnull=True).update(lifted_at=timezone.now())
    if not updated:
        raise DomainError(_("This instruction is already lifted."), field="instruction")
    return DoNotAdmit.objects.get(pk=instruction.pk)


# The desk's side: admitting and registering ---------------------------------------------------


@transaction.atomic
def admit_with_pass(*, actor: User, estate: Estate, token: str) -> Visit:
    """Let a visitor in on their pass: the QR code's token as scanned, or the short code as
    typed (case and spaces aside), which names a pass of this estate."""
    passes = VisitorPass.objects.select_for_update()
    if passcodes.is_code(token):
        visitor_pass = passes.filter(estate=estate, code=passcodes.normalize(token)).first()
    else:
        visitor_pass = passes.filter(token=token.strip()).first()
    if visitor_pass is None or visitor_pass.estate_id != estate.pk:
        raise DomainError(_("This pass is not valid here."), field="token")
    now = timezone.now()
    if visitor_pass.revoked_at or not visitor_pass.valid_from <= now <= visitor_pass.valid_until:
        raise DomainError(_("This pass has expired or was withdrawn."), field="token")
    if visitor_pass.kind == VisitorPass.Kind.ONE_TIME and visitor_pass.used_at:
        raise DomainError(_("This one-time pass has already been used."), field="token")
    refuse_if_barred(visitor_pass.unit, visitor_pass.visitor_name)
    visitor_pass.used_at = now
    visitor_pass.save(update_fields=["used_at"])
    return Visit.objects.create(
        estate=estate,
        unit=visitor_pass.unit,
        visitor_name=visitor_pass.visitor_name,
        visitor_pass=visitor_pass,
        checked_in_by=actor,
        checked_in_at=now,
    )


@transaction.atomic
def check_in_visitor(
    *, actor: User, unit: Unit, visitor_name: str, visitor_phone: str = "", purpose: str = ""
) -> Visit:
    visitor_name, visitor_phone = visitor_name.strip(), normalize_phone(visitor_phone)
    if not visitor_name:
        raise DomainError(_("Enter the visitor's name."), field="visitor_name")
    problem = phone_problem(visitor_phone) if visitor_phone else None
    if problem:
        raise DomainError(problem, field="visitor_phone")
    refuse_if_barred(unit, visitor_name)
    return Visit.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        visitor_name=visitor_name,
        visitor_phone=visitor_phone,
        purpose=purpose.strip(),
        checked_in_by=actor,
        checked_in_at=timezone.now(),
    )


@transaction.atomic
def check_out_visitor(*, actor: User, visit: Visit) -> Visit:
    updated = Visit.objects.filter(pk=visit.pk, checked_out_at__isnull=True).update(checked_out_at=timezone.now())
    if not updated:
        raise DomainError(_("This visitor has already left."), field="visit")
    return Visit.objects.get(pk=visit.pk)
