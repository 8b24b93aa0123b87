from __future__ import annotations

import datetime

from ninja import Schema

from guanjia.core.masking import mask_phone
from guanjia.core.roles import Capability
from guanjia.core.scope import holds


class KeyIn(Schema):
    kind: str
    tag: str
    slot: str
    unit_id: int | None = None
    facility: str = ""
    note: str = ""


class KeyOut(Schema):
    id: int
    kind: str
    tag: str
    slot: str
    unit_id: int | None
    facility: str
    status: str


class AuthorizationIn(Schema):
    borrower_name: str
    borrower_phone: str
    purpose: str
    valid_until: datetime.date


class AuthorizationOut(Schema):
    id: int
    key_id: int
    borrower_name: str
    borrower_phone: str
    purpose: str
    valid_until: datetime.date
    revoked_at: datetime.datetime | None

    @staticmethod
    def resolve_borrower_phone(obj) -> str:
        return mask_phone(obj.borrower_phone)


class LendIn(Schema):
    borrower_name: str
    borrower_phone: str
    due_at: datetime.datetime


class LoanOut(Schema):
    id: int
    key_id: int
    borrower_name: str
    lent_at: datetime.datetime
    due_at: datetime.datetime
    returned_at: datetime.datetime | None


class ParcelIn(Schema):
    """A parcel (kind "parcel", with a tracking number) or an entrusted item (kind "item":
    who left it, a description)."""

    unit_id: int
    recipient_name: str
    shelf: str
    courier: str = ""
    tracking_number: str = ""
    left_by: str = ""
    kind: str = "parcel"
    description: str = ""
    left_by_phone: str = ""


class ParcelOut(Schema):
    """The pickup code is shown only to the people of the unit: at the desk it must be told."""

    id: int
    unit_id: int
    unit_code: str
    kind: str
    courier: str
    tracking_number: str
    left_by: str
    description: str
    recipient_name: str
    shelf: str
    status: str
    received_at: datetime.datetime
    pickup_code: str | None = None

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_pickup_code(obj, context) -> str | None:
        request = context["request"]
        if holds(request.auth, obj.estate_id, Capability.HANDLE_CUSTODY):
            return None  # desk staff hear the code from the collector; they are not shown it
        return obj.pickup_code


class CustodyPhotoOut(Schema):
    """A photo of a key or a parcel; `url` serves the image itself."""

    id: int
    key_id: int | None
    parcel_id: int | None
    url: str
    name: str
    content_type: str
    size: int
    uploaded_at: datetime.datetime

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/custody-photos/{obj.pk}"

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.original_name


class HandoverIn(Schema):
    pickup_code: str
    collected_by_name: str


class ShiftNoteIn(Schema):
    note: str


class ShiftNoteOut(Schema):
    id: int
    written_by_id: int
    written_at: datetime.datetime
    note: str
    open_items: dict
    acknowledged_by_id: int | None
    acknowledged_at: datetime.datetime | None


class MarkKeyIn(Schema):
    status: str
    note: str = ""


class VisitIn(Schema):
    unit_id: int
    visitor_name: str
    visitor_phone: str = ""
    purpose: str = ""


class AdmitIn(Schema):
    token: str


class VisitOut(Schema):
    id: int
    unit_id: int
    unit_code: str
    visitor_name: str
    visitor_phone: str
    purpose: str
    with_pass: bool
    checked_in_at: datetime.datetime
    checked_out_at: datetime.datetime | None

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_visitor_phone(obj) -> str:
        return mask_phone(obj.visitor_phone)

    @staticmethod
    def resolve_with_pass(obj) -> bool:
        return obj.visitor_pass_id is not None


class PassIn(Schema):
    unit_id: int
    visitor_name: str
    kind: str
    valid_from: datetime.datetime
    valid_until: datetime.datetime


class PassOut(Schema):
    """The owner's own pass: the token is what the QR code carries."""

    id: int
    unit_id: int
    visitor_name: str
    kind: str
    token: str
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class InstructionIn(Schema):
    unit_id: int
    name: str
    note: str = ""


class InstructionOut(Schema):
    id: int
    unit_id: int
    name: str
    note: str
    lifted_at: datetime.datetime | None


class EventOut(Schema):
    id: int
    action: str
    key_id: int | None
    parcel_id: int | None
    actor: str
    counterpart: str
    checked_how: str
    at: datetime.datetime

    @staticmethod
    def resolve_actor(obj) -> str:
        return str(obj.actor)


class DeskHitOut(Schema):
    unit_id: int
    unit_code: str
    people: list[str]
    parcels_waiting: int
    keys: int
    expected_visitors: int
    do_not_admit: list[str]
    open_requests: int

    @staticmethod
    def resolve_unit_id(obj) -> int:
        return obj.unit.pk

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_parcels_waiting(obj) -> int:
        return obj.parcels

    @staticmethod
    def resolve_expected_visitors(obj) -> int:
        return obj.passes

    @staticmethod
    def resolve_do_not_admit(obj) -> list[str]:
        return obj.instructions

    @staticmethod
    def resolve_open_requests(obj) -> int:
        return obj.requests


class DeskSettingsIn(Schema):
    unclaimed_days: int
    handover_ack_minutes: int


class DeskSettingsOut(Schema):
    unclaimed_days: int
    handover_ack_minutes: int
