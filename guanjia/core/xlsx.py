"""Excel workbooks (.xlsx) as files people upload and download: checking an upload, streaming
a sheet's rows as values keyed by column, finding the header row whatever its spelling, reading
cells as text, whole numbers or dates, reporting progress, and writing sheets. It knows nothing
of what the columns mean: each app describes its sheets with `Column` and `Layout` and checks
the values itself. The file format itself (the zip of XML parts) is read by
guanjia.core.xlsx_book, whose `streaming` an app reaches from here too.

Every problem found here names the sheet, the row number as Excel shows it and the column
header (`SheetProblem`), so that a 100,000-row file can be fixed in one pass.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from guanjia.core.errors import DomainError, FieldProblem
from guanjia.core.xlsx_book import Book
from guanjia.core.xlsx_book import streaming as streaming  # re-exported: an app opens its file here

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_SIGNATURE = b"PK\x03\x04"
OLD_EXCEL_SIGNATURE = b"\xd0\xcf\x11\xe0"
# The header is looked for among this many rows at the top of a sheet (titles may come first).
HEADER_SEARCH_ROWS = 10
PROGRESS_EVERY = 1000
DATE_PATTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")

ProgressCallback = Callable[[int, int], None]
# A column's check: (its header, the value read) -> the value to keep, or DomainError(message).
Check = Callable[[str, Any], Any]


# Uploads -------------------------------------------------------------------------------


def check_upload(upload: UploadedFile | None, *, max_bytes: int) -> UploadedFile:
    """The upload, unless it cannot be an .xlsx workbook: refused before anything is stored
    are no file, one too large, an old .xls, and anything else that is not a zip."""
    if upload is None:
        raise DomainError(_("Choose an Excel file (.xlsx) to import."), field="file")
    if (upload.size or 0) > max_bytes:
        raise DomainError(
            _("The file is larger than %(size)s MB; split it into smaller files.")
            % {"size": max_bytes // (1024 * 1024)},
            field="file",
        )
    head = upload.read(4)
    upload.seek(0)
    if head == OLD_EXCEL_SIGNATURE:
        raise DomainError(
            _("This is an old Excel file (.xls). Open it in Excel, save it as .xlsx and upload it again."), field="file"
        )
    if head != ZIP_SIGNATURE:
        raise DomainError(_("Only Excel workbooks (.xlsx) can be imported."), field="file")
    return upload


# Cells ---------------------------------------------------------------------------------


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


def as_is(value: Any) -> Any:
    """The cell's value untouched (a number stays a number), for a check that parses it."""
    return value


def is_blank(values: Sequence[Any]) -> bool:
    return all(value is None or text(value) == "" for value in values)


# Columns, headers and problems ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a sheet, as a file format: its header, the key its values go under, how
    a cell is read, how it is checked, other spellings of the header met in real files, whether
    a sheet must have it, and how wide it is written."""

    header: str
    key: str
    read: Callable[[Any], Any] = text
    check: Check | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False
    # The headers of columns that may stand in for this required one (a whole address for
    # the building and the room): a sheet with any of them has what it needs.
    or_columns: tuple[str, ...] = ()
    width: int = 12
    # How Excel shows the column's numbers and dates (e.g. "#,##0.00"); None: openpyxl's default.
    number_format: str | None = None


@dataclass(frozen=True)
class Layout:
    """A sheet's title and its columns, in the order they are written."""

    title: str
    columns: tuple[Column, ...]
    # False for a sheet of labels and figures (a summary): no header row is written.
    header: bool = True

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def header_of(self, key: str) -> str:
        return next(column.header for column in self.columns if column.key == key)

    def known_headers(self) -> dict[str, str]:
        """Every accepted spelling -> the column's header."""
        known = {column.header: column.header for column in self.columns}
        for column in self.columns:
            known.update(dict.fromkeys(column.aliases, column.header))
        return known


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


def normal_header(value: Any) -> str:
    """A header as typed, without spaces and with half-width brackets: 建筑面积（㎡） is 建筑面积(㎡)."""
    return re.sub(r"\s+", "", text(value)).replace("（", "(").replace("）", ")")


@dataclass
class Header:
    """Where a sheet's header row is (0 when none was found) and the position of each known
    column in it; what is duplicated or missing."""

    row: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def problems(self, sheet: str) -> list[SheetProblem]:
        found = [
            SheetProblem(
                field=column,
                message=_("The column %(column)s appears more than once; keep one.") % {"column": column},
                row=self.row,
                sheet=sheet,
            )
            for column in self.duplicates
        ]
        found += [
            SheetProblem(
                field=column,
                message=_("The sheet has no column “%(column)s”. Add it to the header row.") % {"column": column},
                row=self.row or 1,
                sheet=sheet,
            )
            for column in self.missing
        ]
        return found


def find_header(top: Iterable[tuple[int, list[Any]]], layout: Layout) -> Header:
    """The header row: the first of the top rows that names at least two known columns. A
    column named twice keeps its first position."""
    known = layout.known_headers()
    header = Header()
    for row_number, values in itertools.islice(top, HEADER_SEARCH_ROWS):
        positions: dict[str, int] = {}
        duplicates: list[str] = []
        for index, cell in enumerate(values or ()):
            name = known.get(normal_header(cell))
            if name is None:
                continue
            if name in positions:
                duplicates.append(name)
            positions.setdefault(name, index)
        if len(positions) >= 2:
            header = Header(row=row_number, positions=positions, duplicates=duplicates)
            break
    header.missing = [
        column.header
        for column in layout.columns
        if column.required
        and column.header not in header.positions
        and not any(other in header.positions for other in column.or_columns)
    ]
    return header


