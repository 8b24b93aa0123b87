"""Notifications about a request, written in the caller's transaction (the outbox sends them
after commit)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from guanjia.accounts.models import User
from guanjia.notifications.actions import notify
from guanjia.servicedesk.models import ServiceRequest


def request_link(service_request: ServiceRequest, *, portal: bool = False) -> str:
    return reverse("servicedesk:portal_request" if portal else "servicedesk:request", args=[service_request.pk])


def tell(
    recipient: User, service_request: ServiceRequest, subject: str, body: str, dedupe_key: str, *, portal: bool = False
) -> None:
    """One notification about a request. Written in the site's language: the recipient is not
    the one acting."""
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient=recipient,
            subject=str(subject),
            body=str(body),
            link=request_link(service_request, portal=portal),
            estate=service_request.estate,
            dedupe_key=dedupe_key,
        )
