"""Django's SQLite backend, with a finer wait for the write lock.

The web server's workers, the datalogger and the processor write to one SQLite file. When another
connection holds the write lock, SQLite's own busy handler sleeps 1, 2, 5, 10, 15, … ms between tries,
while a write transaction here holds the lock for well under a millisecond: a second writer mostly
sleeps, and two busy API workers reach barely more requests per second than one. So BEGIN IMMEDIATE is
tried without SQLite's handler and retried after 0.1 ms, doubling to at most 2 ms, until the configured
timeout has passed. Every other statement keeps SQLite's handler and the same timeout.
"""

from __future__ import annotations

import sqlite3
import time

from django.db.backends.sqlite3 import base

FIRST_RETRY = 0.0001
LONGEST_RETRY = 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE"):  # a deferred BEGIN takes no lock
            super()._start_transaction_under_autocommit()
            return
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        raw = self.connection
        with self.wrap_database_errors:
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                _begin(raw, f"BEGIN {self.transaction_mode}", deadline=time.monotonic() + timeout)
            finally:
                raw.execute(f"PRAGMA busy_timeout = {round(timeout * 1000)}")


def _begin(raw: sqlite3.Connection, statement: str, *, deadline: float) -> None:
    delay = FIRST_RETRY
    while True:
        try:
            raw.execute(statement)
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, LONGEST_RETRY)
