"""A few hot statements straight on the database driver's connection.

Django's cursor wrappers rewrite each statement's placeholders with a regular expression, look up debug
and wrapper hooks and build a cursor object per call: for the small statements the ingest path and the
API key check run for every telegram, that costs more than SQLite spends executing them. Statements
here are written with ``%s`` placeholders like Django's; the driver's own form is worked out once per
statement. Errors are still Django's (``django.db.Error`` and its subclasses), the connection is opened,
health-checked and shared between threads exactly as for Django's cursors, and transactions
(``transaction.atomic``) apply as usual. Not logged in ``connection.queries``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


@cache
def _native(sql: str, vendor: str) -> str:
    if vendor == "sqlite":  # sqlite3 takes "?" (the only other "%" in our statements would be "%%")
        return sql.replace("%s", "?").replace("%%", "%")
    return sql


def _driver_connection():
    db = connections[DEFAULT_DB_ALIAS]
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    return db, db.connection


def execute(sql: str, params: list | tuple) -> int:
    """Run one statement; the number of rows it changed."""
    db, driver = _driver_connection()
    with db.wrap_database_errors:
        cursor = driver.cursor()
        try:
            cursor.execute(_native(sql, db.vendor), params)
            return cursor.rowcount
        finally:
            cursor.close()


def fetch_one(sql: str, params: list | tuple) -> tuple[Any, ...] | None:
    """Run one query; its first row, or None."""
    db, driver = _driver_connection()
    with db.wrap_database_errors:
        cursor = driver.cursor()
        try:
            cursor.execute(_native(sql, db.vendor), params)
            return cursor.fetchone()
        finally:
            cursor.close()
