"""The registry workbook (房屋 + 住户): reading, checking and writing it. No database access:
what the checks need to know about the estate comes in as `EstateFacts`.

Every problem names the sheet, the row number as Excel shows it, the column header and
what to do, so that a 100,000-row file can be fixed in one pass.
"""

from __future__ import annotations

import datetime
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from guanjia.core import crypto
from guanjia.core.errors import DomainError, FieldProblem, Problems
from guanjia.estates.actions import check_unit_values, parse_area
from guanjia.estates.models import Unit
from guanjia.people.actions import clean_person_values
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
UNIT_COLUMNS = [ESTATE_CODE, BUILDING, ENTRANCE, NUMBER, FLOOR, AREA, HOUSE_TYPE, STATUS, DELIVERY_DATE, ZONE]
UNIT_REQUIRED = [ESTATE_CODE, BUILDING, NUMBER, FLOOR, AREA, HOUSE_TYPE]

UNIT_CODE = "房屋编号"
NAME = "姓名"
RELATION = "关系"
PHONE = "手机"
ID_TYPE = "证件类型"
ID_NUMBER = "证件号码"
EMERGENCY_NAME = "紧急联系人"
EMERGENCY_PHONE = "紧急联系电话"
PEOPLE_COLUMNS = [UNIT_CODE, NAME, RELATION, PHONE, ID_TYPE, ID_NUMBER, EMERGENCY_NAME, EMERGENCY_PHONE]
PEOPLE_REQUIRED = [UNIT_CODE, NAME, RELATION]

# Person fields (as clean_person_values names them) and their columns.
PERSON_COLUMNS = {
    "name": NAME,
    "phone": PHONE,
    "id_type": ID_TYPE,
    "id_number": ID_NUMBER,
    "emergency_contact_name": EMERGENCY_NAME,
    "emergency_contact_phone": EMERGENCY_PHONE,
}
UNIT_FIELD_COLUMNS = {
    "floor": FLOOR,
    "area": AREA,
    "house_type": HOUSE_TYPE,
    "status": STATUS,
    "delivery_date": DELIVERY_DATE,
    "zone": ZONE,
}

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
# Other spellings met in real files, read but never written.
ALIASES: dict[str, dict[str, str]] = {
    ID_TYPE: {"身份证": Person.IdType.RESIDENT_ID},
    STATUS: {"已入住": Unit.Status.OCCUPIED},
}
HEADER_ALIASES = {
    "建筑面积": AREA,
    "建筑面积(m²)": AREA,
    "建筑面积(m2)": AREA,
    "建筑面积(平方米)": AREA,
    "单元号": ENTRANCE,
    "楼号": BUILDING,
    "房屋代码": UNIT_CODE,
    "手机号": PHONE,
    "手机号码": PHONE,
}

HOUSE_TYPE_NAMES = {value: label for label, value in HOUSE_TYPE_LABELS.items()}
STATUS_NAMES = {value: label for label, value in STATUS_LABELS.items()}
RELATION_NAMES = {value: label for label, value in RELATION_LABELS.items()}
ID_TYPE_NAMES = {value: label for label, value in ID_TYPE_LABELS.items()}

PART_LIMITS = {BUILDING: 20, ENTRANCE: 10, NUMBER: 20}
PROGRESS_EVERY = 1000
HEADER_SEARCH_ROWS = 10
DATE_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass
class SheetProblem(FieldProblem):
    """A FieldProblem that also names the sheet; `field` is the column header."""

    sheet: str = ""

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.field,
            "field": self.field,
            "message": str(self.message),
        }


@dataclass
class EstateFacts:
    """What the checks need to know about the estate being imported into."""

    code: str
    other_estate_codes: set[str] = field(default_factory=set)
    unit_codes: set[str] = field(default_factory=set)
    zone_codes: set[str] = field(default_factory=set)
    # Keyed digest of an ID number -> (person id, name), for people already in the archive.
    people_by_digest: dict[str, tuple[int, str]] = field(default_factory=dict)
    # (unit code, person id) pairs already linked.
    current_links: set[tuple[str, int]] = field(default_factory=set)


@dataclass
class UnitRow:
    row: int
    building: str
    entrance: str
    number: str
    code: str
    floor: int
    area: Decimal
    house_type: str
    status: str
    delivery_date: datetime.date | None
    zone_code: str


