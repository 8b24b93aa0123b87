"""The inbox: every signed-in user reads their own notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from guanjia.notifications import actions, queries
from guanjia.notifications.access import access_notification

INBOX_SIZE = 100


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = queries.inbox_of(request.user).select_related("estate")[:INBOX_SIZE]
    return render(request, "notifications/inbox.html", {"notifications": notifications})


@login_required
@require_POST
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = access_notification(request.user, notification_id)
    actions.mark_read(actor=request.user, notification=notification)
    if notification.link.startswith("/"):
        return redirect(notification.link)
    return redirect("notifications:inbox")
