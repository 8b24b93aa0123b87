"""Who may see a notification: its recipient, nobody else (others get 404)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from guanjia.notifications.models import Notification


def access_notification(user: AbstractBaseUser | AnonymousUser, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None or not user.is_authenticated:
        raise Http404
    return notification