@dataclass
class PersonRow:
    row: int
    unit_code: str
    relation: str
    # Cleaned person fields: name, phone, id_type, id_number, emergency contact.
    values: dict[str, Any]
    # Rows with the same key are one person with several units (the ID number decides).
    key: tuple | None
    existing_person_id: int | None = None


@dataclass
class Registry:
    units: list[UnitRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    problems: list[SheetProblem] = field(default_factory=list)

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(SheetProblem(field=column, message=str(message), row=row, sheet=sheet))

    @property
    def person_count(self) -> int:
        keys = {person.key for person in self.people if person.key is not None and not person.existing_person_id}
        return len(keys) + sum(1 for person in self.people if person.key is None)

    def counts(self) -> dict[str, int]:
        return {
            "units": len(self.units),
            "buildings": len({unit.building for unit in self.units}),
            "people": self.person_count,
            "residencies": len(self.people),
            "problems": len(self.problems),
        }

    def raise_if_any(self) -> None:
        if self.problems:
            summary = _("Please correct the %(count)s problems in the file; nothing was imported.") % {
                "count": len(self.problems)
            }
            first = self.problems[0]
            raise DomainError(summary, field=first.field, problems=list(self.problems))


ProgressCallback = Callable[[int, int], None]


# Reading cells -------------------------------------------------------------------------


def text(value: Any) -> str:
    """A cell as text: numbers typed into text columns (1201, 13812341234) lose no digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    return str(value).strip()


def as_int(value: Any) -> int | str:
    """A whole number, or the text as it was so that the check can name it."""
    if isinstance(value, bool):
        return text(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raw = text(value)
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def as_date(value: Any) -> datetime.date | None | str:
    """A date, None for an empty cell, or the text as it was."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    match = DATE_PATTERN.match(raw)
    if match:
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return raw
    return raw


def normal_header(value: Any) -> str:
    header = re.sub(r"\s+", "", text(value)).replace("（", "(").replace("）", ")")
    return HEADER_ALIASES.get(header, header)


def choice(
    registry: Registry, sheet: str, row: int, column: str, raw: str, labels: dict[str, str], default: str | None = None
) -> str:
    if not raw and default is not None:
        return default
    value = labels.get(raw) or ALIASES.get(column, {}).get(raw)
    if value is None and raw in labels.values():
        value = raw  # the stored value itself (owner, high_rise) is understood too
    if value is None:
        if raw:
            message = _("Unknown %(column)s “%(value)s”. Choose one of: %(choices)s.") % {
                "column": column,
                "value": raw,
                "choices": "、".join(labels),
            }
        else:
            message = _("Enter a value in this column.")
        registry.add(sheet, row, column, message)
        return ""
    return value


# Streaming the workbook -----------------------------------------------------------------
#
# A small reader of the .xlsx format (a zip of XML parts) that yields each row's values as
# it parses, with no cell objects: on 100,000-row sheets it reads about four times faster
# than openpyxl's read-only mode and needs no pass to size a sheet that lacks a dimension
# element (as openpyxl's own write-only files do). openpyxl still writes, and supplies the
# date rules. Formulas give their cached values.

MAIN_NAMESPACES = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "Strict Open XML"
}
RELATIONSHIP_NAMESPACES = {
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
}
PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# Built-in number formats that show dates: the common ones and the East Asian ones
# (27-36 and 50-58, e.g. yyyy"年"m"月"d"日"), which Chinese Excel and WPS use.
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
# An XML part larger than this (unpacked) is refused: a small upload must not unpack into
# gigabytes (a "zip bomb").
MAX_PART_BYTES = 2 * 1024 * 1024 * 1024
DIMENSION_PATTERN = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+:[A-Z]+(\d+)\"")
# XML_SAFETY: the parts are parsed with the standard library's ElementTree, as openpyxl
# does. With expat 2.4.1 or later (Python 3.11 ships 2.5) it is not open to entity
# expansion ("billion laughs", quadratic blowup), and it never fetches external entities or
# DTDs; MAX_PART_BYTES stops decompression bombs.


def not_a_workbook() -> DomainError:
    return DomainError(
        _(
            "The file is not an Excel workbook (.xlsx), or it is damaged. "
            "Save it from Excel as .xlsx and upload it again."
        ),
        field="file",
    )


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def column_index(reference: str, cache: dict[str, int]) -> int:
    """0 for A1, 27 for AB7."""
    key = reference.rstrip("0123456789")
    index = cache.get(key)
    if index is None:
        index = 0
        for letter in key:
            index = index * 26 + ord(letter) - 64
        index = cache[key] = index - 1
    return index


