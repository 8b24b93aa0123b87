"""Single rows without the ORM's query building, for the busiest requests (a parcel checked in,
a request taken), where each ORM query costs about a millisecond of building and each round trip
a fraction of one: a tenth of such a request (bench/bench_parcel_checkin.py,
bench/bench_intake_api.py). A row of an estate fetched by id; a row and the rows that point at
it (its event, its audit entry) inserted by one statement on PostgreSQL, atomic on its own.
Tables, columns and values are the ones the ORM would use, taken from the models."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction


def insert_columns(instance: models.Model, leave_out: str = "") -> tuple[list[str], list[Any]]:
    """The quoted columns and database values the ORM would insert for a new instance (its
    automatic primary key and the column `leave_out` aside)."""
    meta = instance._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field and f.attname != leave_out]
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    return [connection.ops.quote_name(f.column) for f in fields], values


def fetch_in_estate(model: type[models.Model], pk: int, estate_id: int) -> Any:
    """The model's row with this id if it belongs to the estate, else None."""
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(model._meta.pk.column)} = %s AND {quote('estate_id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, estate_id])
        row = cursor.fetchone()
    if row is None:
        return None
    # The conversions the ORM applies to what the database returns (SQLite's decimals, dates).
    values = []
    for value, field in zip(row, fields, strict=True):
        column = field.cached_col
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            value = convert(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def reference(model: type[models.Model], **known: Any) -> Any:
    """A row known by its id (and whatever else is given) without reading it: its other fields
    load on first use. For a write whose caller has just proved the row exists, or whose own
    statement checks it."""
    return model.from_db(connection.alias, list(known), list(known.values()))


def mark_saved(*instances: models.Model) -> None:
    """Instances written by hand-made SQL, now as the ORM leaves what it saved."""
    for instance in instances:
        instance._state.adding, instance._state.db = False, connection.alias


def insert_with_dependents(parent: models.Model, dependents: list[tuple[models.Model, str]]) -> None:
    """Insert `parent` and each dependent row, whose column named by its pointer (an attname:
    "request_id", "object_id") gets the parent's new id. All or none."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            parent.save(force_insert=True)
            for row, pointer in dependents:
                setattr(row, pointer, parent.pk)
                row.save(force_insert=True)
        return
    quote = connection.ops.quote_name
    columns, values = insert_columns(parent)
    parts = [
        f"parent AS (INSERT INTO {quote(parent._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(values))}) RETURNING id)"
    ]
    parameters = list(values)
    for number, (row, pointer) in enumerate(dependents):
        columns, values = insert_columns(row, leave_out=pointer)
        pointer_column = next(f.column for f in row._meta.concrete_fields if f.attname == pointer)
        parts.append(
            f"row{number} AS (INSERT INTO {quote(row._meta.db_table)} "  # noqa: S608
            f"({', '.join(columns)}, {quote(pointer_column)}) "
            f"SELECT {', '.join(['%s'] * len(values))}, parent.id FROM parent RETURNING id)"
        )
        parameters.extend(values)
    names = ["parent"] + [f"row{number}" for number in range(len(dependents))]
    ids = ", ".join(f"{name}.id" for name in names)
    sql = f"WITH {', '.join(parts)} SELECT {ids} FROM {', '.join(names)}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        new_ids = cursor.fetchone()
    parent.pk = new_ids[0]
    for (row, pointer), row_id in zip(dependents, new_ids[1:], strict=True):
        setattr(row, pointer, parent.pk)
        row.pk = row_id
    mark_saved(parent, *(row for row, _pointer in dependents))
