"""Arrears collection (催缴): the collection log with its promises to pay and their follow-up
reminders, and reminder notices to the owners in arrears.

Collection here is contact, notices and follow-up, nothing more:
- No late fee (滞纳金) is built. Courts in China often refuse it unless the service contract
  provides for it, so it would have to be an estate's explicit choice (off by default, a
  simple daily rate on the overdue principal); until someone builds that, there is none.
- Never any cut of water, power or gas, and no threat of it in a notice: a property service
  center may not do that to collect fees. There is nothing to build for it, on purpose."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.accounts.queries import residents_with_logins
from guanjia.billing import money, queries
from guanjia.billing.actions.checks import check_choice
from guanjia.billing.models import CollectionLog
from guanjia.core.audit import plain, record_change
from guanjia.core.errors import DomainError
from guanjia.estates.models import Estate, Unit
from guanjia.notifications.actions import notify
from guanjia.people.models import Residency


@transaction.atomic
def log_collection(
    *,
    actor: User,
    unit: Unit,
    contact: str,
    outcome: str,
    promised_date: datetime.date | None = None,
    note: str = "",
) -> CollectionLog:
    """Record one contact about a unit's arrears (催缴). A promise to pay needs its date,
    today or later; on that date the one who logged it is reminded to follow up."""
    check_choice(contact, CollectionLog.Contact.values, field="contact", message=_("Choose how you made contact."))
    check_choice(outcome, CollectionLog.Outcome.values, field="outcome", message=_("Choose the outcome."))
    if outcome == CollectionLog.Outcome.PROMISED and promised_date is None:
        raise DomainError(_("Enter the date the payer promised to pay."), field="promised_date")
    if promised_date is not None and promised_date < timezone.localdate():
        raise DomainError(_("The promised date cannot be in the past."), field="promised_date")
    entry = CollectionLog.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        contact=contact,
        outcome=outcome,
        promised_date=promised_date,
        note=note.strip()[:500],
        logged_by=actor,
    )
    record_change(
        actor=actor,
        target=entry,
        verb="create",
        estate_id=unit.estate_id,
        changes={"outcome": [None, outcome], "promised_date": [None, plain(promised_date)]},
    )
    return entry


def remind_promised_payments(*, today: datetime.date | None = None) -> list[int]:
    """The daily follow-up: for every promise to pay whose date has come and that has not
    been followed up yet, remind the one who logged it, if the unit still owes anything due.
    Each entry is claimed under a row lock (skip locked) and marked, and the notice carries a
    dedupe key, so running twice, or in two workers at once, reminds once. Returns the ids of
    the entries that were followed up."""
    today = today or timezone.localdate()
    done: list[int] = []
    with transaction.atomic():
        due = (
            CollectionLog.objects.select_for_update(skip_locked=True)
            .filter(outcome=CollectionLog.Outcome.PROMISED, promised_date__lte=today, reminded_at__isnull=True)
            .order_by("pk")
        )
        for entry in due.select_related("unit", "estate", "logged_by"):
            owed = queries.owed_by_owner(entry.unit_id, today)
            if owed:
                notify(
                    recipient=entry.logged_by,
                    subject=_("%(unit)s promised to pay by %(date)s: follow up")
                    % {"unit": entry.unit.code, "date": entry.promised_date},
                    body=_("Still owed: ¥%(owed)s. %(note)s") % {"owed": fen_text(owed), "note": entry.note},
                    estate=entry.estate,
                    dedupe_key=f"billing:collection:{entry.pk}:promise",
                )
            entry.reminded_at = timezone.now()
            entry.save(update_fields=["reminded_at"])
            done.append(entry.pk)
    return done


def fen_text(value: Decimal | float) -> str:
    return str(money.round_to_fen(Decimal(str(value))))


@transaction.atomic
def send_arrears_reminders(
    *,
    actor: User | None,
    estate: Estate,
    as_of: datetime.date | None = None,
    zone_ids: Iterable[int] | None = None,
) -> int:
    """Arrears reminder notices (催缴通知) to the owners of every unit with owner bills due
    and unpaid on `as_of`: in their portal inbox and by SMS (and e-mail when on file), at
    most once a month per unit and owner. A polite notice of what is owed, nothing else:
    no late fee unless the estate has one, and never a threat to cut water or power.
    Returns how many notices were sent."""
    as_of = as_of or timezone.localdate()
    sent = 0
    for row in queries.owner_arrears_by_unit(estate, as_of, zone_ids=zone_ids):
        if not row["total"] or row["total"] <= 0:
            continue
        for recipient in residents_with_logins(row["unit_id"], (Residency.Relation.OWNER, Residency.Relation.CO_OWNER)):
            notice = notify(
                recipient=recipient,
                subject=_("Fee reminder for %(unit)s") % {"unit": row["unit__code"]},
                body=arrears_notice(row["unit__code"], row["total"], as_of),
                estate=estate,
                dedupe_key=f"billing:arrears:{row['unit_id']}:{as_of:%Y-%m}",
            )
            sent += notice is not None
    record_change(
        actor=actor,
        target=estate,
        verb="send_arrears_reminders",
        estate_id=estate.pk,
        changes={"sent": [None, sent], "as_of": [None, str(as_of)]},
    )
    return sent


def arrears_notice(unit_code: str, owed: Decimal, as_of: datetime.date) -> str:
    return _(
        "Our records show ¥%(owed)s of property fees due and unpaid for %(unit)s as of %(date)s. "
        "Please pay at the service center or online in your owner portal. "
        "If you have already paid, please ignore this notice."
    ) % {"owed": fen_text(owed), "unit": unit_code, "date": as_of}
