"""Meter readings of metered fees (water): one at a time, or a month's from a workbook."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, NamedTuple

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from guanjia.accounts.models import User
from guanjia.billing import queries
from guanjia.billing.actions.checks import NumberInput, check_period_start, parse_decimal
from guanjia.billing.models import FeeItem, MeterReading
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError, Problems
from guanjia.estates.models import Unit

READING_COLUMNS = {
    "unit": ("A", _("Unit")),
    "reading": ("B", _("Reading")),
    "initial_reading": ("C", _("Initial reading")),
}
MAX_READING_ROWS = 20000


@transaction.atomic
def record_meter_reading(
    *,
    actor: User | None,
    unit: Unit,
    fee_item: FeeItem,
    period: datetime.date,
    reading: NumberInput,
    initial_reading: NumberInput = "0",
) -> MeterReading:
    """The meter reading of a unit at the end of `period` (a month). The previous reading is
    the last one on file; for a new meter it is `initial_reading` (0 by default). A reading
    lower than the previous one is refused: meters do not run backwards (a replaced meter
    starts again from its own initial reading via a correction, not yet built)."""
    if fee_item.kind != FeeItem.Kind.METERED or fee_item.estate_id != unit.estate_id:
        raise DomainError(_("Choose a metered fee item of this estate."), field="fee_item")
    check_period_start(period, field="period")
    value = parse_decimal(reading, field="reading", places=2, message=_("Reading must be a number, e.g. 1234.50."))
    if value < 0:
        raise DomainError(_("Reading cannot be negative."), field="reading")
    # Lock the unit so that two readings for it are recorded one after the other.
    Unit.objects.select_for_update().get(pk=unit.pk)
    readings = MeterReading.objects.filter(unit=unit, fee_item=fee_item)
    if readings.filter(period=period).exists():
        raise DomainError(_("A reading for this month is already on file."), field="period")
    if readings.filter(period__gt=period).exists():
        raise DomainError(_("A later month already has a reading; enter readings in order."), field="period")
    last = readings.filter(period__lt=period).order_by("-period").first()
    if last is not None:
        previous = last.reading
    else:
        previous = parse_decimal(
            initial_reading, field="initial_reading", places=2, message=_("Initial reading must be a number.")
        )
    if value < previous:
        raise DomainError(
            _("Reading %(reading)s is lower than the previous reading %(previous)s.")
            % {"reading": value, "previous": previous},
            field="reading",
        )
    entry = MeterReading.objects.create(
        unit=unit, fee_item=fee_item, period=period, reading=value, previous=previous, recorded_by=actor
    )
    record_change(
        actor=actor,
        target=entry,
        verb="create",
        estate_id=unit.estate_id,
        changes={"reading": [str(previous), str(value)]},
    )
    return entry


# -- A month's readings from a workbook --------------------------------------------------------


class ReadingRow(NamedTuple):
    unit_id: int
    reading: Decimal
    previous: Decimal


def import_meter_readings(
    *, actor: User | None, fee_item: FeeItem, period: datetime.date, upload: File | IO[bytes]
) -> list[MeterReading]:
    """Meter readings for one month from an .xlsx workbook: column A the unit code (e.g.
    1-1-1201), B the reading, C optionally the initial reading of a new meter; row 1 is the
    header. Every row is checked before anything is saved and every problem is reported
    with its row and column; one problem and nothing is saved."""
    if fee_item.kind != FeeItem.Kind.METERED:
        raise DomainError(_("Choose a metered fee item of this estate."), field="fee_item")
    check_period_start(period, field="period")
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds for a bad file)
        raise DomainError(_("The file is not an Excel workbook (.xlsx)."), field="file") from None
    try:
        sheet = ReadingSheet(fee_item, period)
        rows = sheet.check(workbook.worksheets[0].iter_rows(min_row=2, max_col=3, values_only=True))
    finally:
        workbook.close()
    saved = []
    with transaction.atomic():
        units = Unit.objects.in_bulk([row.unit_id for row in rows])
        for row in rows:
            saved.append(
                record_meter_reading(
                    actor=actor,
                    unit=units[row.unit_id],
                    fee_item=fee_item,
                    period=period,
                    reading=row.reading,
                    initial_reading=row.previous,
                )
            )
    return saved


class ReadingSheet:
    """Checks a workbook's rows against what is on file for the month, collecting every
    problem with its row and column instead of stopping at the first."""

    def __init__(self, fee_item: FeeItem, period: datetime.date) -> None:
        self.units = queries.unit_ids_by_code(fee_item.estate_id)
        self.on_file = queries.units_read_since(fee_item, period)
        self.last = queries.last_readings_before(fee_item, period)
        self.problems = Problems()
        self.seen: set[int] = set()

    def check(self, values: Iterable[tuple[object, ...]]) -> list[ReadingRow]:
        """The rows to save, or DomainError with every problem (nothing is saved)."""
        rows = []
        for number, cells in enumerate(values, start=2):
            if number > MAX_READING_ROWS + 1:
                self.problems.add("file", _("The workbook has more than %(max)d rows.") % {"max": MAX_READING_ROWS})
                break
            code, reading, initial = (list(cells) + [None, None, None])[:3]
            if all(value in (None, "") for value in (code, reading, initial)):
                continue
            try:
                rows.append(self.check_row(code, reading, initial))
            except DomainError as error:
                self.problem(number, error.field, error.message)
        if not self.problems and not rows:
            self.problems.add("file", _("The workbook has no readings."))
        self.problems.raise_if_any(_("Please correct the workbook; nothing was saved."))
        return rows

    def check_row(self, code: object, reading: object, initial: object) -> ReadingRow:
        """The row's reading, or DomainError naming the column's field."""
        unit_id = self.units.get(str(code or "").strip())
        if unit_id is None:
            raise DomainError(_("No unit with this code in the estate."), field="unit")
        if unit_id in self.seen:
            raise DomainError(_("This unit appears twice in the file."), field="unit")
        self.seen.add(unit_id)
        if unit_id in self.on_file:
            raise DomainError(_("A reading for this month or a later one is already on file."), field="unit")
        value = parse_decimal(reading, field="reading", places=2, message=_("Enter a number, e.g. 1234.50."))
        start = self.last.get(unit_id)
        if start is None:
            start = parse_decimal(
                initial if initial not in (None, "") else "0",
                field="initial_reading",
                places=2,
                message=_("Enter a number, e.g. 1234.50."),
            )
        if value < 0:
            raise DomainError(_("Reading cannot be negative."), field="reading")
        if value < start:
            raise DomainError(
                _("Reading %(reading)s is lower than the previous reading %(previous)s.")
                % {"reading": value, "previous": start},
                field="reading",
            )
        return ReadingRow(unit_id, value, start)

    def problem(self, row: int, key: str, message: str) -> None:
        letter, title = READING_COLUMNS[key]
        self.problems.add(
            key,
            _("Row %(row)d, column %(column)s (%(title)s): %(message)s")
            % {"row": row, "column": letter, "title": title, "message": message},
            row=row,
        )
