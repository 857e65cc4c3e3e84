"""The few vendor differences of the set-based statements (SQLite and PostgreSQL)."""

from __future__ import annotations

from django.db import connection

from dsmrhub.processing.models import ElectricityConsumption, PendingMinute
from dsmrhub.readings.models import DsmrReading

READINGS = DsmrReading._meta.db_table
MINUTES = ElectricityConsumption._meta.db_table
PENDING = PendingMinute._meta.db_table
LOCK_ID = 7_310_412  # PostgreSQL advisory lock held by whoever writes derived data


def idiv(numerator: str, denominator: str) -> str:
    """Integer division of non-negative integers (PostgreSQL's SUM(bigint) is numeric, hence div())."""
    if connection.vendor == "postgresql":
        return f"div({numerator}, {denominator})"
    return f"(({numerator}) / ({denominator}))"


def mean_half_up(column: str) -> str:
    """Mean of a non-negative integer column rounded half up, NULL when the column has no values."""
    return idiv(f"2 * SUM({column}) + COUNT({column})", f"2 * NULLIF(COUNT({column}), 0)")


def fetch(sql: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def lock_derived_data() -> None:
    """Serialise writers of derived data (SQLite transactions already are: they begin IMMEDIATE)."""
    if connection.vendor == "postgresql":
        execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])


def pending_take(*, limit: int) -> list[int]:
    """Remove and return up to ``limit`` pending minutes, oldest first; marks of open transactions wait."""
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    rows = fetch(
        f"DELETE FROM {PENDING} WHERE minute IN "
        f"(SELECT minute FROM {PENDING} ORDER BY minute LIMIT %s{skip_locked}) RETURNING minute",
        [limit],
    )
    return sorted(row[0] for row in rows)
