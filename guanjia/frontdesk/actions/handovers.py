"""The shift handover: the leaving shift writes what the next must know, the system lists
what it takes over, and someone of the next shift acknowledges it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.errors import DomainError
from guanjia.estates.models import Estate
from guanjia.frontdesk import queries
from guanjia.frontdesk.models import Handover


@transaction.atomic
def write_handover(*, actor: User, estate: Estate, note: str) -> Handover:
    if not note.strip():
        raise DomainError(_("Write what the next shift needs to know."), field="note")
    now = timezone.now()
    return Handover.objects.create(
        estate=estate,
        written_by=actor,
        written_at=now,
        note=note.strip(),
        open_items=queries.open_items(estate.pk, now),
    )


@transaction.atomic
def acknowledge_handover(*, actor: User, handover: Handover) -> Handover:
    if handover.written_by_id == actor.pk:
        raise DomainError(_("The next shift acknowledges a handover, not its writer."), field="handover")
    updated = Handover.objects.filter(pk=handover.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=actor, acknowledged_at=timezone.now()
    )
    if not updated:
        raise DomainError(_("This handover is already acknowledged."), field="handover")
    return Handover.objects.get(pk=handover.pk)
