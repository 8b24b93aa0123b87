from ninja import Schema


class ErrorOut(Schema):
    detail: str
    field: str = ""
    problems: list[dict] = []
