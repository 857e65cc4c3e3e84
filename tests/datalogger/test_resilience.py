"""A locked database, `kill -9`, and settings changed while running — real processes, exact counts."""

from __future__ import annotations

import signal
import sqlite3
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.datalogger.meters import TcpMeter
from tests.datalogger.streams import telegrams
from tests.processes import Install, stop_process, wait_until

pytestmark = pytest.mark.xdist_group("processes")


@contextmanager
def database_locked(install: Install):
    """Hold the database's write lock from another connection, as a long transaction elsewhere would."""
    if install.database_url:
        import psycopg

        with psycopg.connect(install.database_url) as conn:
            conn.execute("LOCK TABLE readings_dsmrreading, readings_meterstatistics IN ACCESS EXCLUSIVE MODE")
            yield
            conn.rollback()
        return
    conn = sqlite3.connect(install.data_dir / "dsmrhub.sqlite3", isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def buffered(install: Install) -> int:
    with sqlite3.connect(install.data_dir / "datalogger-buffer.sqlite3") as conn:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]


def stream_with_the_database_locked(install: Install, *, past_the_timeout: bool) -> list[int]:
    """Stream 12 telegrams with the database locked in the middle, until 7 are buffered and, with
    ``past_the_timeout``, until storing has given up waiting for the lock; the stored timestamps."""
    meter = TcpMeter()
    logger = install.start("datalogger", "--source", meter.url, "--retry-max", "0.5", log="datalogger")
    items = telegrams(12)
    try:
        meter.send(b"".join(t for _, t in items[:2]))
        wait_until(lambda: len(install.stored_timestamps()) == 2, message="first readings")
        with database_locked(install):
            for _, telegram in items[2:10]:
                meter.send(telegram, pause=0.05)  # a telegram a read
            wait_until(lambda: buffered(install) >= 7, message="telegrams buffered while locked")
            if past_the_timeout:
                wait_until(
                    lambda: "database unavailable" in install.log_text("datalogger"),
                    message="storing gave up waiting for the lock",
                )
        meter.send(b"".join(t for _, t in items[10:]))
        wait_until(
            lambda: install.stored_timestamps() == [stamp for stamp, _ in items],
            timeout=40,
            message="every reading once, after the lock",
        )
        assert buffered(install) == 0
        assert stop_process(logger) == 0
        return install.stored_timestamps()
    finally:
        stop_process(logger)
        meter.close()


def test_database_locked_within_the_lock_timeout_loses_nothing(install):
    """Storing waits for the lock (DSMRHUB_DATABASE_LOCK_TIMEOUT, 30 s by default) and goes on."""
    stored = stream_with_the_database_locked(install, past_the_timeout=False)
    assert stored == [stamp for stamp, _ in telegrams(12)]  # every telegram once, in order
    assert "database unavailable" not in install.log_text("datalogger")


def test_database_locked_past_the_lock_timeout_loses_nothing(install):
    """A lock that outlasts the wait (1 s here): the telegrams stay in the buffer and are stored,
    once and in order, when the lock is gone; the outage is logged once."""
    install.env["DSMRHUB_DATABASE_LOCK_TIMEOUT"] = "1"
    stored = stream_with_the_database_locked(install, past_the_timeout=True)
    assert stored == [stamp for stamp, _ in telegrams(12)]
    log = install.log_text("datalogger")
    assert log.count("database unavailable") == 1 and "database available again" in log, log


def test_kill_9_mid_stream_then_restart_no_duplicates_no_loss(install):
    meter = TcpMeter()
    items = telegrams(14)
    args = ("datalogger", "--source", meter.url, "--retry-max", "0.3")
    logger = install.start(*args, log="datalogger")
    try:
        for count, (_, telegram) in enumerate(items[:6], start=1):  # lock-step: each one stored
            meter.send(telegram)
            wait_until(lambda n=count: len(install.stored_timestamps()) == n, message=f"reading {count}")
        in_flight = items[6][1]
        meter.send(in_flight[: len(in_flight) // 2])  # the telegram being read at that instant
        logger.send_signal(signal.SIGKILL)
        logger.wait(timeout=10)
        meter.drop_client()
        logger = install.start(*args, log="datalogger")
        meter.send(b"".join(t for _, t in items[7:]), chunk=200)
        expected = [stamp for stamp, _ in items[:6] + items[7:]]
        wait_until(lambda: install.stored_timestamps() == expected, message="readings after restart")
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()
    rows = install.query("SELECT count(*), count(DISTINCT timestamp) FROM readings_dsmrreading")
    assert rows[0][0] == rows[0][1] == 13


def test_kill_9_with_a_full_buffer_stores_it_after_restart(install):
    """Telegrams read but not stored yet (the database was locked) survive `kill -9`."""
    meter = TcpMeter()
    items = telegrams(6)
    args = ("datalogger", "--source", meter.url, "--retry-max", "0.3")
    logger = install.start(*args, log="datalogger")
    try:
        meter.send(items[0][1])
        wait_until(lambda: len(install.stored_timestamps()) == 1, message="first reading")
        with database_locked(install):
            meter.send(b"".join(t for _, t in items[1:]))
            wait_until(lambda: buffered(install) == 5, message="buffered while locked")
            logger.send_signal(signal.SIGKILL)
            logger.wait(timeout=10)
        meter.drop_client()
        logger = install.start(*args, log="datalogger")
        wait_until(
            lambda: install.stored_timestamps() == [stamp for stamp, _ in items], message="buffer stored"
        )
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()


def test_settings_change_while_running_without_restart(install):
    first, second = TcpMeter(), TcpMeter()
    install.run("datalogger-settings", "--source", first.url)
    logger = install.start("datalogger", "--settings-poll", "0.2", "--retry-max", "0.3", log="datalogger")
    items = telegrams(12, step=timedelta(seconds=5))
    try:
        first.send(b"".join(t for _, t in items[:2]))
        wait_until(lambda: len(install.stored_timestamps()) == 2, message="readings from the first source")

        shown = install.run("datalogger-settings", "--source", second.url, "--min-interval", "10").stdout
        assert f"source: {second.url}" in shown and "minimum interval: 10 s" in shown
        second.wait_client()
        stop_sending = threading.Event()
        second.send(b"".join(t for _, t in items[2:8]))  # 5 s apart: every other one is kept
        wait_until(lambda: len(install.stored_timestamps()) == 5, message="readings from the second source")
        assert install.stored_timestamps() == [items[i][0] for i in (0, 1, 2, 4, 6)]

        changes = install.log_text("datalogger").count("datalogger settings changed")
        install.run("datalogger-settings", "--min-interval", "0")
        wait_until(  # the running datalogger picked the change up; the port stays open
            lambda: install.log_text("datalogger").count("datalogger settings changed") > changes,
            message="the new minimum interval applied",
        )
        second.send(b"".join(t for _, t in items[8:]))
        wait_until(lambda: len(install.stored_timestamps()) == 9, message="every telegram again")
        assert second.connections == 1
        stop_sending.set()
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        first.close()
        second.close()
    assert install.run("datalogger-settings", "--source", "nonsense", check=False).returncode != 0
