from __future__ import annotations

import datetime
from typing import Annotated

from ninja import Schema

from guanjia.core.masking import mask_phone
from guanjia.core.roles import Capability
from guanjia.core.schemas import RowId, column
from guanjia.core.scope import holds
from guanjia.frontdesk.models import (
    CustodyEvent,
    DeskSettings,
    DoNotAdmit,
    Key,
    KeyAuthorization,
    KeyLoan,
    Parcel,
    Visit,
    VisitorPass,
)


class KeyIn(Schema):
    kind: Annotated[str, column(Key, "kind")]
    tag: Annotated[str, column(Key, "tag")]
    slot: Annotated[str, column(Key, "slot")]
    unit_id: RowId | None = None
    facility: Annotated[str, column(Key, "facility")] = ""
    note: Annotated[str, column(Key, "note")] = ""


class KeyOut(Schema):
    id: int
    kind: str
    tag: str
    slot: str
    unit_id: int | None
    facility: str
    status: str


class AuthorizationIn(Schema):
    borrower_name: Annotated[str, column(KeyAuthorization, "borrower_name")]
    borrower_phone: Annotated[str, column(KeyAuthorization, "borrower_phone")]
    purpose: Annotated[str, column(KeyAuthorization, "purpose")]
    valid_until: Annotated[datetime.date, column(KeyAuthorization, "valid_until")]


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
    borrower_name: Annotated[str, column(KeyLoan, "borrower_name")]
    borrower_phone: Annotated[str, column(KeyLoan, "borrower_phone")]
    due_at: Annotated[datetime.datetime, column(KeyLoan, "due_at")]


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

    unit_id: RowId
    recipient_name: Annotated[str, column(Parcel, "recipient_name")]
    shelf: Annotated[str, column(Parcel, "shelf")]
    courier: Annotated[str, column(Parcel, "courier")] = ""
    tracking_number: Annotated[str, column(Parcel, "tracking_number")] = ""
    left_by: Annotated[str, column(Parcel, "left_by")] = ""
    kind: Annotated[str, column(Parcel, "kind")] = "parcel"
    description: Annotated[str, column(Parcel, "description")] = ""
    left_by_phone: Annotated[str, column(Parcel, "left_by_phone")] = ""


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
    pickup_code: Annotated[str, column(Parcel, "pickup_code")]
    collected_by_name: Annotated[str, column(Parcel, "collected_by_name")]


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
    status: Annotated[str, column(Key, "status")]
    note: Annotated[str, column(CustodyEvent, "checked_how")] = ""


class VisitIn(Schema):
    unit_id: RowId
    visitor_name: Annotated[str, column(Visit, "visitor_name")]
    visitor_phone: Annotated[str, column(Visit, "visitor_phone")] = ""
    purpose: Annotated[str, column(Visit, "purpose")] = ""


class AdmitIn(Schema):
    token: Annotated[str, column(VisitorPass, "token")]


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
    unit_id: RowId
    visitor_name: Annotated[str, column(VisitorPass, "visitor_name")]
    kind: Annotated[str, column(VisitorPass, "kind")]
    valid_from: Annotated[datetime.datetime, column(VisitorPass, "valid_from")]
    valid_until: Annotated[datetime.datetime, column(VisitorPass, "valid_until")]


class PassOut(Schema):
    """The owner's own pass: the token is what the QR code carries."""

    id: int
    unit_id: int
    visitor_name: str
    kind: str
    token: str
    code: str  # the short code the desk can type instead of scanning the QR
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class InstructionIn(Schema):
    unit_id: RowId
    name: Annotated[str, column(DoNotAdmit, "name")]
    note: Annotated[str, column(DoNotAdmit, "note")] = ""


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
    unclaimed_days: Annotated[int, column(DeskSettings, "unclaimed_days")]
    handover_ack_minutes: Annotated[int, column(DeskSettings, "handover_ack_minutes")]


class DeskSettingsOut(Schema):
    unclaimed_days: int
    handover_ack_minutes: int
