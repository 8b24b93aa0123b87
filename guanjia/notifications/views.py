"""The inbox: every signed-in user reads their own notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from guanjia.accounts.access import signed_in_user
from guanjia.notifications import actions, queries
from guanjia.notifications.access import access_notification

INBOX_SIZE = 100


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = queries.inbox_page(signed_in_user(request), INBOX_SIZE)
    return render(request, "notifications/inbox.html", {"notifications": notifications})


@login_required
@require_POST
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = signed_in_user(request)
    notification = access_notification(user, notification_id)
    actions.mark_read(actor=user, notification=notification)
    if notification.link.startswith("/"):
        return redirect(notification.link)
    return redirect("notifications:inbox")
