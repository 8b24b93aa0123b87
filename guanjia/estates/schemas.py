from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema

from guanjia.core.schemas import RowId, column
from guanjia.estates.models import Building, Unit


class EstateOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    address: str
    company: str

    @staticmethod
    def resolve_company(obj) -> str:
        return obj.company.name


class ZoneOut(Schema):
    id: int
    code: str
    name: str
    butler_id: int | None
    butler_name: str

    @staticmethod
    def resolve_butler_name(obj) -> str:
        return str(obj.butler) if obj.butler_id else ""


class BuildingIn(Schema):
    code: Annotated[str, column(Building, "code")]
    name: Annotated[str, column(Building, "name")] = ""
    floors: Annotated[int, column(Building, "floors")] | None = None


class BuildingOut(Schema):
    id: int
    code: str
    name: str
    floors: int | None


class UnitIn(Schema):
    building_id: RowId
    entrance: Annotated[str, column(Unit, "entrance")] = ""
    number: Annotated[str, column(Unit, "number")]
    floor: Annotated[int, column(Unit, "floor")]
    area: Annotated[Decimal, column(Unit, "area")]
    house_type: Annotated[str, column(Unit, "house_type")]
    status: Annotated[str, column(Unit, "status")] = "undelivered"
    delivery_date: Annotated[datetime.date, column(Unit, "delivery_date")] | None = None
    zone_id: RowId | None = None
    note: Annotated[str, column(Unit, "note")] = ""


class UnitPatch(Schema):
    floor: Annotated[int, column(Unit, "floor")] | None = None
    area: Annotated[Decimal, column(Unit, "area")] | None = None
    house_type: Annotated[str, column(Unit, "house_type")] | None = None
    status: Annotated[str, column(Unit, "status")] | None = None
    delivery_date: Annotated[datetime.date, column(Unit, "delivery_date")] | None = None
    zone_id: RowId | None = None
    note: Annotated[str, column(Unit, "note")] | None = None


class UnitOut(Schema):
    id: int
    estate_id: int
    code: str
    building: str
    entrance: str
    number: str
    floor: int
    area: Decimal
    house_type: str
    status: str
    delivery_date: datetime.date | None
    zone_id: int | None
    note: str

    @staticmethod
    def resolve_building(obj) -> str:
        return obj.building.code


class ChangeOut(Schema):
    at: datetime.datetime
    actor: str
    verb: str
    changes: dict
    note: str

    @staticmethod
    def resolve_actor(obj) -> str:
        return str(obj.actor) if obj.actor_id else ""
