"""`dsmrhub import-dsmrreader` as a real process: summary and progress, one-line errors with exit code 1,
and a `kill -9` in the middle after which a re-run ends exactly where one clean run ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from dsmrhub.prices.services import PRICE_FIELDS
from tests.processes import DSMRHUB, wait_until
from tests.switching.conftest import source_query, source_url, truths

EXTRA = 150_000  # generated readings after the fixture's, so the import runs long enough to be killed


def _error_lines(stderr: str) -> list[str]:
    """stderr without log lines (those start with a date)."""
    return [line for line in stderr.splitlines() if line and not line[:4].isdigit()]


def test_the_command_imports_shows_progress_and_summary_and_processing_follows(make_source, install):
    name = make_source("full")
    done = install.run("import-dsmrreader", source_url(name), timeout=300)
    assert "readings: 18,048 stored, 0 already present, 0 rejected" in done.stdout
    assert "contracts: 1 created" in done.stdout
    assert "day statistics: 1 imported (readings gone)" in done.stdout
    assert "not imported: dsmr_stats_note (1 rows): day notes: dsmrhub has no notes" in done.stdout
    assert "readings 18,048/18,048 (100%" in done.stderr  # not a terminal: progress as lines
    assert install.query("SELECT count(*) FROM readings_dsmrreading")[0][0] == 18048

    install.run("process", timeout=300)  # the processor alone: the triggers marked every imported minute
    rows = dict(install.query("SELECT day, electricity1 FROM processing_daystatistics"))
    rows = {str(day): value for day, value in rows.items()}
    for day in ("2026-10-25", "2026-10-26"):
        true = truths()["stream"]["per_local_day"][day]["delta_first_to_next_day_first"]
        assert rows[day] == int(Decimal(true["electricity_delivered_1"]) * 1000)  # stored in Wh

    again = install.run("import-dsmrreader", source_url(name), timeout=300)
    assert "contracts: 0 created, 1 already present" in again.stdout
    assert install.query("SELECT count(*) FROM readings_dsmrreading")[0][0] == 18048


def _unknown_migration(make_source) -> str:
    name = make_source("empty")
    source_query(
        name, "INSERT INTO django_migrations (app, name, applied) VALUES ('dsmr_stats', '0021_new', now())"
    )
    return source_url(name)


def _blank(make_source) -> str:
    return source_url(make_source("blank"))


@pytest.mark.parametrize(
    ("make_url", "reason"),
    [
        (_unknown_migration, "unknown DSMR-reader schema version: migration dsmr_stats.0021_new is newer"),
        (_blank, "is not a DSMR-reader database"),
        (lambda make_source: "postgresql://postgres@127.0.0.1:1/x", "cannot connect to postgresql://"),
        (lambda make_source: "not a url", "is not a PostgreSQL URL"),
    ],
)
def test_a_source_it_cannot_import_is_one_line_and_exit_1(make_source, install, make_url, reason):
    done = install.run("import-dsmrreader", make_url(make_source), check=False, timeout=120)
    assert done.returncode == 1
    lines = _error_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("dsmrhub import-dsmrreader: ") and reason in lines[0]
    assert "Traceback" not in done.stderr
    assert install.query("SELECT count(*) FROM readings_dsmrreading")[0][0] == 0
    assert install.query("SELECT count(*) FROM prices_energycontract")[0][0] == 0


def _importing(name: str) -> list[int]:
    """Processes still importing from the source database ``name``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"import-dsmrreader" in command and any(name.encode() in part for part in command):
            found.append(int(proc.name))
    return found


def _dump(install) -> dict[str, list]:
    tables = {
        "readings_dsmrreading": "timestamp",
        "readings_mbusreading": "channel, timestamp",
        "prices_energycontract": "start",
        "processing_daystatistics": "day",
        "processing_hourstatistics": "hour_start",
        "switching_temperaturereading": "read_at",
        "readings_meterstatistics": "id",
        "processing_pendingminute": "minute",
    }
    dump = {}
    for table, order in tables.items():
        columns = "*"
        # the contract's updated_at and the row ids are when and in which order rows were written
        if table == "prices_energycontract":
            columns = 'description, start, "end", ' + ", ".join(PRICE_FIELDS)
        if table == "readings_mbusreading":
            columns = "channel, device_type, equipment_identifier, timestamp, value, unit, reading_id"
        dump[table] = install.query(f"SELECT {columns} FROM {table} ORDER BY {order}")
    return dump


def test_kill_9_in_the_middle_and_a_rerun_equals_one_clean_run(make_source, make_install):
    name = make_source("full")
    source_query(
        name,
        "INSERT INTO dsmr_datalogger_dsmrreading (timestamp, electricity_delivered_1, "
        "electricity_returned_1, electricity_delivered_2, electricity_returned_2, "
        "electricity_currently_delivered, electricity_currently_returned, extra_device_timestamp, "
        "extra_device_delivered, processed) "
        "SELECT timestamptz '2026-10-27 01:00:00+00' + n * interval '10 seconds', 3636 + n * 0.001, "
        "232.184, 4303.106, 1345.459, 0.4, 0, "
        "timestamptz '2026-10-27 01:00:00+00' + (n / 30 * 30) * interval '10 seconds', "
        "5769 + (n / 30) * 0.004, true FROM generate_series(0, %s - 1) AS n",
        (EXTRA,),
    )
    total = 18048 + EXTRA
    killed = make_install()
    process = killed.start("import-dsmrreader", source_url(name))
    wait_until(
        lambda: killed.query("SELECT count(*) FROM switching_importcheckpoint")[0][0] > 0,
        timeout=120,
        message="a first batch committed",
    )
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    # Its reading process notices and ends too (a closed pipe), rather than waiting forever.
    wait_until(lambda: not _importing(name), timeout=60, message="the reading process ended")
    partial = killed.query("SELECT count(*) FROM readings_dsmrreading")[0][0]
    assert 0 < partial < total
    rerun = killed.run("import-dsmrreader", source_url(name), timeout=600)
    assert "Traceback" not in rerun.stderr
    assert killed.query("SELECT count(*) FROM readings_dsmrreading")[0][0] == total

    clean = make_install()
    clean.run("import-dsmrreader", source_url(name), timeout=600)
    assert _dump(killed) == _dump(clean)


def test_on_a_terminal_progress_is_a_bar(make_source, install):
    name = make_source("full")
    leader, follower = os.openpty()
    try:
        done = subprocess.run(
            [*DSMRHUB, "import-dsmrreader", source_url(name)],
            env=install.env,
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=300,
        )
        os.close(follower)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once everything written has been read
            while chunk := os.read(leader, 65536):
                shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    text = shown.decode()
    assert "\r[########################] 100%  18,048/18,048 readings" in text
    assert "readings: 18,048 stored" in done.stdout