class CountingStream:
    """A read-only stream that counts the bytes read, to estimate how far a sheet is."""

    def __init__(self, stream: IO[bytes], counter: list[int]):
        self.stream = stream
        self.counter = counter

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.counter[0] += len(data)
        return data


class Book:
    """An .xlsx opened for streaming its sheets row by row."""

    def __init__(self, source: Any):
        if hasattr(source, "seek"):
            source.seek(0)
        self.archive = zipfile.ZipFile(source)
        for info in self.archive.infolist():
            if info.file_size > MAX_PART_BYTES:
                raise not_a_workbook()
        workbook_path = self.office_document()
        root = self.parse(workbook_path)
        self.namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        if self.namespace not in MAIN_NAMESPACES:
            raise not_a_workbook()
        relationships = self.relationships(workbook_path)
        properties = root.find(self.tag("workbookPr"))
        date1904 = properties is not None and properties.get("date1904", "").lower() in {"1", "true"}
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        self.sheets: dict[str, str] = {}
        for sheet in root.iter(self.tag("sheet")):
            target = next((v for k, v in sheet.attrib.items() if k.startswith("{") and local(k) == "id"), None)
            if target in relationships:
                self.sheets.setdefault((sheet.get("name") or "").strip(), relationships[target][1])
        by_type = dict(relationships.values())
        self.strings = self.shared_strings(by_type.get("sharedStrings"))
        self.date_styles = self.find_date_styles(by_type.get("styles"))
        self.bytes_read = [0]

    def close(self) -> None:
        self.archive.close()

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def parse(self, path: str) -> Any:
        with self.archive.open(path) as stream:
            return ElementTree.parse(stream).getroot()  # noqa: S314 - see XML_SAFETY

    def office_document(self) -> str:
        try:
            root = self.parse("_rels/.rels")
        except KeyError:
            return "xl/workbook.xml"
        for relationship in root.iter(PACKAGE_RELATIONSHIPS):
            if relationship.get("Type", "").endswith("/officeDocument"):
                return relationship.get("Target", "").lstrip("/")
        return "xl/workbook.xml"

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (kind, path) for the part's relationships (worksheet, sharedStrings, styles)."""
        folder, name = posixpath.split(part)
        root = self.parse(posixpath.join(folder, "_rels", name + ".rels"))
        found = {}
        for relationship in root.iter(PACKAGE_RELATIONSHIPS):
            target = relationship.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[relationship.get("Id", "")] = (relationship.get("Type", "").rsplit("/", 1)[-1], path)
        return found

    def shared_strings(self, path: str | None) -> list[str]:
        if not path:
            return []
        strings = []
        item, text_tag = self.tag("si"), self.tag("t")
        with self.archive.open(path) as stream:
            for _event, element in ElementTree.iterparse(stream):  # noqa: S314 - see XML_SAFETY
                if element.tag == item:
                    strings.append(self.rich_text(element, text_tag))
                    element.clear()
        return strings

    def rich_text(self, element: Any, text_tag: str) -> str:
        """The text of a string item: its own <t>, or its runs' (<r><t>); never the
        phonetic guide (<rPh>) that East Asian Excel stores beside it."""
        if len(element) == 1 and element[0].tag == text_tag:
            return element[0].text or ""  # the usual case, kept quick
        parts = []
        for child in element:
            name = local(child.tag)
            if name == "t":
                parts.append(child.text or "")
            elif name == "r":
                parts.extend(t.text or "" for t in child.iter(text_tag))
        return "".join(parts)

    def find_date_styles(self, path: str | None) -> set[int]:
        if not path:
            return set()
        root = self.parse(path)
        formats = {int(f.get("numFmtId", -1)): f.get("formatCode", "") for f in root.iter(self.tag("numFmt"))}
        cell_formats = root.find(self.tag("cellXfs"))
        dates = set()
        for index, style in enumerate(cell_formats if cell_formats is not None else ()):
            format_id = int(style.get("numFmtId", 0))
            if format_id in formats:
                if is_date_format(formats[format_id]):
                    dates.add(index)
            elif format_id in DATE_FORMAT_IDS:
                dates.add(index)
        return dates

    def sheet_path(self, name: str) -> str | None:
        return self.sheets.get(name)

    def sheet_bytes(self, path: str) -> int:
        return self.archive.getinfo(path).file_size

    def declared_rows(self, path: str) -> int | None:
        """The last row number the sheet declares (<dimension ref="A1:J1001">), if it does."""
        with self.archive.open(path) as stream:
            match = DIMENSION_PATTERN.search(stream.read(4096))
        return int(match.group(1)) if match else None

    def rows(self, path: str) -> Iterator[tuple[int, list[Any]]]:
        """(row number as Excel shows it, values by column) for every row stored in the sheet."""
        cell_tag, row_tag, value_tag, inline_tag, text_tag = (
            self.tag("c"),
            self.tag("row"),
            self.tag("v"),
            self.tag("is"),
            self.tag("t"),
        )
        strings, date_styles, epoch = self.strings, self.date_styles, self.epoch
        columns: dict[str, int] = {}
        values: list[Any] = []
        number = 0
        with self.archive.open(path) as stream:
            for _event, element in ElementTree.iterparse(CountingStream(stream, self.bytes_read)):  # noqa: S314
                tag = element.tag
                if tag == cell_tag:
                    reference = element.get("r")
                    index = column_index(reference, columns) if reference else len(values)
                    kind = element.get("t")
                    if kind == "inlineStr":
                        inline = element.find(inline_tag)
                        value: Any = self.rich_text(inline, text_tag) if inline is not None else None
                    else:
                        raw = element.findtext(value_tag)
                        if raw is None:
                            value = None
                        elif kind == "s":
                            value = strings[int(raw)]
                        elif kind in {"str", "e"}:
                            value = raw
                        elif kind == "b":
                            value = raw == "1"
                        elif kind == "d":
                            value = datetime.datetime.fromisoformat(raw)
                        elif int(element.get("s") or 0) in date_styles:
                            value = from_excel(float(raw), epoch)
                        elif raw.lstrip("-").isdigit():
                            value = int(raw)
                        else:
                            value = float(raw)
                    if index >= len(values):
                        values.extend([None] * (index - len(values) + 1))
                    values[index] = value
                elif tag == row_tag:
                    declared = element.get("r")
                    number = int(declared) if declared else number + 1
                    yield number, values
                    values = []
                    element.clear()


