"""No fake data in production: without a source the datalogger reads nothing, says how to set one (log and
status page) and starts as soon as one is set; the demo meter runs only when asked for."""

from __future__ import annotations

import requests

from dsmrhub.datalogger.services import NO_SOURCE
from tests.processes import free_port, stop_process, wait_for_http, wait_until


def test_run_without_a_source_serves_and_says_how_to_set_one(install):
    port = free_port()
    env_source = {k: v for k, v in install.env.items() if k != "DSMRHUB_SOURCE"}
    install.env = env_source
    runner = install.start(
        "run", "--bind", f"127.0.0.1:{port}", "--without", "processor", "--without", "mqtt",
        "--without", "prices", log="run",
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=60)
        wait_until(lambda: NO_SOURCE in install.log_text("run"), timeout=30, message="the log says how")
        assert install.log_text("run").count(NO_SOURCE) == 1  # once, not every poll
        wait_until(
            lambda: "No meter source is configured" in requests.get(f"http://127.0.0.1:{port}/status/").text,
            timeout=30,
            message="the status page says how",
        )
        page = requests.get(f"http://127.0.0.1:{port}/status/").text
        assert "dsmrhub datalogger-settings --source serial:///dev/ttyUSB0" in page
        assert "DSMRHUB_SOURCE" in page
        assert install.stored_timestamps() == []  # no demo readings

        # A source set while running is picked up; here the demo meter, asked for by name.
        install.run("datalogger-settings", "--source", "demo?interval=1")
        wait_until(lambda: len(install.stored_timestamps()) >= 2, timeout=30, message="readings once set")
    finally:
        assert stop_process(runner, timeout=30) == 0


def test_datalogger_takes_its_source_from_dsmrhub_source(install):
    install.env = {**install.env, "DSMRHUB_SOURCE": "demo?interval=1"}
    logger = install.start("datalogger", log="datalogger")
    try:
        wait_until(lambda: len(install.stored_timestamps()) >= 2, timeout=30, message="demo readings")
    finally:
        assert stop_process(logger) == 0
    assert NO_SOURCE not in install.log_text("datalogger")


def test_a_bad_source_is_one_line_and_a_usage_error(install):
    for args, env, says in (
        (("datalogger", "--source", "bogus://x"), {}, "unknown source 'bogus://x'"),
        (("datalogger",), {"DSMRHUB_SOURCE": "bogus://x"}, "DSMRHUB_SOURCE: unknown source 'bogus://x'"),
        (("run", "--source", "socket://nohost"), {}, "--source: socket source wants socket://HOST:PORT"),
        (("run",), {"DSMRHUB_SOURCE": "bogus://x"}, "DSMRHUB_SOURCE: unknown source"),
    ):
        install.env = {**install.env, **env}
        result = install.run(*args, check=False, timeout=60)
        install.env.pop("DSMRHUB_SOURCE", None)
        assert result.returncode == 2, (args, result.stderr)
        errors = [line for line in result.stderr.splitlines() if "dsmrhub.datadir" not in line]
        assert len(errors) == 1 and says in errors[0], result.stderr  # (the data dir's own warning aside)
        assert "Traceback" not in result.stderr
