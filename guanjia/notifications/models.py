"""The notification outbox: a message to a user is written in the same transaction as the
change it reports, shown in the app at once, and sent by email and SMS after commit by the
worker, which retries while the mail server is down. Rows are never deleted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one user, in the app's inbox."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    estate = models.ForeignKey("estates.Estate", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # The same reminder about the same thing reaches a user once: e.g. "parcel:17:unclaimed".
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_once_per_key"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.subject


class OutboxMessage(models.Model):
    """A notification to send through one channel besides the app. The address is read
    from the recipient when it is sent, so a corrected phone or email is used."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")

    notification = models.ForeignKey(Notification, on_delete=models.PROTECT, related_name="outbox")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="outbox_one_per_channel"),
        ]
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id}"