def open_book(source: Any) -> Book:
    """Open an .xlsx (a path or a binary file); any other file, or a damaged one, is a
    DomainError with one sentence, never a traceback."""
    try:
        return Book(source)
    except DomainError:
        raise
    except Exception:
        raise not_a_workbook() from None


# Finding the columns ---------------------------------------------------------------------


def locate_columns(
    registry: Registry,
    sheet: str,
    rows: Iterable[tuple[int, list[Any]]],
    columns: list[str],
    required: list[str],
) -> tuple[dict[str, int], int] | None:
    """Find the header row (the first of the top rows that names known columns) and map
    each known header to its position. Reports missing required columns by name."""
    header_row, positions = 0, {}
    for searched, (row_number, values) in enumerate(rows, start=1):
        found: dict[str, int] = {}
        duplicates: list[str] = []
        for index, cell in enumerate(values or ()):
            header = normal_header(cell)
            if header in columns:
                if header in found:
                    duplicates.append(header)
                found.setdefault(header, index)
        if len(found) >= 2:
            header_row, positions = row_number, found
            for header in duplicates:
                registry.add(
                    sheet,
                    row_number,
                    header,
                    _("The column %(column)s appears more than once; keep one.") % {"column": header},
                )
            break
        if searched >= HEADER_SEARCH_ROWS:
            break
    missing = [column for column in required if column not in positions]
    for column in missing:
        registry.add(
            sheet,
            header_row or 1,
            column,
            _("The sheet has no column “%(column)s”. Add it to the header row.") % {"column": column},
        )
    if missing:
        return None
    return positions, header_row


# Checking the rows ---------------------------------------------------------------------


