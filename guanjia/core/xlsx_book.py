"""An .xlsx read as it streams: the zip of XML parts, its shared strings and date styles, and
each sheet's rows as lists of values. guanjia.core.xlsx gives the sheets their columns.

A small reader of the format that yields each row's values as it parses, with no cell objects:
on 100,000-row sheets it reads about four times faster than openpyxl's read-only mode and needs
no pass to size a sheet that lacks a dimension element (as openpyxl's own write-only files do).
openpyxl still writes, and supplies the date rules. Formulas give their cached values.
"""

from __future__ import annotations

import datetime
import posixpath
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from guanjia.core.errors import DomainError

MAIN_NAMESPACES = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "Strict Open XML"
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
    """An .xlsx opened for streaming its sheets row by row. `sheets` maps each sheet's title
    to its part in the zip."""

    def __init__(self, source: str | IO[bytes]):
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

    def parse(self, path: str) -> ElementTree.Element:
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

    def rich_text(self, element: ElementTree.Element, text_tag: str) -> str:
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

    def sheet_bytes(self, path: str) -> int:
        return self.archive.getinfo(path).file_size

    def declared_rows(self, path: str) -> int | None:
        """The last row number the sheet declares (<dimension ref="A1:J1001">), if it does."""
        with self.archive.open(path) as stream:
            match = DIMENSION_PATTERN.search(stream.read(4096))
        return int(match.group(1)) if match else None

    def rows(self, path: str) -> Iterator[tuple[int, list[Any]]]:
        """(row number as Excel shows it, values by column) for every row stored in the sheet.

        The cells are decoded here, inline, rather than by a method per cell: this loop runs
        for every cell of 100,000-row sheets (bench/bench_import_units.py)."""
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
                            value = excel_date(raw, epoch)
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


def excel_date(raw: str, epoch: datetime.datetime) -> datetime.datetime | float:
    """A date-formatted number as a date; one that is no date (1e30, a negative serial) stays
    the number, for the column's check to name, rather than breaking the whole file."""
    try:
        return from_excel(float(raw), epoch)
    except (OverflowError, ValueError):
        return float(raw)


def open_book(source: str | IO[bytes]) -> Book:
    """Open an .xlsx (a path or a binary file); any other file, or a damaged one, is a
    DomainError with one sentence, never a traceback."""
    try:
        return Book(source)
    except DomainError:
        raise
    except Exception:
        raise not_a_workbook() from None


@contextmanager
def streaming(source: str | IO[bytes]) -> Iterator[Book]:
    """An open Book for the `with` block, closed after it. A workbook that opens but breaks
    while its rows stream (a cut-off download, bad XML) is refused as not a workbook."""
    book = open_book(source)
    try:
        yield book
    except DomainError:
        raise
    except Exception:
        raise not_a_workbook() from None
    finally:
        book.close()
