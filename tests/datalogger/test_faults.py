"""Faults injected into real `dsmrhub` processes: each part reads on, or exits and is restarted, and no
telegram that was read is lost (within the documented bounds).

Other faults are tested where their part lives: the main database locked under the datalogger alone and
`kill -9` (tests/datalogger/test_resilience.py), a broker restart (tests/mqtt/test_reliability.py), a
target that is down or answers errors (tests/datalogger/test_forward.py), a broken .gz import
(tests/datalogger/test_import_and_bulk.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import sqlite3
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.datalogger.meters import TcpMeter
from tests.datalogger.streams import telegrams
from tests.datalogger.test_resilience import buffered, database_locked
from tests.processes import ON_POSTGRES, Install, free_port, stop_process, wait_until

pytestmark = pytest.mark.xdist_group("processes")


def datalogger_state(install: Install) -> tuple[str, int]:
    """(the buffer's problem, telegrams held in memory) as the running datalogger reports them."""
    rows = install.query("SELECT buffer_error, held_telegrams FROM datalogger_dataloggerstate")
    return rows[0] if rows else ("", 0)


def stamps(items: list[tuple[int, bytes]]) -> list[int]:
    return [stamp for stamp, _ in items]


@contextlib.contextmanager
def buffer_locked(path: Path):
    """Another connection holds the buffer's write lock (a backup tool, the sqlite3 shell)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_buffer_locked_for_a_while_the_reader_holds_telegrams_in_memory(install):
    meter = TcpMeter()
    items = telegrams(12)
    logger = install.start("datalogger", "--source", meter.url, "--retry-max", "0.5", log="datalogger")
    try:
        meter.wait_client(timeout=60)
        meter.send(b"".join(t for _, t in items[:2]))
        wait_until(lambda: install.stored_timestamps() == stamps(items[:2]), message="first readings")
        with buffer_locked(install.data_dir / "datalogger-buffer.sqlite3"):
            for _, telegram in items[2:8]:
                meter.send(telegram)
            # The count can be saved while the first write still waits for the lock (held, no problem yet):
            # wait for both, as the state settles.
            locked = "cannot write the buffer datalogger-buffer.sqlite3: database is locked"
            wait_until(
                lambda: datalogger_state(install)[1] == 6 and locked in datalogger_state(install)[0],
                message="6 telegrams held in memory and the buffer's problem, reported",
            )
            assert install.stored_timestamps() == stamps(items[:2])
        meter.send(b"".join(t for _, t in items[8:]))
        wait_until(lambda: install.stored_timestamps() == stamps(items), message="every reading, in order")
        wait_until(lambda: datalogger_state(install) == ("", 0), message="the problem cleared in the state")
        assert logger.poll() is None
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()
    log = install.log_text("datalogger")
    assert log.count("database is locked; holding") == 1, log  # logged once, not once per retry
    assert re.search(r"writable again; wrote \d+ items held in memory", log), log


@contextlib.contextmanager
def small_disk(directory: Path, size: str = "2m"):
    """A file system of ``size`` at ``directory`` (tmpfs; mounting needs root, as in CI)."""
    directory.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=True)


def fill(directory: Path) -> Path:
    """Fill the file system of ``directory`` up to the last byte; the filler file."""
    filler = directory / f"filler-{uuid.uuid4().hex[:6]}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def test_disk_full_under_the_buffer_then_space_comes_back(install, tmp_path):
    """A full disk (a 2 MB tmpfs holding the buffer): reading goes on into memory, and every telegram is
    stored once space is back. Without the right to mount (not root), the file size limit of the process
    (RLIMIT_FSIZE, lowered and raised again from outside) makes the same fault."""
    meter = TcpMeter()
    items = telegrams(12)
    with small_disk(tmp_path / "disk") as mounted:
        buffer = tmp_path / "disk" / "buffer.sqlite3"
        args = ("datalogger", "--source", meter.url, "--retry-max", "0.5", "--buffer", str(buffer))
        logger = install.start(*args, log="datalogger")
        try:
            meter.wait_client(timeout=60)
            meter.send(b"".join(t for _, t in items[:2]))
            wait_until(lambda: install.stored_timestamps() == stamps(items[:2]), message="first readings")
            if mounted:
                filler = fill(buffer.parent)
            else:  # the same error for the writer: no more bytes beyond what its files hold now
                resource.prlimit(logger.pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
            for _, telegram in items[2:8]:
                meter.send(telegram)
            if mounted or ON_POSTGRES:  # (with the limit, SQLite cannot store the state either)
                wait_until(lambda: datalogger_state(install)[1] == 6, message="6 telegrams held in memory")
                assert re.search("database or disk is full|disk I/O error", datalogger_state(install)[0])
                assert install.stored_timestamps() == stamps(items[:2])
            if mounted:
                filler.unlink()
            else:
                resource.prlimit(logger.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
            meter.send(b"".join(t for _, t in items[8:]))
            wait_until(
                lambda: install.stored_timestamps() == stamps(items), message="every reading, in order"
            )
            assert logger.poll() is None
            assert stop_process(logger) == 0
        finally:
            stop_process(logger)
            meter.close()
    if mounted:
        log = install.log_text("datalogger")
        assert log.count("database or disk is full; holding") == 1, log


@contextlib.contextmanager
def everything_locked(install: Install):
    """The main database's write lock (SQLite), or the tables the datalogger and the processor write
    (PostgreSQL), held by another connection as a long transaction or a backup elsewhere would."""
    if not install.database_url:
        with database_locked(install):
            yield
        return
    import psycopg

    with psycopg.connect(install.database_url) as conn:
        conn.execute(
            "LOCK TABLE readings_dsmrreading, readings_meterstatistics, processing_pendingminute,"
            " processing_processingstate IN ACCESS EXCLUSIVE MODE"
        )
        yield
        conn.rollback()


def part_pid(install: Install, part: str) -> int:
    return int(re.findall(rf"(?:re)?started {part} \(pid (\d+)\)", install.log_text("run"))[-1])


def test_run_with_the_database_locked_past_its_timeout_then_a_part_killed(install):
    """`dsmrhub run` while the main database is locked for longer than a statement waits for a lock
    (DSMRHUB_DATABASE_LOCK_TIMEOUT, 1 s here): the datalogger reads on into its buffer and the processor
    keeps trying; afterwards everything is stored and processed. Then the datalogger is killed (-9):
    `run` starts it again and nothing is lost."""
    meter = TcpMeter()
    items = telegrams(16, step=timedelta(minutes=1))
    install.env["DSMRHUB_DATABASE_LOCK_TIMEOUT"] = "1"
    install.env["DSMRHUB_COMMIT_INTERVAL"] = "2"  # group commits as `run` makes them, sooner than its 20 s
    port = free_port()
    run = install.start(
        "run", "--bind", f"127.0.0.1:{port}", "--source", meter.url, "--without", "mqtt", log="run"
    )
    try:
        meter.wait_client(timeout=90)  # `run` migrates, then starts three processes: slow on a busy machine
        meter.send(b"".join(t for _, t in items[:2]))
        wait_until(
            lambda: install.stored_timestamps() == stamps(items[:2]), timeout=60, message="first readings"
        )
        wait_until(lambda: not install.query("SELECT 1 FROM processing_pendingminute"), message="processed")
        with everything_locked(install):  # until both the datalogger and the processor gave up waiting
            for _, telegram in items[2:8]:
                meter.send(telegram)
            wait_until(lambda: buffered(install) == 6, message="6 telegrams buffered while locked")
            if install.database_url:  # PostgreSQL's table lock stops its reads too; SQLite (WAL) lets
                # the processor read that nothing is due, and an idle processor writes nothing
                wait_until(
                    lambda: "processing pass failed" in install.log_text("run"),
                    message="the processor met the lock past its timeout",
                )
            wait_until(
                lambda: "database unavailable" in install.log_text("run"),
                message="the datalogger met the lock past its timeout",
            )
        meter.send(b"".join(t for _, t in items[8:12]))
        wait_until(lambda: install.stored_timestamps() == stamps(items[:12]), timeout=60, message="all 12")
        wait_until(
            lambda: (
                not install.query("SELECT 1 FROM processing_pendingminute")
                and install.query("SELECT last_error FROM processing_processingstate") == [("",)]
            ),
            timeout=30,
            message="the processor caught up",
        )
        minutes = install.query("SELECT count(*) FROM processing_electricityconsumption")[0][0]
        assert minutes >= 11

        os.kill(part_pid(install, "datalogger"), signal.SIGKILL)
        meter.drop_client()
        meter.wait_client(timeout=90)
        meter.send(b"".join(t for _, t in items[12:]))
        wait_until(lambda: install.stored_timestamps() == stamps(items), timeout=60, message="all 16")
        assert "restarted datalogger" in install.log_text("run")
        assert run.poll() is None
        assert stop_process(run) == 0
    finally:
        stop_process(run)
        meter.close()
    log = install.log_text("run")
    assert "processor exited" not in log and "web exited" not in log, log
    # once per change, not once per pass; on SQLite an idle processor never met the lock
    assert log.count("processing pass failed") == (1 if install.database_url else 0), log
