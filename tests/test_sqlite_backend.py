"""dsmrhub's SQLite backend: BEGIN IMMEDIATE waits for another writer in short steps, up to the timeout.

Runs on its own SQLite file, whatever database the rest of the suite uses."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    path = tmp_path / "locks.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n integer)")
    with django_db_blocker.unblock():  # a connection of the test's own, not the suite's database
        yield path


def _wrapper(path, *, timeout: float):
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "dsmrhub.db.sqlite",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            }
        }
    )
    return handler["default"]


def _hold_write_lock(path, seconds: float, held: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    held.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def _other_writer_holds_the_lock(path, seconds: float) -> threading.Thread:
    """Start another connection that holds the write lock for ``seconds``; returns once it holds it."""
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, seconds, held))
    holder.start()
    assert held.wait(5)
    return holder


def _begin(wrapper) -> None:
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(wrapper) -> None:
    wrapper.commit()
    wrapper.set_autocommit(True)


def test_a_writer_waits_for_the_other_writer_and_then_writes(sqlite_file):
    wrapper = _wrapper(sqlite_file, timeout=5)
    wrapper.ensure_connection()
    holder = _other_writer_holds_the_lock(sqlite_file, 0.3)
    began = time.monotonic()
    _begin(wrapper)
    waited = time.monotonic() - began
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (2)")
    _end(wrapper)
    holder.join()
    assert waited >= 0.2  # it did wait for the other writer's commit ...
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert cursor.fetchall() == [(1,), (2,)]  # ... and both rows are there
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone() == (5000,)  # SQLite's own wait is back for every other statement
    wrapper.close()


def test_a_writer_gives_up_after_the_timeout_with_djangos_error(sqlite_file):
    wrapper = _wrapper(sqlite_file, timeout=0.2)
    wrapper.ensure_connection()
    holder = _other_writer_holds_the_lock(sqlite_file, 1.0)
    began = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        _begin(wrapper)
    assert time.monotonic() - began >= 0.2
    holder.join()
    wrapper.set_autocommit(True)
    with wrapper.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone() == (200,)
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (1,)
    wrapper.close()