def check_cells(layout: Layout, row: int, values: dict[str, Any], problems: list[SheetProblem]) -> dict[str, Any]:
    """The row's values after each column's check, in the layout's order. A refused value
    becomes None and its problem is added, naming the sheet, the row and the column."""
    checked = dict(values)
    for column in layout.columns:
        if column.check is None:
            continue
        try:
            checked[column.key] = column.check(column.header, values[column.key])
        except DomainError as error:
            problems.append(SheetProblem(field=column.header, message=error.message, row=row, sheet=layout.title))
            checked[column.key] = None
        except (ArithmeticError, ValueError):
            # A number no column can hold (1e30, 31 digits) is the row's problem, not the file's.
            message = _("“%(value)s” cannot be read here: check the value.") % {"value": text(values[column.key])}
            problems.append(SheetProblem(field=column.header, message=message, row=row, sheet=layout.title))
            checked[column.key] = None
    return checked


class Progress:
    """Counts the rows read from some sheets and reports (done, total) every PROGRESS_EVERY
    rows. The total is what the sheets declare (less a header row each), or else an estimate
    from how much of their XML the rows so far took up."""

    def __init__(self, book: Book, titles: Iterable[str], report: ProgressCallback | None):
        self.book = book
        self.report = report
        self.done = 0
        paths = [book.sheets[title] for title in titles]
        declared = [book.declared_rows(path) for path in paths]
        self.total_rows: int | None = None
        if all(rows is not None for rows in declared):
            self.total_rows = sum(max((rows or 0) - 1, 0) for rows in declared)
        self.total_bytes = sum(book.sheet_bytes(path) for path in paths)

    def tick(self) -> None:
        self.done += 1
        if self.report and self.done % PROGRESS_EVERY == 0:
            self.report(self.done, self.estimated_total())

    def estimated_total(self) -> int:
        if self.total_rows is not None:
            return max(self.total_rows, self.done)
        read = self.book.bytes_read[0]
        return max(self.done, round(self.done * self.total_bytes / read) if read else self.done)

    def finish(self) -> None:
        if self.report:
            self.report(self.done, self.done)


def read_sheet(
    book: Book, layout: Layout, problems: list[SheetProblem], progress: Progress
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, {column key: value as the column reads it}) for every row under the
    header that is not blank. A sheet without a required column yields nothing; its header's
    problems are added to `problems`."""
    rows = book.rows(book.sheets[layout.title])
    top = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    header = find_header(top, layout)
    problems.extend(header.problems(layout.title))
    if header.missing:
        return
    # (key, read, position) per column; a column the sheet lacks reads as an empty cell.
    readers = [(column.key, column.read, header.positions.get(column.header)) for column in layout.columns]
    under_header = ((number, values) for number, values in top if number > header.row)
    for number, values in itertools.chain(under_header, rows):
        if not values or is_blank(values):
            continue
        progress.tick()
        yield (
            number,
            {
                key: read(values[index] if index is not None and index < len(values) else None)
                for key, read, index in readers
            },
        )


# Writing --------------------------------------------------------------------------------

# A text cell starting with one of these is read as a formula (or its start) by Excel, by
# LibreOffice when a cell is edited, and by every spreadsheet that opens a CSV: "formula injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


@dataclass(frozen=True)
class Styled:
    """A value with its own number format, for a cell that differs from its column (a total,
    a rate in a summary)."""

    value: Any
    number_format: str


def cell(worksheet: Any, value: Any, number_format: str | None = None) -> Any:
    """One cell to write. Text is always stored as text, never as a formula: openpyxl makes a
    formula of any string starting with "=", so the type is set back to a string; and text that
    a spreadsheet would take for a formula is marked "quote prefix", which Excel and LibreOffice
    show as the leading apostrophe that keeps the cell text when someone edits it. The text
    itself is unchanged, so that the file reads back (and imports again) as it was written."""
    if isinstance(value, Styled):
        value, number_format = value.value, value.number_format
    written: Any = WriteOnlyCell(worksheet, value=value)  # openpyxl makes it a Cell; its stubs say a function
    if isinstance(value, str):
        written.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            written.quotePrefix = True
    elif number_format is not None:
        written.number_format = number_format
    return written


def write_workbook(
    target: IO[bytes] | str,
    sheets: Iterable[tuple[Layout, Iterable[Sequence[Any]]]],
) -> None:
    """Write each sheet streaming (openpyxl's write-only mode): the layout's headers in bold,
    frozen above the rows, each column as wide as the layout says; then the rows, whose values
    are in column order and already as they should read, numbers formatted as their column
    says. Every export writes through here, so that no text written becomes a formula (`cell`).
    A layout without a header (a summary of labels and figures) gets its rows alone."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for layout, rows in sheets:
        worksheet = workbook.create_sheet(layout.title)
        for index, column in enumerate(layout.columns, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = column.width
        formats = [column.number_format for column in layout.columns]
        if layout.header:
            worksheet.freeze_panes = "A2"
            header_cells = []
            for column in layout.columns:
                header_cell = cell(worksheet, column.header)
                header_cell.font = bold
                header_cells.append(header_cell)
            worksheet.append(header_cells)
        for row in rows:
            worksheet.append(
                [
                    cell(worksheet, value, formats[index] if index < len(formats) else None)
                    for index, value in enumerate(row)
                ]
            )
    workbook.save(target)
