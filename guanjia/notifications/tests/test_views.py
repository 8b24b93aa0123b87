"""The inbox page and API: a user reads their own notifications and nobody else's."""

from __future__ import annotations

from django.urls import reverse

from guanjia.notifications.actions import notify
from guanjia.notifications.models import Notification


def test_the_inbox_lists_my_notifications_and_the_bell_counts_the_unread(client, cast):
    notify(recipient=cast.owner, subject="您有一个包裹待取", body="取件码见门户", link=reverse("accounts:portal"))
    notify(recipient=cast.butler, subject="不是给业主的")
    client.force_login(cast.owner)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "您有一个包裹待取" in page and "不是给业主的" not in page
    assert 'badge-notification badge-pill">1</span>' in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, cast):
    notification = notify(recipient=cast.owner, subject="账单已出", link=reverse("accounts:portal"))
    assert notification is not None
    client.force_login(cast.owner)
    response = client.post(reverse("notifications:read", args=[notification.pk]))
    assert response.status_code == 302 and response.url == reverse("accounts:portal")
    notification.refresh_from_db()
    first_read = notification.read_at
    assert first_read is not None
    client.post(reverse("notifications:read", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at == first_read  # the first reading counts


def test_somebody_elses_notification_is_404_and_stays_unread(client, cast):
    notification = notify(recipient=cast.owner, subject="账单已出")
    assert notification is not None
    client.force_login(cast.butler)
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    assert client.post(f"/api/v1/notifications/{notification.pk}/read").status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_the_api_lists_only_my_unread_when_asked(client, cast):
    read = notify(recipient=cast.owner, subject="旧消息")
    notify(recipient=cast.owner, subject="新消息")
    assert read is not None
    client.force_login(cast.owner)
    client.post(f"/api/v1/notifications/{read.pk}/read")
    assert [n["subject"] for n in client.get("/api/v1/me/notifications").json()] == ["新消息", "旧消息"]
    assert [n["subject"] for n in client.get("/api/v1/me/notifications?unread=true").json()] == ["新消息"]
