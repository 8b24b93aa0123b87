"""A complaint's classification, for the month's analysis."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.servicedesk.actions.choices import resolve_choice
from guanjia.servicedesk.models import ComplaintDetails, RequestEvent, ServiceRequest


@transaction.atomic
def classify_complaint(
    *,
    actor: User,
    service_request: ServiceRequest,
    category: str,
    validity: str = ComplaintDetails.Validity.PENDING,
    department: str = "",
    now: dt.datetime | None = None,
) -> ComplaintDetails:
    """Category, validity (有效投诉) and responsible department, for the monthly analysis."""
    if service_request.kind != ServiceRequest.Kind.COMPLAINT:
        raise DomainError(_("Only a complaint is classified."), field="kind")
    problems = Problems()
    resolve_choice(category, ComplaintDetails.Category, "category", _("Choose a category from the list."), problems)
    resolve_choice(validity, ComplaintDetails.Validity, "validity", _("Choose whether it is valid."), problems)
    if department:
        resolve_choice(
            department, ComplaintDetails.Department, "department", _("Choose a department from the list."), problems
        )
    problems.raise_if_any(_("Please correct the complaint details."))
    locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
    details, _created = ComplaintDetails.objects.get_or_create(request=locked)
    changes = apply_changes(details, {"category": category, "validity": validity, "department": department})
    if changes:
        details.save()
        locked.version += 1
        locked.save(update_fields=["version"])
        RequestEvent.objects.create(
            request=locked,
            actor=actor,
            at=now or timezone.now(),
            from_status=locked.status,
            to_status=locked.status,
            action="classify",
        )
        record_change(actor=actor, target=details, verb="classify", changes=changes, estate_id=locked.estate_id)
    return details
