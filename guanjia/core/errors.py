from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """One thing wrong with one input: which field, and what to do about it."""

    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict:
        data: dict = {"field": self.field, "message": str(self.message)}
        if self.row is not None:
            data["row"] = self.row
        return data


class DomainError(Exception):
    """A refusal that a person can act on. Raised by actions before anything is written
    (or inside the atomic block, which then rolls back)."""

    def __init__(self, message: str, *, field: str = "", problems: list[FieldProblem] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.problems: list[FieldProblem] = problems or ([FieldProblem(field, message)] if field else [])

    def as_dict(self) -> dict:
        return {"detail": self.message, "field": self.field, "problems": [p.as_dict() for p in self.problems]}


@dataclass
class Problems:
    """Collects field problems so that a form or a file reports all of them at once."""

    items: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, message: str, row: int | None = None) -> None:
        self.items.append(FieldProblem(field_name, str(message), row))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, summary: str) -> None:
        if self.items:
            first = self.items[0]
            raise DomainError(summary, field=first.field, problems=list(self.items))
