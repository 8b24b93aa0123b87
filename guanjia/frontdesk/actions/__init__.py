"""Every write to the custody ledger, by sub-area. Each hand-over writes a CustodyEvent in the
same transaction; "never out twice" and "checked in once" are database constraints.

The public actions are named here for views, the API, jobs, the demo and tests; helpers are
imported from their own module (and patched there)."""

from guanjia.frontdesk.actions.alerts import configure_desk, send_desk_alerts
from guanjia.frontdesk.actions.handovers import acknowledge_handover, write_handover
from guanjia.frontdesk.actions.keys import (
    authorize_borrower,
    lend_key,
    mark_key,
    register_key,
    return_key,
    revoke_authorization,
    update_authorization,
)
from guanjia.frontdesk.actions.parcels import (
    hand_over_parcel,
    receive_parcel,
    receive_parcel_with_photo,
    receive_scanned_parcel,
)
from guanjia.frontdesk.actions.photos import MAX_PHOTOS_PER_ITEM, add_key_photo, add_parcel_photo
from guanjia.frontdesk.actions.visitors import (
    add_do_not_admit,
    admit_with_pass,
    check_in_visitor,
    check_out_visitor,
    issue_visitor_pass,
    lift_do_not_admit,
    revoke_visitor_pass,
)

__all__ = [
    "MAX_PHOTOS_PER_ITEM",
    "acknowledge_handover",
    "add_do_not_admit",
    "add_key_photo",
    "add_parcel_photo",
    "admit_with_pass",
    "authorize_borrower",
    "check_in_visitor",
    "check_out_visitor",
    "configure_desk",
    "hand_over_parcel",
    "issue_visitor_pass",
    "lend_key",
    "lift_do_not_admit",
    "mark_key",
    "receive_parcel",
    "receive_parcel_with_photo",
    "receive_scanned_parcel",
    "register_key",
    "return_key",
    "revoke_authorization",
    "revoke_visitor_pass",
    "send_desk_alerts",
    "update_authorization",
    "write_handover",
]
