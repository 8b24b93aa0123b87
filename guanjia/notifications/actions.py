"""Writes of the notification outbox: notify inside the caller's transaction, deliver after
commit. Delivery claims each due message in a short transaction (a row lock, skip locked, so
two workers do not take the same one), sends it outside any transaction and records the
outcome in another; a failure leaves it waiting with a later retry time. Delivery is at
least once: every try of a message carries the same idempotency key."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from guanjia.accounts.models import User
from guanjia.core.queue import queue_after_commit
from guanjia.estates.models import Estate
from guanjia.notifications.models import Notification, OutboxMessage
from guanjia.notifications.sms import backend as sms_backend

logger = logging.getLogger(__name__)
ALL_CHANNELS = (OutboxMessage.Channel.EMAIL, OutboxMessage.Channel.SMS)
MAX_ATTEMPTS = 12  # with the back-off below: about a day and a half of retrying


def notify(
    *,
    recipient: User,
    subject: str,
    body: str = "",
    link: str = "",
    estate: Estate | None = None,
    dedupe_key: str = "",
    channels: Iterable[str] = ALL_CHANNELS,
) -> Notification | None:
    """Tell `recipient` (a User) something: an inbox row now, plus one outbox row per channel
    the user can be reached on, sent after the surrounding transaction commits.

    Call it inside the transaction of the change it reports, so that both are written or
    neither. With a dedupe_key, a second call for the same key and user does nothing and
    returns None (a reminder is not repeated)."""
    if dedupe_key and Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin loses without spoiling the caller
            notification = Notification.objects.create(
                recipient=recipient,
                estate=estate,
                subject=subject[:200],
                body=body,
                link=link,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return None
    now = timezone.now()
    reachable = [channel for channel in channels if address_of(recipient, channel)]
    OutboxMessage.objects.bulk_create(
        OutboxMessage(notification=notification, channel=channel, next_attempt_at=now) for channel in reachable
    )
    if reachable:
        queue_after_commit("notifications.deliver")
    return notification


def address_of(user: User, channel: str) -> str:
    if channel == OutboxMessage.Channel.EMAIL:
        return user.email or ""
    if channel == OutboxMessage.Channel.SMS:
        person = getattr(user, "person", None)
        return user.phone or (person.phone if person is not None else "")
    return ""


def mark_read(*, actor: User, notification: Notification) -> Notification:
    """The recipient has seen it (the first time counts)."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    notification.refresh_from_db()
    return notification


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes, at most two hours between tries."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def deliver_due(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send what is due; returns how many went out. Safe to run in several workers at once."""
    sent = 0
    for _ in range(limit):
        outcome = deliver_one(now or timezone.now())
        if outcome is None:
            break
        sent += outcome
    return sent


def deliver_one(now: dt.datetime) -> int | None:
    """Claim one due message and try it: 1 sent, 0 failed (retried later), None none due.

    Three steps, and the mail server is talked to outside any transaction: on SQLite a
    transaction that writes holds the one write lock of the whole database, and a server that
    never answers would hold up every page's write meanwhile. The price is at-least-once
    delivery: a worker killed between sending and recording sends the message again once
    its claim runs out, with the same Message-ID (see `send`)."""
    message = claim_due(now)
    if message is None:
        return None
    try:
        send(message)
    except Exception as error:  # noqa: BLE001 — any failure of the channel means "try later"
        logger.warning("outbox message %s not sent: %s", message.pk, error)
        record_failure(message, error, now)
        return 0
    record_sent(message)
    return 1


def send_lease() -> dt.timedelta:
    """How long a claimed message is left to its sender before another may try it."""
    return dt.timedelta(seconds=settings.GUANJIA_OUTBOX_SEND_LEASE_SECONDS)


def claim_due(now: dt.datetime) -> OutboxMessage | None:
    """Take the next due message in one short transaction: its attempt is counted and it is
    not due again until the send lease runs out, so no other deliverer takes it meanwhile
    (the row lock with skip locked keeps PostgreSQL's deliverers apart while claiming;
    SQLite runs one writing transaction at a time)."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient__person")
            .filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + send_lease()
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts, next_attempt_at=message.next_attempt_at
        )
    return message


def record_sent(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), last_error=""
    )


def record_failure(message: OutboxMessage, error: Exception, now: dt.datetime) -> None:
    """Wait with a growing back-off, or give up after MAX_ATTEMPTS. A message that another
    deliverer has sent meanwhile (after this one's lease ran out) stays sent."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING).update(
        last_error=str(error)[:300],
        next_attempt_at=now + retry_delay(message.attempts),
        status=OutboxMessage.Status.FAILED if message.attempts >= MAX_ATTEMPTS else OutboxMessage.Status.PENDING,
    )


def idempotency_key(message: OutboxMessage) -> str:
    """The same for every try of one message: a provider that keeps it can drop a repeat."""
    return f"guanjia-outbox-{message.pk}"


def send(message: OutboxMessage) -> None:
    notification = message.notification
    address = address_of(notification.recipient, message.channel)
    if not address:
        raise ValueError("the recipient has no address on this channel any more")
    text = notification.subject if not notification.body else f"{notification.subject}\n\n{notification.body}"
    if notification.link:
        text += f"\n\n{settings.SITE_URL.rstrip('/')}{notification.link}"
    if message.channel == OutboxMessage.Channel.EMAIL:
        email = EmailMessage(
            subject=notification.subject,
            body=text,
            to=[address],
            # The same Message-ID on every try lets a mail system drop a copy it already has.
            headers={"Message-ID": f"<{idempotency_key(message)}@guanjia>"},
        )
        email.send(fail_silently=False)
    else:
        sms_backend().send(address, text, idempotency_key=idempotency_key(message))
