"""The estate's 24-hour duty managers (值班经理), named day by day until the roster exists."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.accounts.queries import staff_of
from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError
from guanjia.estates.models import Estate
from guanjia.servicedesk import access
from guanjia.servicedesk.models import DutyManager


@transaction.atomic
def name_duty_manager(*, actor: User, estate: Estate, date: dt.date | None, user: User | None) -> DutyManager:
    """The estate's 24-hour duty manager for one duty day (8:30 to 8:30 the next morning)."""
    access.require(actor, estate.pk, access.NAME_DUTY_MANAGER)
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise DomainError(_("Enter the duty date."), field="date")
    if user is None or user not in staff_of(estate.pk, access.DUTY_MANAGER_POSTS):
        raise DomainError(_("A duty manager is a head butler, the deputy manager or the manager."), field="user")
    duty = DutyManager.objects.select_for_update().filter(estate=estate, date=date).first()
    if duty is None:
        duty = DutyManager(estate=estate, date=date, user=user)
        changes = {"date": [None, str(date)], "user": [None, user.pk]}
        verb = "create"
    else:
        changes = apply_changes(duty, {"user": user})
        verb = "update"
    duty.save()
    record_change(actor=actor, target=duty, verb=verb, changes=changes, estate_id=estate.pk)
    return duty