class Reader:
    """Reads one workbook into a Registry; one instance per file."""

    def __init__(self, facts: EstateFacts, progress: ProgressCallback | None = None):
        self.facts = facts
        self.progress = progress
        self.registry = Registry()
        self.done = 0
        self.total_rows: int | None = None
        self.total_bytes = 0
        self.book: Book | None = None
        # Unit codes in the 房屋 sheet: code -> first row; and those that belong elsewhere.
        self.file_units: dict[str, int] = {}
        self.foreign_units: set[str] = set()
        self.person_rows: dict[tuple, tuple[int, str]] = {}
        self.links: dict[tuple, int] = {}

    def tick(self) -> None:
        self.done += 1
        if self.progress and self.done % PROGRESS_EVERY == 0:
            self.progress(self.done, self.estimated_total())

    def estimated_total(self) -> int:
        """Rows in the file: as the sheets declare them, or else estimated from how much of
        the XML the rows read so far took up."""
        if self.total_rows is not None:
            return max(self.total_rows, self.done)
        read = self.book.bytes_read[0] if self.book else 0
        return max(self.done, round(self.done * self.total_bytes / read) if read else self.done)

    def read(self, source: Any) -> Registry:
        book = self.book = open_book(source)
        try:
            paths = {name: book.sheet_path(name) for name in (UNIT_SHEET, PEOPLE_SHEET)}
            present = [path for path in paths.values() if path]
            if not present:
                self.registry.add(
                    UNIT_SHEET,
                    None,
                    "",
                    _("The workbook has no sheet named “%(units)s” or “%(people)s”.")
                    % {"units": UNIT_SHEET, "people": PEOPLE_SHEET},
                )
                return self.registry
            declared = [book.declared_rows(path) for path in present]
            if all(rows is not None for rows in declared):
                self.total_rows = sum(max((rows or 0) - 1, 0) for rows in declared)
            self.total_bytes = sum(book.sheet_bytes(path) for path in present)
            units_path, people_path = paths[UNIT_SHEET], paths[PEOPLE_SHEET]
            if units_path:
                self.read_sheet(book.rows(units_path), UNIT_SHEET, UNIT_COLUMNS, UNIT_REQUIRED, self.read_unit)
            if people_path:
                self.read_sheet(book.rows(people_path), PEOPLE_SHEET, PEOPLE_COLUMNS, PEOPLE_REQUIRED, self.read_person)
        except DomainError:
            raise
        except Exception:
            # A workbook that opens but breaks while streaming (a cut-off download, bad XML).
            raise not_a_workbook() from None
        finally:
            book.close()
        if not self.registry.problems and not self.registry.units and not self.registry.people:
            self.registry.add(UNIT_SHEET, None, "", _("The file has no rows to import."))
        if self.progress:
            self.progress(self.done, self.done)
        return self.registry

    def read_sheet(
        self,
        rows: Iterator[tuple[int, list[Any]]],
        sheet: str,
        columns: list[str],
        required: list[str],
        read_row: Callable[[int, list[Any], dict[str, int]], None],
    ) -> None:
        top: list[tuple[int, list[Any]]] = []
        for row in rows:
            top.append(row)
            if len(top) >= HEADER_SEARCH_ROWS:
                break
        located = locate_columns(self.registry, sheet, top, columns, required)
        if located is None:
            return
        positions, header_row = located
        for row_number, values in top:
            if row_number > header_row:
                read_row(row_number, values, positions)
        for row_number, values in rows:
            read_row(row_number, values, positions)

    def read_unit(self, row: int, values: list[Any], positions: dict[str, int]) -> None:
        if not values or all(value is None or text(value) == "" for value in values):
            return
        self.tick()

        def cell(column: str) -> Any:
            index = positions.get(column)
            return values[index] if index is not None and index < len(values) else None

        registry, sheet, facts = self.registry, UNIT_SHEET, self.facts
        before = len(registry.problems)
        estate_code = text(cell(ESTATE_CODE))
        parts = {column: text(cell(column)).upper() for column in (BUILDING, ENTRANCE, NUMBER)}
        code = Unit.make_code(parts[BUILDING], parts[ENTRANCE], parts[NUMBER])
        if not estate_code:
            registry.add(sheet, row, ESTATE_CODE, _("Enter the estate code (%(code)s).") % {"code": facts.code})
        elif estate_code != facts.code:
            if estate_code in facts.other_estate_codes:
                self.foreign_units.add(code)
                registry.add(
                    sheet,
                    row,
                    ESTATE_CODE,
                    _("Unit %(unit)s belongs to another estate (%(code)s); import it into that estate.")
                    % {"unit": code, "code": estate_code},
                )
            else:
                registry.add(
                    sheet,
                    row,
                    ESTATE_CODE,
                    _("Unknown estate code “%(code)s”: this estate's code is %(estate)s.")
                    % {"code": estate_code, "estate": facts.code},
                )
        for column, limit in PART_LIMITS.items():
            part = parts[column]
            if column != ENTRANCE and not part:
                registry.add(sheet, row, column, _("Enter a value in this column."))
            elif "-" in part:
                registry.add(sheet, row, column, _("A building, entrance or room number cannot contain “-”."))
            elif len(part) > limit:
                registry.add(sheet, row, column, _("At most %(limit)s characters.") % {"limit": limit})
        area: Decimal | None = None
        raw_area = cell(AREA)
        if raw_area is None or text(raw_area) == "":
            registry.add(sheet, row, AREA, _("Enter the building area in square metres, e.g. 89.50."))
        else:
            try:
                area = parse_area(raw_area)
            except DomainError as error:
                registry.add(sheet, row, AREA, error.message)
        house_type = choice(registry, sheet, row, HOUSE_TYPE, text(cell(HOUSE_TYPE)), HOUSE_TYPE_LABELS)
        status = choice(
            registry, sheet, row, STATUS, text(cell(STATUS)), STATUS_LABELS, default=Unit.Status.UNDELIVERED
        )
        floor = as_int(cell(FLOOR))
        delivery = as_date(cell(DELIVERY_DATE))
        zone_code = text(cell(ZONE))
        if zone_code and zone_code not in facts.zone_codes:
            known = "、".join(sorted(facts.zone_codes)) or "-"
            registry.add(
                sheet,
                row,
                ZONE,
                _("Unknown zone code “%(code)s”. This estate's zones are: %(codes)s.")
                % {"code": zone_code, "codes": known},
            )
        no_estate: Any = None  # the zone is checked above by code, so check_unit_values needs no estate
        checked = check_unit_values(
            {
                "house_type": house_type or Unit.HouseType.OTHER,
                "status": status or Unit.Status.UNDELIVERED,
                "zone": None,
                "delivery_date": delivery,
                "floor": floor,
            },
            no_estate,
        )
        for problem in checked.items:
            registry.add(sheet, row, UNIT_FIELD_COLUMNS[problem.field], problem.message)
        if parts[BUILDING] and parts[NUMBER]:
            first = self.file_units.get(code)
            if first is not None:
                registry.add(
                    sheet,
                    row,
                    NUMBER,
                    _("Unit %(code)s appears twice in the file (first on row %(row)s).") % {"code": code, "row": first},
                )
            else:
                self.file_units[code] = row
                if code in facts.unit_codes and estate_code == facts.code:
                    registry.add(sheet, row, NUMBER, _("Unit %(code)s already exists in this estate.") % {"code": code})
        if len(registry.problems) == before:
            # No problem on the row means every value parsed; say so to the type checker.
            assert isinstance(floor, int) and area is not None and not isinstance(delivery, str)
            registry.units.append(
                UnitRow(
                    row=row,
                    building=parts[BUILDING],
                    entrance=parts[ENTRANCE],
                    number=parts[NUMBER],
                    code=code,
                    floor=floor,
                    area=area,
                    house_type=house_type,
                    status=status,
                    delivery_date=delivery,
                    zone_code=zone_code,
                )
            )

    def read_person(self, row: int, values: list[Any], positions: dict[str, int]) -> None:
        if not values or all(value is None or text(value) == "" for value in values):
            return
        self.tick()

        def cell(column: str) -> Any:
            index = positions.get(column)
            return values[index] if index is not None and index < len(values) else None

        registry, sheet, facts = self.registry, PEOPLE_SHEET, self.facts
        before = len(registry.problems)
        unit_code = re.sub(r"\s+", "", text(cell(UNIT_CODE))).upper()
        if not unit_code:
            registry.add(sheet, row, UNIT_CODE, _("Enter the unit code, e.g. 3-2-1201."))
        elif unit_code in self.foreign_units:
            registry.add(sheet, row, UNIT_CODE, _("Unit %(code)s belongs to another estate.") % {"code": unit_code})
        elif unit_code not in self.file_units and unit_code not in facts.unit_codes:
            registry.add(
                sheet,
                row,
                UNIT_CODE,
                _("Unit %(code)s is neither in the “%(sheet)s” sheet nor in this estate.")
                % {"code": unit_code, "sheet": UNIT_SHEET},
            )
        relation = choice(registry, sheet, row, RELATION, text(cell(RELATION)), RELATION_LABELS)
        id_type = choice(
            registry, sheet, row, ID_TYPE, text(cell(ID_TYPE)), ID_TYPE_LABELS, default=Person.IdType.RESIDENT_ID
        )
        raw = {
            "name": text(cell(NAME)),
            "phone": text(cell(PHONE)),
            "id_type": id_type or Person.IdType.OTHER,
            "id_number": text(cell(ID_NUMBER)),
            "emergency_contact_name": text(cell(EMERGENCY_NAME)),
            "emergency_contact_phone": text(cell(EMERGENCY_PHONE)),
        }
        found = Problems()
        cleaned = clean_person_values(raw, found, row)
        for problem in found.items:
            registry.add(sheet, row, PERSON_COLUMNS.get(problem.field, problem.field), problem.message)
        if len(cleaned["emergency_contact_name"]) > 50:
            registry.add(sheet, row, EMERGENCY_NAME, _("At most %(limit)s characters.") % {"limit": 50})
        key: tuple | None = None
        existing: int | None = None
        if cleaned["id_number"] and id_type:
            key = (id_type, cleaned["id_number"])
            first = self.person_rows.get(key)
            if first is None:
                self.person_rows[key] = (row, cleaned["name"])
            elif first[1] != cleaned["name"]:
                registry.add(
                    sheet,
                    row,
                    NAME,
                    _("Row %(row)s has the same ID number under another name (%(name)s).")
                    % {"row": first[0], "name": first[1]},
                )
            if facts.people_by_digest:
                known = facts.people_by_digest.get(crypto.blind_index(cleaned["id_number"]))
                if known is not None:
                    existing = known[0]
                    if known[1] != cleaned["name"]:
                        registry.add(
                            sheet,
                            row,
                            NAME,
                            _("This ID number is filed under %(name)s in the estate's archive.") % {"name": known[1]},
                        )
                    elif (unit_code, existing) in facts.current_links:
                        registry.add(
                            sheet,
                            row,
                            UNIT_CODE,
                            _("%(name)s is already linked to unit %(code)s.")
                            % {"name": cleaned["name"], "code": unit_code},
                        )
            link = (unit_code, key)
            first_link = self.links.get(link)
            if first_link is not None:
                registry.add(
                    sheet,
                    row,
                    UNIT_CODE,
                    _("The same person is listed twice for unit %(code)s (first on row %(row)s).")
                    % {"code": unit_code, "row": first_link},
                )
            else:
                self.links[link] = row
        if len(registry.problems) == before:
            registry.people.append(
                PersonRow(
                    row=row,
                    unit_code=unit_code,
                    relation=relation,
                    values=cleaned,
                    key=key,
                    existing_person_id=existing,
                )
            )


