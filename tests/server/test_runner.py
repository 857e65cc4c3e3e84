"""The supervisor's periodic action (`dsmrhub run` syncs the database's log with it) and the run command's
check of DSMRHUB_COMMIT_INTERVAL."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import pytest

from dsmrhub.datalogger.services import commit_interval_from_environment
from dsmrhub.server.runner import Periodic, parts_run
from tests.processes import free_port, stop_process, wait_for_http, wait_until


def test_the_periodic_action_runs_while_the_parts_run_and_a_failure_is_logged_once(caplog):
    stop = threading.Event()
    calls: list[int] = []

    def sync() -> None:
        calls.append(1)
        if len(calls) == 4:
            stop.set()
        raise OSError(5, "Input/output error")

    with caplog.at_level(logging.ERROR, logger="dsmrhub.server.runner"):
        parts_run([], stop=stop, periodic=Periodic(0.01, sync))
    assert len(calls) == 4
    failures = [record.getMessage() for record in caplog.records if "sync failed" in record.getMessage()]
    assert failures == ["sync failed: [Errno 5] Input/output error"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("", 0.0), ("10", 10.0), (" 2.5 ", 2.5), ("0", 0.0), ("60", 60.0)]
)
def test_commit_interval_from_the_environment(text, seconds):
    assert commit_interval_from_environment({"DSMRHUB_COMMIT_INTERVAL": text}) == seconds


@pytest.mark.parametrize("text", ["ten", "-1", "61", "nan"])
def test_a_bad_commit_interval_is_refused_with_its_reason(text):
    with pytest.raises(ValueError, match="DSMRHUB_COMMIT_INTERVAL must be"):
        commit_interval_from_environment({"DSMRHUB_COMMIT_INTERVAL": text})


def test_run_refuses_a_bad_commit_interval_with_one_line(install):
    install.env["DSMRHUB_COMMIT_INTERVAL"] = "soon"
    done = install.run("run", "--bind", f"127.0.0.1:{free_port()}", check=False, timeout=120)
    assert done.returncode == 2
    assert "DSMRHUB_COMMIT_INTERVAL must be a number of seconds, not 'soon'" in done.stderr


@pytest.mark.xdist_group("processes")
@pytest.mark.parametrize("spawn", ["fork", "exec"])
def test_run_forks_its_parts_named_or_execs_them(install, spawn):
    """Forked (the default on Linux), a part shares the supervisor's imports and is named in ps; with
    DSMRHUB_RUN_SPAWN=exec each part is a new interpreter. Either way it starts, and stops cleanly."""
    install.env["DSMRHUB_RUN_SPAWN"] = spawn
    port = free_port()
    args = ("run", "--bind", f"127.0.0.1:{port}", "--without", "datalogger", "--without", "mqtt")
    runner = install.start(*args, "--without", "prices", log="run")
    try:
        found: list[str] = []

        def started() -> bool:
            found[:] = re.findall(r"started processor \(pid (\d+)\)", install.log_text("run"))
            return bool(found)

        wait_until(started, timeout=60, message="the processor started")
        comm = Path(f"/proc/{found[0]}/comm").read_text().strip()
        assert (comm == "processor") == (spawn == "fork"), comm
        wait_until(lambda: "processor running" in install.log_text("run"), timeout=60, message="running")
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=60)  # (stopped while starting, granian's
        # worker can outlive its server: a race of its own, not of the supervisor)
        assert stop_process(runner, timeout=30) == 0
    finally:
        stop_process(runner)
    assert "processor exited" not in install.log_text("run")
