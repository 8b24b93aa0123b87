from __future__ import annotations

import datetime
from decimal import Decimal

from ninja import Schema


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
    code: str
    name: str = ""
    floors: int | None = None


class BuildingOut(Schema):
    id: int
    code: str
    name: str
    floors: int | None


class UnitIn(Schema):
    building_id: int
    entrance: str = ""
    number: str
    floor: int
    area: Decimal
    house_type: str
    status: str = "undelivered"
    delivery_date: datetime.date | None = None
    zone_id: int | None = None
    note: str = ""


class UnitPatch(Schema):
    floor: int | None = None
    area: Decimal | None = None
    house_type: str | None = None
    status: str | None = None
    delivery_date: datetime.date | None = None
    zone_id: int | None = None
    note: str | None = None


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
