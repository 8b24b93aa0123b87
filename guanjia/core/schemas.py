"""Shapes every API shares: the error answer, a page of a list, and the bounds of an input
taken from the model column it is stored in (`column`), so that nothing the database cannot
hold, or would silently hold on SQLite, gets past the schema."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import annotated_types
from django.core import validators
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from ninja import Schema
from pydantic import Field, GetCoreSchemaHandler, ValidationError
from pydantic_core import PydanticCustomError, core_schema

# The id of a row, as a filter of a list takes it: beyond the databases' integers no row has it,
# and the same number is refused alike on SQLite and PostgreSQL (400, as any other bad value).
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]

# PostgreSQL's ranges, applied on SQLite too: SQLite stores any integer, and a number one
# database takes and the other refuses would make the two disagree.
INTEGER_RANGES: dict[str, tuple[int, int]] = dict(BaseDatabaseOperations.integer_field_ranges)


class ErrorOut(Schema):
    detail: str
    field: str = ""
    problems: list[dict] = []


MAX_OFFSET = 1_000_000  # further than any list of an estate goes; beyond it SQL may not hold the number


def page(rows, offset: int, limit: int, *, most: int = 200) -> list:
    """One page of a list endpoint: the offset clamped to 0…MAX_OFFSET, the limit to 1…most."""
    start = min(max(offset, 0), MAX_OFFSET)
    return list(rows[start : start + min(max(limit, 1), most)])


def column_bounds(field: models.Field, *, positive: bool = False) -> dict[str, Any]:
    """What a value must keep to fit `field`'s column: max_length for text, the digits of a
    decimal, the range of an integer type, and the field's own min/max validators. `positive`:
    the domain allows nothing below zero even where the column would. Used by the API's
    `column` and the pages' `core.forms.column_field` alike."""
    bounds: dict[str, Any] = {}
    if isinstance(field, models.CharField) and field.max_length:
        bounds["max_length"] = field.max_length
    if isinstance(field, models.DecimalField):
        whole_digits = field.max_digits - field.decimal_places
        bounds["max_digits"] = field.max_digits
        bounds["decimal_places"] = field.decimal_places
        largest = Decimal(10) ** whole_digits - Decimal(1).scaleb(-field.decimal_places)
        bounds["min_value"], bounds["max_value"] = -largest, largest
    if field.get_internal_type() in INTEGER_RANGES:
        bounds["min_value"], bounds["max_value"] = INTEGER_RANGES[field.get_internal_type()]
    for validator in field.validators:  # the model's own rules (and the database's range, kept to)
        if isinstance(validator, validators.MinValueValidator):
            bounds["min_value"] = max(bounds.get("min_value", validator.limit_value), validator.limit_value)
        elif isinstance(validator, validators.MaxValueValidator):
            bounds["max_value"] = min(bounds.get("max_value", validator.limit_value), validator.limit_value)
    if positive and "min_value" in bounds:
        bounds["min_value"] = max(bounds["min_value"], 0)
    return bounds


@dataclass(frozen=True)
class Column:
    """Pydantic metadata bounding an input by the model column it goes to, see `column`."""

    model: type[models.Model]
    name: str
    positive: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        field = self.model._meta.get_field(self.name)
        assert isinstance(field, models.Field)
        bounds = column_bounds(field, positive=self.positive)
        constraints: list[Any] = []
        if "max_length" in bounds:
            constraints.append(annotated_types.MaxLen(bounds["max_length"]))
        if "max_digits" in bounds:
            constraints.append(
                Field(max_digits=bounds["max_digits"], decimal_places=bounds["decimal_places"], allow_inf_nan=False)
            )
        if "min_value" in bounds:
            constraints.append(annotated_types.Ge(bounds["min_value"]))
        if "max_value" in bounds:
            constraints.append(annotated_types.Le(bounds["max_value"]))
        inner = handler.generate_schema(Annotated[(source, *constraints)] if constraints else source)
        label = field.verbose_name

        def labelled(value: Any, validate: core_schema.ValidatorFunctionWrapHandler) -> Any:
            # The answer names the field as people know it (the column's verbose name, in the
            # request's language); config/api.py turns the error into the API's 400.
            try:
                return validate(value)
            except ValidationError as error:
                problem = error.errors()[0]
                context = {**problem.get("ctx", {}), "label": str(label)}
                raise PydanticCustomError(problem["type"], problem["msg"], context) from None

        return core_schema.no_info_wrap_validator_function(labelled, inner)


def column(model: type[models.Model], name: str, *, positive: bool = False) -> Column:
    """`area: Annotated[Decimal, column(Unit, "area")]`: the input is refused (400 naming the
    field) when the column could not hold it: text longer than max_length, a decimal with too
    many digits or places, NaN or infinity, an integer outside the column type's range or the
    field's validators; `positive` also refuses numbers below zero."""
    return Column(model, name, positive)
