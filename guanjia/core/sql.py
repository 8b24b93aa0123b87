"""Every statement written by hand, in one place (docs/decisions/0005-layers-and-sql.md).

Two kinds, each for a measured reason and each with its SQLite path:
- `copy_rows`: many rows at once. On PostgreSQL by COPY, about 7x faster than bulk_create
  (bench/bench_billing_run.py, bench/bench_import_units.py); elsewhere bulk_create.
- `insert_with_dependents`: a row and the rows that point at it (its event, its audit entry)
  in one statement on PostgreSQL, atomic on its own: one round trip instead of three on the
  busiest writes (a request taken, a parcel checked in; bench/bench_intake_api.py).
Tables and columns always come from the models, and every value is a parameter."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

try:  # psycopg is there wherever PostgreSQL is used; SQLite needs none of it
    from psycopg.types.json import Jsonb
except ImportError:  # pragma: no cover
    Jsonb = ()  # type: ignore[assignment,misc]


def insert_columns(instance: models.Model, leave_out: str = "") -> tuple[list[str], list[Any]]:
    """The quoted columns and database values the ORM would insert for a new instance (its
    automatic primary key and the column `leave_out` aside)."""
    meta = instance._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field and f.attname != leave_out]
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    return [connection.ops.quote_name(f.column) for f in fields], values


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


# Many rows: COPY ---------------------------------------------------------------------------

BULK_BATCH_SIZE = 1000


def copy_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    with_ids: bool = False,
    ignore_conflicts: bool = False,
) -> list[int]:
    """Insert plain rows: `columns` are field attnames, each row its values in that order, as
    the model takes them (a JSON field's value as a dict or list). Every other column takes its
    field's default (now, for auto_now and auto_now_add). All rows or none.

    `with_ids` returns the new primary keys in the order of the rows (on PostgreSQL taken from
    the table's sequence first, so that rows can be linked without reading them back).
    `ignore_conflicts` skips the rows a unique constraint refuses: on PostgreSQL the COPY is
    tried as it is, and only when a conflict stops it do the rows go through a temporary table
    and INSERT … ON CONFLICT DO NOTHING."""
    if with_ids and ignore_conflicts:
        raise ValueError("A skipped row has no id: ask for ids or for conflicts skipped, not both.")
    if not rows:
        return []
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    if any(name not in by_attname for name in columns):
        raise ValueError("Name columns by their attnames (unit_id, not unit).")
    fields = [by_attname[name] for name in columns]
    if connection.vendor != "postgresql":
        return bulk_insert(model, columns, rows, with_ids=with_ids, ignore_conflicts=ignore_conflicts)
    defaults = column_defaults(model, columns)
    with transaction.atomic():
        ids = allocate_ids(model, len(rows)) if with_ids else []
        names = ([model._meta.pk.attname] if with_ids else []) + list(columns) + list(defaults)
        tail = tuple(defaults.values())
        table = model._meta.db_table
        if not ignore_conflicts:
            copy_into(table, model, names, prepare_rows(fields, rows, tail, ids))
            return ids
        try:
            with transaction.atomic():
                copy_into(table, model, names, prepare_rows(fields, rows, tail, ids))
        except IntegrityError:
            insert_skipping_conflicts(model, names, prepare_rows(fields, rows, tail, ids))
    return ids


def bulk_insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    with_ids: bool,
    ignore_conflicts: bool,
) -> list[int]:
    """copy_rows on SQLite: bulk_create, which (SQLite 3.35+) returns the new keys."""
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    with transaction.atomic():
        model._default_manager.bulk_create(objects, batch_size=BULK_BATCH_SIZE, ignore_conflicts=ignore_conflicts)
    return [instance.pk for instance in objects] if with_ids else []


def column_defaults(model: type[models.Model], columns: Sequence[str]) -> dict[str, Any]:
    """The database value of every column not given, by attname, worked out once per call."""
    now = timezone.now()
    defaults: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in columns:
            continue
        value = now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else None
        if value is None:
            value = field.get_default()
        defaults[field.attname] = copy_value(field, field.get_db_prep_save(value, connection))
    return defaults


def copy_value(field: models.Field, value: Any) -> Any:
    """A value as COPY takes it: JSON as its text; everything else as psycopg adapts it."""
    if isinstance(value, Jsonb):
        return json.dumps(value.obj, ensure_ascii=False)
    return value


def prepare_rows(
    fields: list[models.Field], rows: Sequence[Sequence[Any]], tail: tuple[Any, ...], ids: list[int]
) -> Iterator[tuple[Any, ...]]:
    """The rows as COPY writes them, one at a time (a batch is not held twice in memory). A JSON
    value is written as text, and the same object (a billing basis shared by thousands of lines)
    is serialized once."""
    json_positions = [index for index, field in enumerate(fields) if isinstance(field, models.JSONField)]
    texts: dict[int, str] = {}

    def as_text(value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        text = texts.get(id(value))
        if text is None:
            text = texts[id(value)] = json.dumps(value, ensure_ascii=False)
        return text

    keys: Iterable[tuple[Any, ...]] = ((key,) for key in ids) if ids else itertools.repeat(())
    for key, row in zip(keys, rows, strict=False):  # keys: one per row, or endless ()
        if json_positions:
            values = list(row)
            for index in json_positions:
                values[index] = as_text(values[index])
            row = values
        yield (*key, *row, *tail)


def column_list(model: type[models.Model], names: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    column_of = {field.attname: field.column for field in model._meta.concrete_fields}
    return ", ".join(quote(column_of[name]) for name in names)


def copy_into(table: str, model: type[models.Model], names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    statement = f"COPY {connection.ops.quote_name(table)} ({column_list(model, names)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # psycopg's cursor under Django's wrapper
        with raw.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def insert_skipping_conflicts(model: type[models.Model], names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY into a temporary table shaped like the model's, then move the rows across with
    ON CONFLICT DO NOTHING. The temporary table is dropped at once: inside an outer transaction
    (a test, a caller's atomic block) the next call would otherwise find it still there."""
    quote = connection.ops.quote_name
    table, load = quote(model._meta.db_table), f"{model._meta.db_table}_load"
    columns = column_list(model, names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(load)} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        copy_into(load, model, names, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {quote(load)} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {quote(load)}")


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` primary keys from the table's sequence (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]
