"""The hot statements of the ingest path as plain SQL.

The ORM spends more time compiling an INSERT or UPDATE than SQLite spends running it; at one telegram per
second that does not matter, for an import or a backlog it does. Values still go through each field's own
conversion (``get_db_prep_value``, or for the compact fields their ``column_value`` / ``epoch_column`` that it
uses too), so they convert exactly as they do in the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from dsmrhub.db import raw
from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField, epoch_column


def _conflict_target(conflict: str | tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(name) for name in ((conflict,) if isinstance(conflict, str) else conflict))


@cache
def _insert_sql(
    model: type[models.Model], columns: tuple[str, ...], conflict: str | tuple[str, ...], vendor: str
) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    target = _conflict_target(conflict)
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({target}) DO NOTHING"


def _converter(field: models.Field) -> Callable[[Any, Any], Any]:
    """``field.get_db_prep_value(value, db)``, with the common cases of the compact fields inlined (the
    generic path costs several calls per value; these give the very same column values)."""
    generic = field.get_db_prep_value
    if isinstance(field, ScaledDecimalField):
        column_value = field.column_value

        def scaled(value: Any, db) -> Any:
            if value.__class__ is Decimal:  # Decimal(str(value)) == value: to_python's rounding, then scaling
                try:
                    return column_value(value)
                except ArithmeticError:  # NaN, too many digits: the field raises its own error
                    pass
            return None if value is None else generic(value, db)

        return scaled
    if isinstance(field, EpochSecondsField):

        def epoch(value: Any, db) -> Any:
            if value.__class__ is datetime and value.utcoffset() is not None:
                return epoch_column(value)
            return None if value is None else generic(value, db)

        return epoch
    return generic


@cache
def _converters(model: type[models.Model], columns: tuple[str, ...]) -> tuple[Callable[[Any, Any], Any], ...]:
    return tuple(_converter(model._meta.get_field(name)) for name in columns)


def _params(model: type[models.Model], values: dict[str, Any], db) -> list:
    converters = _converters(model, tuple(values))
    return [convert(value, db) for convert, value in zip(converters, values.values(), strict=True)]


def insert_unless_present(
    model: type[models.Model], values: dict[str, Any], *, conflict: str | tuple[str, ...]
) -> bool:
    """INSERT one row; False (and nothing written) when a row with the same ``conflict`` column(s) exists."""
    db = connections[DEFAULT_DB_ALIAS]  # resolve the thread's connection once, not once per value
    return (
        raw.execute(_insert_sql(model, tuple(values), conflict, db.vendor), _params(model, values, db)) == 1
    )


def insert_columns_unless_present(
    model: type[models.Model], names: tuple[str, ...], columns: Sequence, *, conflict: str | tuple[str, ...]
) -> bool:
    """``insert_unless_present`` for values already converted to their columns (``readings.check``)."""
    sql = _insert_sql(model, names, conflict, connections[DEFAULT_DB_ALIAS].vendor)
    return raw.execute(sql, columns) == 1


@cache
def _upsert_sql(
    model: type[models.Model],
    key: str,
    initial: tuple[str, ...],
    columns: tuple[str, ...],
    only_if: str,
    vendor: str,
) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    every = (key, *initial, *columns)
    column = {name: quote(model._meta.get_field(name).column) for name in every}
    names = ", ".join(column[name] for name in every)
    marks = ", ".join(["%s"] * len(every))
    assignments = ", ".join(f"{column[name]} = excluded.{column[name]}" for name in columns)
    return (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({column[key]}) "
        f"DO UPDATE SET {assignments} WHERE {only_if.format(table=table)}"
    )


def upsert(
    model: type[models.Model],
    key: tuple[str, Any],
    changes: dict[str, Any],
    *,
    only_if: str,
    initial: dict[str, Any] | None = None,
) -> None:
    """One statement: set ``changes`` on the row whose unique column ``key[0]`` is ``key[1]`` where
    ``only_if`` holds (SQL: ``{table}`` names the row, ``excluded`` the offered values), or insert that
    row with ``changes`` and ``initial`` (values for a new row only) when there is none."""
    db = connections[DEFAULT_DB_ALIAS]
    initial = initial or {}
    sql = _upsert_sql(model, key[0], tuple(initial), tuple(changes), only_if, db.vendor)
    raw.execute(sql, _params(model, {key[0]: key[1], **initial, **changes}, db))
