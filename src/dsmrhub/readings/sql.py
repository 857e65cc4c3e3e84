"""Two hot statements of the ingest path as plain SQL.

The ORM spends more time compiling an INSERT or UPDATE than SQLite spends running it; at one telegram per
second that does not matter, for an import or a backlog it does. Values still go through each field's own
``get_db_prep_value``, so the compact column types convert exactly as they do in the ORM.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField


@cache
def _insert_sql(model: type[models.Model], columns: tuple[str, ...], conflict: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({quote(conflict)}) DO NOTHING"


def _converter(field: models.Field) -> Callable[[Any, Any], Any]:
    """``field.get_db_prep_value(value, db)``, with the common cases of the compact fields inlined (the
    generic path costs several calls per value; these give the very same column values)."""
    generic = field.get_db_prep_value
    if isinstance(field, ScaledDecimalField):
        quantum, places = field._quantum, field.decimal_places

        def scaled(value: Any, db) -> Any:
            if value.__class__ is Decimal:  # Decimal(str(value)) == value: to_python's rounding, then scaling
                try:
                    return int(value.quantize(quantum, rounding=ROUND_HALF_UP).scaleb(places))
                except ArithmeticError:  # NaN, too many digits: the field raises its own error
                    pass
            return None if value is None else generic(value, db)

        return scaled
    if isinstance(field, EpochSecondsField):

        def epoch(value: Any, db) -> Any:
            if value.__class__ is datetime and value.utcoffset() is not None:
                return math.floor(value.timestamp())
            return None if value is None else generic(value, db)

        return epoch
    return generic


@cache
def _converters(model: type[models.Model], columns: tuple[str, ...]) -> tuple[Callable[[Any, Any], Any], ...]:
    return tuple(_converter(model._meta.get_field(name)) for name in columns)


def _params(model: type[models.Model], values: dict[str, Any], db) -> list:
    converters = _converters(model, tuple(values))
    return [convert(value, db) for convert, value in zip(converters, values.values(), strict=True)]


def insert_unless_present(model: type[models.Model], values: dict[str, Any], *, conflict: str) -> bool:
    """INSERT one row; False (and nothing written) when a row with the same ``conflict`` column exists."""
    db = connections[DEFAULT_DB_ALIAS]  # resolve the thread's connection once, not once per value
    sql = _insert_sql(model, tuple(values), conflict, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, _params(model, values, db))
        return cursor.rowcount == 1


@cache
def _update_sql(model: type[models.Model], columns: tuple[str, ...], where: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in columns)
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {where}"


def update_where(model: type[models.Model], changes: dict[str, Any], *, where: str, params: list) -> int:
    """UPDATE the rows matching ``where`` (SQL with %s placeholders for ``params``); returns the row count."""
    db = connections[DEFAULT_DB_ALIAS]
    sql = _update_sql(model, tuple(changes), where, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, [*_params(model, changes, db), *params])
        return cursor.rowcount
