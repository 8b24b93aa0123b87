"""Reads of the inbox: each user reads only their own notifications."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from guanjia.notifications.models import Notification


def inbox_of(user: AbstractBaseUser, *, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def inbox_page(user: AbstractBaseUser, size: int) -> QuerySet[Notification]:
    """The newest `size` notifications, with their estates, for the inbox page."""
    return inbox_of(user).select_related("estate")[:size]


def unread_count(user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
