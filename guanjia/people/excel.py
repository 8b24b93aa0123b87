"""The registry workbook (房屋 + 住户) as a file format: its sheets and columns, the labels
people type in them, the checks of single cells, and the rows it is written from. Reading a
whole workbook with the checks across rows is guanjia.people.registry_reader's part; streaming
the file, finding the header and reading cells is guanjia.core.xlsx's.

Every problem names the sheet, the row number as Excel shows it, the column header and
what to do, so that a 100,000-row file can be fixed in one pass.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _

from guanjia.core import xlsx
from guanjia.core.errors import DomainError
from guanjia.estates.actions import parse_area
from guanjia.estates.models import Estate, Unit
from guanjia.people.models import Person, Residency

UNIT_SHEET = "房屋"
PEOPLE_SHEET = "住户"

ESTATE_CODE = "项目编码"
BUILDING = "楼栋"
ENTRANCE = "单元"
NUMBER = "房号"
FLOOR = "楼层"
AREA = "建筑面积(㎡)"
HOUSE_TYPE = "户型"
STATUS = "状态"
DELIVERY_DATE = "交付日期"
ZONE = "管家区域"
# One cell with the whole address (1栋2单元1201), in place of 楼栋, 单元 and 房号.
ADDRESS = "房屋地址"

UNIT_CODE = "房屋编号"
NAME = "姓名"
RELATION = "关系"
PHONE = "手机"
ID_TYPE = "证件类型"
ID_NUMBER = "证件号码"
EMERGENCY_NAME = "紧急联系人"
EMERGENCY_PHONE = "紧急联系电话"

# The labels people type in the workbook. They are part of the file format, so they stay
# Chinese whatever the interface language is.
HOUSE_TYPE_LABELS: dict[str, str] = {
    "高层公寓": Unit.HouseType.HIGH_RISE,
    "平层官邸": Unit.HouseType.FLAT_MANSION,
    "别墅": Unit.HouseType.VILLA,
    "商铺": Unit.HouseType.SHOP,
    "车位": Unit.HouseType.PARKING,
    "其他": Unit.HouseType.OTHER,
}
STATUS_LABELS: dict[str, str] = {
    "未交付": Unit.Status.UNDELIVERED,
    "空置": Unit.Status.VACANT,
    "委托代管空置": Unit.Status.ENTRUSTED_VACANT,
    "入住": Unit.Status.OCCUPIED,
    "装修中": Unit.Status.RENOVATING,
}
RELATION_LABELS: dict[str, str] = {
    "业主": Residency.Relation.OWNER,
    "共有人": Residency.Relation.CO_OWNER,
    "租户": Residency.Relation.TENANT,
    "家庭成员": Residency.Relation.FAMILY,
}
ID_TYPE_LABELS: dict[str, str] = {
    "居民身份证": Person.IdType.RESIDENT_ID,
    "护照": Person.IdType.PASSPORT,
    "港澳通行证": Person.IdType.HK_MACAO_PERMIT,
    "台湾通行证": Person.IdType.TAIWAN_PERMIT,
    "其他": Person.IdType.OTHER,
}

HOUSE_TYPE_NAMES = {value: label for label, value in HOUSE_TYPE_LABELS.items()}
STATUS_NAMES = {value: label for label, value in STATUS_LABELS.items()}
RELATION_NAMES = {value: label for label, value in RELATION_LABELS.items()}
ID_TYPE_NAMES = {value: label for label, value in ID_TYPE_LABELS.items()}


# Addresses and numbers as offices type them -------------------------------------------------

BUILDING_WORDS = "号楼|栋|幢|座|#楼|#"
ENTRANCE_WORDS = "单元|门"
FLOOR_WORDS = "层|楼|F"
ROOM_WORDS = "室|号|房"
PART = r"[A-Z0-9]+?"
# 1栋2单元1201, 1幢2单元1201室, 1号楼2单元12层01, 3栋0101, 1#楼2单元1201, with or without dashes.
ADDRESS_PATTERN = re.compile(
    rf"(?P<building>{PART})(?:{BUILDING_WORDS})-?"
    rf"(?:(?P<entrance>{PART})(?:{ENTRANCE_WORDS})-?)?"
    rf"(?:(?P<floor>\d+?)(?:{FLOOR_WORDS})-?)?"
    rf"(?P<room>{PART})(?:{ROOM_WORDS})?"
)
# The unit code itself: 1-2-1201 or 3-0101.
CODE_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+){1,2}")
THOUSANDS_SEPARATORS = re.compile(r"[,\s']")
AREA_UNITS = re.compile(r"(?:㎡|M²|M2|平方米|平米|平)$")
# Larger than any building area; checked before any arithmetic, which 1e30 would overflow.
AREA_LIMIT = Decimal("10000000")


def plain_text(value: Any) -> str:
    """A cell as text in half-width characters (１栋 is 1栋, ＃ is #), upper case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", xlsx.text(value))).upper()


def split_address(value: Any) -> tuple[str, str, str] | None:
    """(building, entrance, room number) of an address as Chinese offices write it, or None.
    A floor written apart (12层01) is part of the room number (1201), as the door shows it."""
    raw = plain_text(value)
    match = ADDRESS_PATTERN.fullmatch(raw)
    if match:
        room = match["room"]
        if match["floor"]:
            room = match["floor"] + room.rjust(2, "0")
        return match["building"], match["entrance"] or "", room
    if CODE_PATTERN.fullmatch(raw):
        parts = raw.split("-")
        return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (parts[0], "", parts[1])
    return None


def without_word(value: Any, words: str) -> str:
    """A building, entrance or room cell without the word after its number (1栋 is 1, 2单元 is 2)."""
    raw = plain_text(value)
    stripped = re.sub(rf"(?:{words})$", "", raw)
    return stripped or raw


def building_text(value: Any) -> str:
    return without_word(value, BUILDING_WORDS)


def entrance_text(value: Any) -> str:
    return without_word(value, ENTRANCE_WORDS)


def room_text(value: Any) -> str:
    return without_word(value, ROOM_WORDS)


def floor_number(value: Any) -> int | str:
    """A floor as a whole number: 12, 12层, 12F, -1."""
    if isinstance(value, str):
        return xlsx.as_int(without_word(value, FLOOR_WORDS))
    return xlsx.as_int(value)


def floor_of_room(number: str) -> int | None:
    """The floor a room number says (1201 is on 12, 0101 on 1), for a sheet without floors."""
    return int(number[:-2]) if number.isdigit() and len(number) >= 3 else None


def decimal_text(value: Any) -> Any:
    """A number typed as text with thousands separators or a unit (1,312.55, 89.5㎡) as plain
    digits; a number cell as it is."""
    if not isinstance(value, str):
        return value
    return AREA_UNITS.sub("", THOUSANDS_SEPARATORS.sub("", plain_text(value).replace("，", ",")))


# The checks of single cells (guanjia.core.xlsx.Check: header, value -> value or DomainError) --


def choice(labels: dict[str, str], *, also: dict[str, str] | None = None, default: str | None = None) -> xlsx.Check:
    """A label from `labels` (or one of the other spellings in `also`, met in real files but
    never written), or the stored value itself (owner, high_rise); `default` for an empty cell."""
    understood = {**(also or {}), **labels}
    values = set(labels.values())

    def check(header: str, raw: str) -> str:
        if not raw and default is not None:
            return default
        value = understood.get(raw) or (raw if raw in values else None)
        if value is not None:
            return value
        if not raw:
            raise DomainError(_("Enter a value in this column."))
        raise DomainError(
            _("Unknown %(column)s “%(value)s”. Choose one of: %(choices)s.")
            % {"column": header, "value": raw, "choices": "、".join(labels)}
        )

    return check


def code_part(limit: int, *, required: bool = True) -> xlsx.Check:
    """A building, entrance or room number: part of the unit code, which joins them with “-”."""

    def check(header: str, part: str) -> str:
        if required and not part:
            raise DomainError(_("Enter a value in this column."))
        if "-" in part:
            raise DomainError(_("A building, entrance or room number cannot contain “-”."))
        if len(part) > limit:
            raise DomainError(_("At most %(limit)s characters.") % {"limit": limit})
        return part

    return check


def building_area(header: str, raw: Any) -> Decimal:
    if raw is None or xlsx.text(raw) == "":
        raise DomainError(_("Enter the building area in square metres, e.g. 89.50."))
    value = decimal_text(raw)
    try:
        too_large = abs(Decimal(str(value))) >= AREA_LIMIT
    except (InvalidOperation, ValueError):
        too_large = False  # not a number: parse_area names it
    if too_large:
        raise DomainError(_("Building area is too large."))
    return parse_area(value)


def upper_text(value: Any) -> str:
    return xlsx.text(value).upper()


def unit_code_text(value: Any) -> str:
    """A unit code as typed (3-2-1201), spaces taken out; an address as offices write it
    (1栋2单元1201, 1号楼2单元12层01) becomes the unit's code."""
    parts = split_address(value)
    if parts is not None:
        return Unit.make_code(*parts)
    return re.sub(r"\s+", "", xlsx.text(value)).upper()


# The two sheets -------------------------------------------------------------------------

Column = xlsx.Column
UNITS = xlsx.Layout(
    UNIT_SHEET,
    (
        Column(ESTATE_CODE, "estate_code", required=True, width=10),
        Column(
            BUILDING,
            "building",
            read=building_text,
            check=code_part(20),
            aliases=("楼号", "楼栋号", "栋号", "幢号", "楼宇"),
            required=True,
            or_columns=(ADDRESS,),
            width=8,
        ),
        Column(
            ENTRANCE,
            "entrance",
            read=entrance_text,
            check=code_part(10, required=False),
            aliases=("单元号",),
            width=8,
        ),
        Column(
            NUMBER,
            "number",
            read=room_text,
            check=code_part(20),
            aliases=("室号", "房间号", "门牌号"),
            required=True,
            or_columns=(ADDRESS,),
            width=10,
        ),
        # A sheet without floors takes them from the room numbers (1201 is on 12).
        Column(FLOOR, "floor", read=floor_number, aliases=("所在楼层", "层"), width=8),
        Column(
            AREA,
            "area",
            read=xlsx.as_is,
            check=building_area,
            aliases=("建筑面积", "建筑面积(m²)", "建筑面积(m2)", "建筑面积(平方米)", "面积", "面积(㎡)"),
            required=True,
            width=14,
        ),
        Column(HOUSE_TYPE, "house_type", check=choice(HOUSE_TYPE_LABELS), required=True, width=10),
        Column(
            STATUS,
            "status",
            check=choice(STATUS_LABELS, also={"已入住": Unit.Status.OCCUPIED}, default=Unit.Status.UNDELIVERED),
            width=14,
        ),
        Column(DELIVERY_DATE, "delivery_date", read=xlsx.as_date, width=12),
        Column(ZONE, "zone", width=10),
        # Read, never written: an export keeps the three columns above.
        Column(ADDRESS, "address", aliases=("地址", "房屋", "房间", "房屋名称", "房屋全称"), width=16),
    ),
)
# The keys of the person columns are the fields clean_person_values names.
PEOPLE = xlsx.Layout(
    PEOPLE_SHEET,
    (
        Column(
            UNIT_CODE,
            "unit_code",
            read=unit_code_text,
            aliases=("房屋代码",),
            required=True,
            or_columns=(ADDRESS, NUMBER),
            width=14,
        ),
        Column(NAME, "name", required=True, width=12),
        Column(RELATION, "relation", check=choice(RELATION_LABELS), required=True, width=10),
        Column(PHONE, "phone", aliases=("手机号", "手机号码"), width=16),
        Column(
            ID_TYPE,
            "id_type",
            check=choice(ID_TYPE_LABELS, also={"身份证": Person.IdType.RESIDENT_ID}, default=Person.IdType.RESIDENT_ID),
            width=12,
        ),
        Column(ID_NUMBER, "id_number", width=22),
        Column(EMERGENCY_NAME, "emergency_contact_name", width=12),
        Column(EMERGENCY_PHONE, "emergency_contact_phone", width=16),
        # Read, never written: where a sheet names the unit by its address or its parts instead.
        Column(ADDRESS, "address", read=unit_code_text, aliases=("地址", "房屋", "房间", "房屋名称", "房屋全称")),
        Column(BUILDING, "building", read=building_text, aliases=("楼号", "楼栋号", "栋号", "幢号", "楼宇")),
        Column(ENTRANCE, "entrance", read=entrance_text, aliases=("单元号",)),
        Column(NUMBER, "number", read=room_text, aliases=("室号", "房间号", "门牌号")),
    ),
)
WRITTEN_PEOPLE = xlsx.Layout(
    PEOPLE_SHEET,
    tuple(column for column in PEOPLE.columns if column.key not in {"address", "building", "entrance", "number"}),
)
# What an export writes: every column but the address, which the three before stand for.
WRITTEN_UNITS = xlsx.Layout(UNIT_SHEET, tuple(column for column in UNITS.columns if column.key != "address"))
UNIT_COLUMNS = WRITTEN_UNITS.headers
PEOPLE_COLUMNS = WRITTEN_PEOPLE.headers
PERSON_KEYS = ("name", "phone", "id_type", "id_number", "emergency_contact_name", "emergency_contact_phone")


# Writing --------------------------------------------------------------------------------------


def registry_filename(estate: Estate) -> str:
    return f"registry-{estate.code}.xlsx"


def write_registry(target: IO[bytes] | str, units: Iterable[Sequence[Any]], people: Iterable[Sequence[Any]]) -> None:
    """Write the two sheets, streaming: `units` and `people` yield rows in column order
    (UNIT_COLUMNS, PEOPLE_COLUMNS) with labels already in place."""
    xlsx.write_workbook(target, [(WRITTEN_UNITS, units), (WRITTEN_PEOPLE, people)])


def write_template(target: IO[bytes] | str, estate_code: str) -> None:
    """An empty registry to fill in: both sheets with their headers and example rows that
    import as they are (units of building 1 and a villa, their owners and a tenant)."""
    units = [
        [estate_code, "1", "2", "1201", 12, Decimal("89.50"), "高层公寓", "入住", None, ""],
        [estate_code, "1", "2", "1202", 12, Decimal("1312.55"), "平层官邸", "空置", None, ""],
        [estate_code, "V1", "", "01", 1, Decimal("320.75"), "别墅", "未交付", None, ""],
    ]
    people = [
        ["1-2-1201", "张三", "业主", "13800138000", "", "", "李四", "13900139000"],
        ["1-2-1201", "王五", "家庭成员", "", "", "", "", ""],
        ["1-2-1202", "赵六", "租户", "021-12345678", "", "", "", ""],
    ]
    xlsx.write_workbook(target, [(WRITTEN_UNITS, units), (WRITTEN_PEOPLE, people)])


def template_filename(estate: Estate) -> str:
    return f"registry-template-{estate.code}.xlsx"


def unit_row(*, estate_code: str, unit: Unit, building_code: str, zone_code: str) -> list[Any]:
    return [
        estate_code,
        building_code,
        unit.entrance,
        unit.number,
        unit.floor,
        unit.area,
        HOUSE_TYPE_NAMES.get(unit.house_type, unit.house_type),
        STATUS_NAMES.get(unit.status, unit.status),
        unit.delivery_date,
        zone_code,
    ]


def person_row(
    *,
    unit_code: str,
    relation: str,
    name: str,
    phone: str,
    id_type: str,
    id_number: str,
    emergency_contact_name: str,
    emergency_contact_phone: str,
) -> list[Any]:
    # With no number the type says nothing (it is only the default): leave both empty.
    id_type_label = ID_TYPE_NAMES.get(id_type, id_type) if id_number else ""
    return [
        unit_code,
        name,
        RELATION_NAMES.get(relation, relation),
        phone,
        id_type_label,
        id_number,
        emergency_contact_name,
        emergency_contact_phone,
    ]
