from __future__ import annotations

import datetime
from typing import Annotated

from ninja import Schema

from guanjia.core.schemas import RowId, column
from guanjia.people.models import Person, PersonalDataRead, Residency, Vehicle
from guanjia.people.queries import current_residencies_of


class ResidencyOut(Schema):
    id: int
    unit_id: int
    unit_code: str
    relation: str
    since: datetime.date | None

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code


class PersonOut(Schema):
    """Phone and ID number are always masked here; POST /people/{id}/reveal gives them whole."""

    id: int
    estate_id: int
    name: str
    phone: str
    id_type: str
    id_number: str
    email: str
    emergency_contact_name: str
    emergency_contact_phone: str
    special_needs: str
    preferences: str
    note: str
    units: list[ResidencyOut]

    @staticmethod
    def resolve_phone(obj) -> str:
        return obj.phone_masked

    @staticmethod
    def resolve_id_number(obj) -> str:
        return obj.id_number_masked

    @staticmethod
    def resolve_emergency_contact_phone(obj) -> str:
        return obj.emergency_contact_phone_masked

    @staticmethod
    def resolve_units(obj: Person) -> list[Residency]:
        return current_residencies_of(obj)


class PersonIn(Schema):
    name: Annotated[str, column(Person, "name")]
    phone: Annotated[str, column(Person, "phone")] = ""
    email: Annotated[str, column(Person, "email")] = ""
    id_type: Annotated[str, column(Person, "id_type")] = "resident_id"
    id_number: Annotated[str, column(Person, "id_number_masked")] = ""
    emergency_contact_name: Annotated[str, column(Person, "emergency_contact_name")] = ""
    emergency_contact_phone: Annotated[str, column(Person, "emergency_contact_phone")] = ""
    special_needs: str = ""
    preferences: str = ""
    note: str = ""


class PersonPatch(Schema):
    name: Annotated[str, column(Person, "name")] | None = None
    phone: Annotated[str, column(Person, "phone")] | None = None
    email: Annotated[str, column(Person, "email")] | None = None
    id_type: Annotated[str, column(Person, "id_type")] | None = None
    id_number: Annotated[str, column(Person, "id_number_masked")] | None = None
    emergency_contact_name: Annotated[str, column(Person, "emergency_contact_name")] | None = None
    emergency_contact_phone: Annotated[str, column(Person, "emergency_contact_phone")] | None = None
    special_needs: str | None = None
    preferences: str | None = None
    note: str | None = None


class LinkIn(Schema):
    unit_id: RowId
    relation: Annotated[str, column(Residency, "relation")]
    since: Annotated[datetime.date, column(Residency, "since")] | None = None


class VehicleIn(Schema):
    plate: Annotated[str, column(Vehicle, "plate")]
    description: Annotated[str, column(Vehicle, "description")] = ""


class VehicleOut(Schema):
    id: int
    plate: str
    description: str


class RevealIn(Schema):
    purpose: Annotated[str, column(PersonalDataRead, "purpose")] = ""


class RevealOut(Schema):
    phone: str
    id_number: str
    emergency_contact_phone: str


class SearchUnitOut(Schema):
    id: int
    code: str
    status: str
    zone: str

    @staticmethod
    def resolve_zone(obj) -> str:
        return obj.zone.name if obj.zone_id else ""


class SearchOut(Schema):
    how: str
    notice: str = ""  # why a longer phone number found no one: the reader may not see whole numbers
    people: list[PersonOut]
    units: list[SearchUnitOut]
