"""Log lines: human with a timestamp on a terminal; under the journal (stderr is JOURNAL_STREAM) a syslog
priority prefix and no second timestamp, also for the parts of `dsmrhub run`."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from dsmrhub.logformat import LogFormatter, log_format_journal, priority, stderr_is_journal
from tests.processes import DSMRHUB, free_port, stop_process, wait_for_http, wait_until

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _record(level: int, message: str, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("dsmrhub.test", level, __file__, 1, message, None, exc_info)


def test_journal_lines_carry_the_priority_and_no_timestamp():
    journal = LogFormatter(journal=True)
    assert journal.format(_record(logging.WARNING, "careful")) == "<4>WARNING dsmrhub.test: careful"
    assert journal.format(_record(logging.ERROR, "broken")).startswith("<3>ERROR ")
    assert journal.format(_record(logging.INFO, "fine")).startswith("<6>INFO ")
    assert journal.format(_record(logging.DEBUG, "detail")).startswith("<7>DEBUG ")
    assert journal.format(_record(logging.CRITICAL, "down")).startswith("<2>CRITICAL ")
    try:
        raise ValueError("inside")
    except ValueError:
        lines = journal.format(_record(logging.ERROR, "failed", sys.exc_info())).split("\n")
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines)  # a traceback, line by line
    human = LogFormatter(journal=False).format(_record(logging.WARNING, "careful"))
    assert TIMESTAMP.match(human) and human.endswith(" WARNING dsmrhub.test: careful")
    assert priority(logging.WARNING + 5) == 4  # a custom level between two: the lower one's priority


def test_the_journal_is_recognised_by_device_and_inode(tmp_path):
    with open(tmp_path / "stderr", "w") as stream, open(tmp_path / "other", "w") as other:
        found = os.fstat(stream.fileno())
        named = {"JOURNAL_STREAM": f"{found.st_dev}:{found.st_ino}"}
        assert stderr_is_journal(environ=named, stream=stream)
        assert not stderr_is_journal(environ=named, stream=other)  # e.g. a pipe to `dsmrhub run`
        assert not stderr_is_journal(environ={}, stream=stream)
        assert not stderr_is_journal(environ={"JOURNAL_STREAM": "garbage"}, stream=stream)
        assert log_format_journal(environ={"DSMRHUB_LOG_FORMAT": "journal"}, stream=other)
        assert not log_format_journal(environ={**named, "DSMRHUB_LOG_FORMAT": "human"}, stream=stream)


def _journal_env(env: dict[str, str], path: Path) -> tuple[dict[str, str], object]:
    stream = open(path, "w")  # noqa: SIM115 - the child's stderr, closed by the caller
    found = os.fstat(stream.fileno())
    return {**env, "JOURNAL_STREAM": f"{found.st_dev}:{found.st_ino}"}, stream


def test_a_command_under_the_journal_and_on_a_terminal(cli_env, tmp_path):
    data = Path(cli_env["DSMRHUB_DATA_DIR"])
    for name, journal in (("journal", True), ("terminal", False)):
        data.mkdir(parents=True, exist_ok=True)
        data.chmod(0o755)  # readable by others: dsmrhub tightens it and warns
        env, stream = _journal_env(cli_env, tmp_path / name)
        if not journal:
            env.pop("JOURNAL_STREAM")
        with stream:
            subprocess.run(
                [*DSMRHUB, "api", "show"], env=env, stderr=stream, stdout=subprocess.DEVNULL, check=True
            )
        warning = next(
            line for line in (tmp_path / name).read_text().splitlines() if "dsmrhub.datadir" in line
        )
        if journal:
            assert warning.startswith("<4>WARNING dsmrhub.datadir: data dir ")
        else:
            assert TIMESTAMP.match(warning) and " WARNING dsmrhub.datadir: data dir " in warning


def test_run_keeps_its_parts_priorities_first(cli_env, tmp_path):
    env, stream = _journal_env({**cli_env, "DSMRHUB_LOG_LEVEL": "INFO"}, tmp_path / "journal")
    port = free_port()
    with stream:
        runner = subprocess.Popen(
            [*DSMRHUB, "run", "--bind", f"127.0.0.1:{port}", "--source", "demo", "--demo-backfill-hours",
             "0.1", "--without", "processor", "--without", "mqtt", "--without", "prices"],
            env=env, stderr=stream, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_http(f"http://127.0.0.1:{port}/", timeout=60)
            wait_until(
                lambda: "demo meter: stored" in (tmp_path / "journal").read_text(),
                timeout=60,
                message="backfill",
            )
        finally:
            assert stop_process(runner, timeout=30) == 0
    lines = (tmp_path / "journal").read_text().splitlines()
    logged = [line for line in lines if re.match(r"^<\d>", line)]
    assert any(re.match(r"^<6>datalogger\s*\| INFO dsmrhub\.datalogger", line) for line in logged), lines
    assert any(line.startswith("<6>INFO dsmrhub.server.runner: started web") for line in logged), lines
    assert not [line for line in lines if TIMESTAMP.search(line.split("| ", 1)[-1])]  # no second timestamp
