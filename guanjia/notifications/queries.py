"""Reads of the inbox: each user reads only their own notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from guanjia.notifications.models import Notification


def inbox_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
