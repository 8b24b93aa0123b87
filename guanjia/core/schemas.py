from typing import Annotated

from ninja import Schema
from pydantic import Field

# The id of a row, as a filter of a list takes it: beyond the databases' integers no row has it,
# and the same number is refused alike on SQLite and PostgreSQL (422, as any other bad value).
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorOut(Schema):
    detail: str
    field: str = ""
    problems: list[dict] = []


MAX_OFFSET = 1_000_000  # further than any list of an estate goes; beyond it SQL may not hold the number


def page(rows, offset: int, limit: int, *, most: int = 200) -> list:
    """One page of a list endpoint: the offset clamped to 0…MAX_OFFSET, the limit to 1…most."""
    start = min(max(offset, 0), MAX_OFFSET)
    return list(rows[start : start + min(max(limit, 1), most)])
