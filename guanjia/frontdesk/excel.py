"""The visitor log as an Excel workbook (访客登记), written streaming like the registry export.
The column headers are part of the file format, so they stay Chinese whatever the interface
language is. Phones are masked as everywhere on screen."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from guanjia.core.masking import mask_phone
from guanjia.frontdesk.models import Visit

SHEET = "访客登记"
VISITOR = "来访人"
PHONE = "电话"
UNIT = "到访房屋"
PURPOSE = "来访事由"
HOW = "登记方式"
CLERK = "登记人"
CHECKED_IN = "进入时间"
CHECKED_OUT = "离开时间"
COLUMNS = [VISITOR, PHONE, UNIT, PURPOSE, HOW, CLERK, CHECKED_IN, CHECKED_OUT]
WIDTHS = [12, 14, 12, 20, 10, 12, 18, 18]
WALK_IN, WITH_PASS = "现场登记", "业主通行证"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Excel has no time zones: the Shanghai wall-clock time, without tzinfo."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def visit_row(visit: Visit) -> list[Any]:
    return [
        visit.visitor_name,
        mask_phone(visit.visitor_phone),
        visit.unit.code,
        visit.purpose,
        WITH_PASS if visit.visitor_pass_id else WALK_IN,
        str(visit.checked_in_by),
        local(visit.checked_in_at),
        local(visit.checked_out_at),
    ]


def write_visitor_log(target: IO[bytes] | str, visits: Iterable[Visit]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for visit in visits:
        row: list[Any] = []
        for value in visit_row(visit):
            cell = WriteOnlyCell(sheet, value=value)
            if hasattr(value, "hour"):
                cell.number_format = DATETIME_FORMAT
            row.append(cell)
        sheet.append(row)
    workbook.save(target)
