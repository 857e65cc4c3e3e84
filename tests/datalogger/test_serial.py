"""The serial source through a real pseudo-terminal pair, as a real `dsmrhub datalogger` process."""

from __future__ import annotations

import os
import random
import threading

import pytest

from tests.datalogger.meters import PtyMeter
from tests.datalogger.streams import garbled_stream, telegrams
from tests.processes import stop_process, wait_until

pytestmark = pytest.mark.xdist_group("processes")


def connected(install) -> bool:
    rows = install.query("SELECT connected FROM datalogger_dataloggerstate")
    return bool(rows and rows[0][0])


def last_error_at(install) -> object:
    """When the datalogger last failed to read or open its source."""
    return install.query("SELECT last_error_at FROM datalogger_dataloggerstate")[0][0]


def test_serial_chunked_garbled_then_unplugged_and_back(install, tmp_path):
    meter = PtyMeter(tmp_path / "ttyP1", baud=115200)
    logger = install.start(
        "datalogger",
        "--source",
        f"serial://{meter.link}?preset=dsmr4",
        "--retry-max",
        "0.3",
        log="datalogger",
    )
    try:
        wait_until(lambda: connected(install), message="serial port opened")
        stream, expected, rejections = garbled_stream(telegrams(10))
        rng = random.Random(5)
        position = 0
        while position < len(stream):  # reads split anywhere
            size = rng.randint(1, 700)
            meter.send(stream[position : position + size], pause=0.002)
            position += size
        wait_until(lambda: install.stored_timestamps() == expected, message="first 8 readings")

        meter.unplug()  # the USB cable is pulled: the device node disappears
        wait_until(lambda: not connected(install), message="port loss noticed")
        for attempt in range(2):  # a few failed reopen attempts
            failed_at = last_error_at(install)
            wait_until(lambda at=failed_at: last_error_at(install) != at, message=f"reopen attempt {attempt}")
        meter.plug()
        wait_until(lambda: connected(install), message="port reopened")
        later = telegrams(4, first=10)
        first = later[0][1]
        meter.send(first[:300], pause=0.6)  # a telegram interrupted for a moment mid-way
        meter.send(first[300:] + b"".join(t for _, t in later[1:]), chunk=64)
        expected += [stamp for stamp, _ in later]
        wait_until(lambda: install.stored_timestamps() == expected, message="readings after replug")
        assert install.rejected() == rejections
        assert stop_process(logger) == 0
    finally:
        stop_process(logger)
        meter.unplug()
    log = install.log_text("datalogger")
    assert "Traceback" not in log
    assert log.count("read failed") == 1, log  # the loss is logged once, not once per retry


def test_serial_auto_finds_the_speed_and_framing_that_yield_telegrams(install, tmp_path):
    """A meter readable only at 9600 baud (DSMR 2.2/3.0): at other speeds the reader sees noise."""
    meter = PtyMeter(tmp_path / "ttyP2", baud=115200)
    stop = threading.Event()
    stamp, telegram = telegrams(1)[0]

    def speak() -> None:  # the meter: a telegram every 0.3 s, readable only at the right line settings
        noise = bytes(random.Random(1).randrange(0x80, 0x100) for _ in range(200))
        while not stop.is_set():
            try:
                right = meter.line_speed() == 9600
                meter.send(telegram if right else noise)
            except OSError:
                pass
            stop.wait(0.3)

    threading.Thread(target=speak, daemon=True).start()
    logger = install.start(
        "datalogger", "--source", f"serial://{meter.link}?probe=1", "--retry-max", "0.3", log="datalogger"
    )
    try:
        wait_until(lambda: install.stored_timestamps() == [stamp], message="DSMR 2.2 reading stored")
        state = install.query("SELECT source FROM datalogger_dataloggerstate")[0][0]
        assert state.endswith("(dsmr22)")
    finally:
        stop.set()
        assert stop_process(logger) == 0
        meter.unplug()
    assert os.path.exists(install.data_dir / "datalogger-buffer.sqlite3")
