"""The inbox over the API: a user's own notifications, nobody else's."""

from __future__ import annotations

import datetime

from ninja import Router, Schema

from guanjia.notifications import actions, queries
from guanjia.notifications.access import access_notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    link: str
    estate_id: int | None
    created_at: datetime.datetime
    read_at: datetime.datetime | None


@router.get("/me/notifications", response=list[NotificationOut])
def list_notifications(request, unread: bool = False):
    return queries.inbox_of(request.user, unread_only=unread)[:200]


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_notification(request, notification_id: int):
    notification = access_notification(request.user, notification_id)
    return actions.mark_read(actor=request.user, notification=notification)
