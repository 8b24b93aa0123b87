from __future__ import annotations

import datetime

from ninja import Schema


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
    borrower_name: str
    borrower_phone: str
    purpose: str
    valid_until: datetime.date

    @staticmethod
    def resolve_borrower_phone(obj) -> str:
        from guanjia.core.masking import mask_phone

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
    unit_id: int
    recipient_name: str
    shelf: str
    courier: str = ""
    tracking_number: str = ""
    left_by: str = ""


class ParcelOut(Schema):
    """The pickup code is shown only to the people of the unit: at the desk it must be told."""

    id: int
    unit_id: int
    unit_code: str
    courier: str
    tracking_number: str
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
        from guanjia.core.roles import Capability
        from guanjia.core.scope import scope_of

        request = context["request"]
        if scope_of(request.auth).can(obj.estate_id, Capability.HANDLE_CUSTODY):
            return None  # desk staff hear the code from the collector; they are not shown it
        return obj.pickup_code


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
