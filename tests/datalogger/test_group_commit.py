"""Group commit (DSMRHUB_COMMIT_INTERVAL, what `dsmrhub run` uses): what "acknowledged" means and what a
`kill -9` or a power cut may cost — real processes, a real meter socket, exact counts.

A telegram is acknowledged when its group's transaction committed and the database's log was synced
(the datalogger logs "group commit: N items stored and synced"). The rule: every acknowledged telegram
survives `kill -9` of the datalogger (and a power cut: it is on disk); a telegram read at moment t is
acknowledged by t + the interval + the commit's own time, so a power cut loses at most that window.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from tests.datalogger.meters import TcpMeter
from tests.datalogger.streams import telegrams
from tests.datalogger.test_resilience import buffered, database_locked
from tests.processes import Install, stop_process, wait_until

pytestmark = pytest.mark.xdist_group("processes")

INTERVAL = 2.0  # seconds between group commits here (`dsmrhub run`: 20)
COMMIT_TIME = 3.0  # the commit and the sync themselves, on a busy test machine


def groups(install: Install) -> list[int]:
    """The sizes of the acknowledged groups, in order, from the datalogger's log."""
    pattern = r"group commit: (\d+) items stored and synced"
    return [int(found) for found in re.findall(pattern, install.log_text("datalogger"))]


def start(install: Install, meter: TcpMeter):
    install.env.update(DSMRHUB_COMMIT_INTERVAL=f"{INTERVAL:g}", DSMRHUB_LOG_LEVEL="DEBUG")
    args = ("datalogger", "--source", meter.url, "--retry-max", "0.3")
    return install.start(*args, log="datalogger")


def test_a_telegram_is_acknowledged_within_the_interval_and_survives_kill_9(install):
    meter = TcpMeter()
    items = telegrams(8)
    logger = start(install, meter)
    try:
        meter.wait_client(timeout=60)
        meter.send(items[0][1])
        wait_until(lambda: groups(install), message="the first group acknowledged")

        # Sent right after an acknowledgement: grouped, acknowledged within the interval (+ commit time).
        sent = time.monotonic()
        meter.send(b"".join(t for _, t in items[1:4]))
        wait_until(lambda: sum(groups(install)) == 4, timeout=INTERVAL + COMMIT_TIME + 20, message="acked")
        assert time.monotonic() - sent <= INTERVAL + COMMIT_TIME + 2.0  # (the poll and a loaded machine)
        assert install.stored_timestamps() == [stamp for stamp, _ in items[:4]]

        logger.send_signal(signal.SIGKILL)  # every acknowledged telegram is stored
        logger.wait(timeout=10)
        assert install.stored_timestamps() == [stamp for stamp, _ in items[:4]]
        meter.drop_client()
        logger = start(install, meter)
        meter.wait_client(timeout=60)
        meter.send(b"".join(t for _, t in items[4:]))
        wait_until(
            lambda: install.stored_timestamps() == [stamp for stamp, _ in items],
            timeout=INTERVAL + COMMIT_TIME + 20,
            message="every telegram once after the restart",
        )
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()
    rows = install.query("SELECT count(*), count(DISTINCT timestamp) FROM readings_dsmrreading")
    assert rows[0][0] == rows[0][1] == len(items)


def test_unacknowledged_telegrams_are_what_kill_9_may_cost_and_no_more(install):
    """Killed between a read and its group commit, the datalogger loses at most the telegrams read since
    the last acknowledgement: never one from before, never a duplicate."""
    meter = TcpMeter()
    items = telegrams(6)
    logger = start(install, meter)
    try:
        meter.wait_client(timeout=60)
        meter.send(b"".join(t for _, t in items[:2]))
        wait_until(lambda: sum(groups(install)) == 2, timeout=30, message="two acknowledged")
        acknowledged = install.stored_timestamps()
        meter.send(b"".join(t for _, t in items[2:5]))
        logger.send_signal(signal.SIGKILL)
        logger.wait(timeout=10)
        stored = install.stored_timestamps()
        assert stored[: len(acknowledged)] == acknowledged
        assert set(stored) <= {stamp for stamp, _ in items[:5]}
    finally:
        stop_process(logger)
        meter.close()


def test_a_group_the_database_refuses_goes_to_the_buffer_and_survives_kill_9(install):
    """Acknowledged means stored or, while the database refuses (locked past its timeout), in the buffer
    synced to disk; after `kill -9` and a restart every telegram is stored once, in order."""
    install.env["DSMRHUB_DATABASE_LOCK_TIMEOUT"] = "1"
    meter = TcpMeter()
    items = telegrams(7)
    logger = start(install, meter)
    try:
        meter.wait_client(timeout=60)
        meter.send(items[0][1])
        wait_until(lambda: install.stored_timestamps() == [items[0][0]], timeout=30, message="first")
        with database_locked(install):
            meter.send(b"".join(t for _, t in items[1:6]))
            wait_until(lambda: buffered(install) == 5, timeout=30, message="the group in the buffer")
            logger.send_signal(signal.SIGKILL)
            logger.wait(timeout=10)
        meter.drop_client()
        logger = start(install, meter)
        meter.wait_client(timeout=60)
        meter.send(items[6][1])
        wait_until(
            lambda: install.stored_timestamps() == [stamp for stamp, _ in items],
            timeout=INTERVAL + COMMIT_TIME + 30,
            message="the buffer stored after the restart",
        )
        wait_until(lambda: buffered(install) == 0, message="the buffer emptied")
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.close()