def read_registry(source: Any, facts: EstateFacts, progress: ProgressCallback | None = None) -> Registry:
    """Read and check a registry workbook (a path or a binary file object). Problems are
    collected on the result, never raised, except for a file that is not a workbook."""
    return Reader(facts, progress).read(source)


# Writing -------------------------------------------------------------------------------


def write_registry(target: IO[bytes] | str, units: Iterable[Sequence[Any]], people: Iterable[Sequence[Any]]) -> None:
    """Write the two sheets, streaming: `units` and `people` yield rows in column order
    (UNIT_COLUMNS, PEOPLE_COLUMNS) with labels already in place."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    for title, columns, rows, widths in (
        (UNIT_SHEET, UNIT_COLUMNS, units, [10, 8, 8, 10, 8, 14, 10, 14, 12, 10]),
        (PEOPLE_SHEET, PEOPLE_COLUMNS, people, [14, 12, 10, 16, 12, 22, 12, 16]),
    ):
        worksheet = workbook.create_sheet(title)
        for index, width in enumerate(widths):
            worksheet.column_dimensions[chr(ord("A") + index)].width = width
        worksheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = WriteOnlyCell(worksheet, value=column)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in rows:
            worksheet.append(list(row))
    workbook.save(target)


def unit_row(*, estate_code: str, unit: Any, building_code: str, zone_code: str) -> list[Any]:
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
