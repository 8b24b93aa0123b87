"""The visitor log as an Excel workbook (访客登记), written streaming like the registry export.
The column headers are part of the file format, so they stay Chinese whatever the interface
language is. Phones are masked as everywhere on screen."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import IO, Any

from django.utils import timezone

from guanjia.core import xlsx
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
WALK_IN, WITH_PASS = "现场登记", "业主通行证"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
LAYOUT = xlsx.Layout(
    SHEET,
    (
        xlsx.Column(VISITOR, "visitor", width=12),
        xlsx.Column(PHONE, "phone", width=14),
        xlsx.Column(UNIT, "unit", width=12),
        xlsx.Column(PURPOSE, "purpose", width=20),
        xlsx.Column(HOW, "how", width=10),
        xlsx.Column(CLERK, "clerk", width=12),
        xlsx.Column(CHECKED_IN, "checked_in", width=18, number_format=DATETIME_FORMAT),
        xlsx.Column(CHECKED_OUT, "checked_out", width=18, number_format=DATETIME_FORMAT),
    ),
)
COLUMNS = LAYOUT.headers


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
    """The visits, one row each; what visitors and clerks typed stays text (xlsx.write_workbook)."""
    xlsx.write_workbook(target, [(LAYOUT, (visit_row(visit) for visit in visits))])
