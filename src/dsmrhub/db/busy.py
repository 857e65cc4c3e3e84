"""Whether a database error means "another connection holds the lock: try again later".

SQLite gives up on a write lock after the configured timeout ("database is locked"); PostgreSQL after
``lock_timeout`` (lock_not_available), ``statement_timeout`` (query_canceled), or when it broke a deadlock
or a serialization conflict. None of these is a bug in the request: the edges answer 503 with
``Retry-After`` so a client that retries loses nothing.
"""

from __future__ import annotations

import sqlite3

from django.db import OperationalError

RETRY_AFTER_SECONDS = 5
_SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
# lock_not_available, query_canceled, deadlock_detected, serialization_failure
_POSTGRESQL_BUSY_STATES = frozenset({"55P03", "57014", "40P01", "40001"})


def db_error_is_busy(error: BaseException) -> bool:
    """True for a lock wait or statement that timed out (Django's ``OperationalError`` of that kind)."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES  # extended codes keep the primary one in the low byte
    state = getattr(cause, "sqlstate", None)
    if state is not None:
        return state in _POSTGRESQL_BUSY_STATES
    return "database is locked" in str(error)
