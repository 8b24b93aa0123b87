"""The reminder job (overdue keys, unclaimed parcels, unacknowledged handovers) and the
estate's settings it runs by."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.accounts.queries import residents_with_logins, staff_of
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.roles import Post
from guanjia.estates.models import Estate
from guanjia.frontdesk import queries
from guanjia.frontdesk.actions.parcels import parcel_label
from guanjia.frontdesk.models import DeskSettings
from guanjia.notifications.actions import notify


@transaction.atomic
def configure_desk(*, actor: User, estate: Estate, unclaimed_days: int, handover_ack_minutes: int) -> DeskSettings:
    if not 1 <= unclaimed_days <= 60:
        raise DomainError(_("Unclaimed days run from 1 to 60."), field="unclaimed_days")
    if not 5 <= handover_ack_minutes <= 24 * 60:
        raise DomainError(
            _("The handover acknowledgement time runs from 5 to 1440 minutes."), field="handover_ack_minutes"
        )
    current = queries.settings_of(estate.pk)
    changes = {
        "unclaimed_days": [current.unclaimed_days, unclaimed_days],
        "handover_ack_minutes": [current.handover_ack_minutes, handover_ack_minutes],
    }
    desk_settings, _created = DeskSettings.objects.update_or_create(
        estate=estate, defaults={"unclaimed_days": unclaimed_days, "handover_ack_minutes": handover_ack_minutes}
    )
    record_change(actor=actor, target=desk_settings, verb="update", estate_id=estate.pk, changes=changes)
    return desk_settings


def send_desk_alerts(*, now: datetime.datetime | None = None, estate_id: int | None = None) -> int:
    """The reminder job: overdue keys, unclaimed parcels, unacknowledged handovers. Safe to
    run twice: each reminder has a dedupe key, so a user hears of one thing once.
    Returns how many notifications were new."""
    now = now or timezone.now()
    sent = 0
    for estate in queries.estates_to_alert(estate_id):
        with transaction.atomic():
            sent += alert_overdue_keys(estate, now) + alert_unclaimed_parcels(estate, now)
            sent += alert_unacknowledged_handovers(estate, now)
    return sent


def alert_overdue_keys(estate: Estate, now: datetime.datetime) -> int:
    loans = list(queries.overdue_loans(estate.pk, now))
    if not loans:
        return 0
    assistants = staff_of(estate.pk, {Post.ASSISTANT})
    sent = 0
    for loan in loans:
        butler = loan.key.unit.zone.butler if loan.key.unit and loan.key.unit.zone else None
        recipients = assistants + ([butler] if butler and butler not in assistants else [])
        subject = _("Key %(tag)s is overdue") % {"tag": loan.key.tag}
        body = _("%(borrower)s should have returned key %(tag)s by %(due)s.") % {
            "borrower": loan.borrower_name,
            "tag": loan.key.tag,
            "due": timezone.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M"),
        }
        for user in recipients:
            created = notify(
                recipient=user,
                subject=subject,
                body=body,
                link=reverse("frontdesk:key", args=[loan.key_id]),
                estate=estate,
                dedupe_key=f"key-loan:{loan.pk}:overdue",
            )
            sent += created is not None
    return sent


def alert_unclaimed_parcels(estate: Estate, now: datetime.datetime) -> int:
    days = queries.settings_of(estate.pk).unclaimed_days
    sent = 0
    for parcel in queries.unclaimed_parcels(estate.pk, now, days).select_related("unit__zone__butler"):
        butler = parcel.unit.zone.butler if parcel.unit.zone else None
        residents = residents_with_logins(parcel.unit_id)
        subject = _("Not yet collected after %(days)s days: %(unit)s") % {"days": days, "unit": parcel.unit.code}
        body = _("%(what)s for %(recipient)s has waited on shelf %(shelf)s since %(since)s.") % {
            "what": parcel_label(parcel),
            "recipient": parcel.recipient_name,
            "shelf": parcel.shelf,
            "since": timezone.localtime(parcel.received_at).strftime("%Y-%m-%d"),
        }
        for user in residents:
            created = notify(
                recipient=user,
                subject=subject,
                body=body + " " + _("Pickup code: %(code)s.") % {"code": parcel.pickup_code},
                link=reverse("frontdesk:my_parcels"),
                estate=estate,
                dedupe_key=f"parcel:{parcel.pk}:unclaimed",
            )
            sent += created is not None
        if butler is not None and butler not in residents:
            created = notify(
                recipient=butler,
                subject=subject,
                body=body,
                link=reverse("frontdesk:parcels", args=[estate.pk]),
                estate=estate,
                dedupe_key=f"parcel:{parcel.pk}:unclaimed",
            )
            sent += created is not None
    return sent


def alert_unacknowledged_handovers(estate: Estate, now: datetime.datetime) -> int:
    minutes = queries.settings_of(estate.pk).handover_ack_minutes
    handovers = list(queries.unacknowledged_handovers(estate.pk, now, datetime.timedelta(minutes=minutes)))
    if not handovers:
        return 0
    sent = 0
    for handover in handovers:
        subject = _("A shift handover is not acknowledged")
        body = _(
            "The handover written by %(writer)s at %(at)s has not been acknowledged within %(minutes)s minutes."
        ) % {
            "writer": handover.written_by,
            "at": timezone.localtime(handover.written_at).strftime("%Y-%m-%d %H:%M"),
            "minutes": minutes,
        }
        for user in staff_of(estate.pk, {Post.HEAD_BUTLER}):
            created = notify(
                recipient=user,
                subject=subject,
                body=body,
                link=reverse("frontdesk:handovers", args=[estate.pk]),
                estate=estate,
                dedupe_key=f"handover:{handover.pk}:unacknowledged",
            )
            sent += created is not None
    return sent
