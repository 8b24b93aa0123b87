from ninja import Schema


class ErrorOut(Schema):
    detail: str
    field: str = ""
    problems: list[dict] = []


MAX_OFFSET = 1_000_000  # further than any list of an estate goes; beyond it SQL may not hold the number


def page(rows, offset: int, limit: int, *, most: int = 200) -> list:
    """One page of a list endpoint: the offset clamped to 0…MAX_OFFSET, the limit to 1…most."""
    start = min(max(offset, 0), MAX_OFFSET)
    return list(rows[start : start + min(max(limit, 1), most)])
