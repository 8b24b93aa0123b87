"""Every write of the service desk, by sub-area: intake, the life cycle, return visits,
service levels, escalation, complaints, duty managers and photos.

The public actions (called from views, the API, the jobs, the demo and tests) are named here;
helpers are imported from their own module (and patched there in tests)."""

from guanjia.servicedesk.actions.calls import call_contact
from guanjia.servicedesk.actions.complaints import classify_complaint
from guanjia.servicedesk.actions.duty import name_duty_manager
from guanjia.servicedesk.actions.escalation import escalate_overdue, passed_deadlines
from guanjia.servicedesk.actions.intake import receive_request, submit_portal_request
from guanjia.servicedesk.actions.lifecycle import (
    assign_request,
    cancel_request,
    close_request,
    reopen_request,
    resolve_request,
    resume_work,
    start_work,
    wait_for_owner,
    wait_for_parts,
)
from guanjia.servicedesk.actions.photos import MAX_PHOTOS_PER_REQUEST, add_request_photo
from guanjia.servicedesk.actions.return_visits import confirm_resolution, record_return_visit
from guanjia.servicedesk.actions.service_levels import set_service_level, set_service_levels

__all__ = [
    "MAX_PHOTOS_PER_REQUEST",
    "add_request_photo",
    "assign_request",
    "call_contact",
    "cancel_request",
    "classify_complaint",
    "close_request",
    "confirm_resolution",
    "escalate_overdue",
    "name_duty_manager",
    "passed_deadlines",
    "receive_request",
    "record_return_visit",
    "reopen_request",
    "resolve_request",
    "resume_work",
    "set_service_level",
    "set_service_levels",
    "start_work",
    "submit_portal_request",
    "wait_for_owner",
    "wait_for_parts",
]
