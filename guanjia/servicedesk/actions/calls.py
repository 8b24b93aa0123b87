"""The call button of a request: the call to its contact is logged before the number goes to
the caller's phone."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.errors import DomainError
from guanjia.servicedesk import access
from guanjia.servicedesk.models import RequestCall, ServiceRequest


def call_contact(*, actor: User, service_request: ServiceRequest, now: dt.datetime | None = None) -> str:
    """Log a call to the request's contact and give the number to dial. Only someone who works
    on the request calls, only while it is not finished, and only a contact with a number."""
    if not access.can_act(actor, service_request):
        raise DomainError(_("You cannot call about this request."), field="request")
    if service_request.status in (ServiceRequest.Status.CLOSED, ServiceRequest.Status.CANCELLED):
        raise DomainError(_("This request is finished: call from the owner's record instead."), field="request")
    person = service_request.person
    if person is None or not person.phone:
        raise DomainError(_("This request has no contact number."), field="request")
    # The call's own row is its log (shown in the request's timeline).
    RequestCall.objects.create(request=service_request, caller=actor, person=person, at=now or timezone.now())
    return person.phone
