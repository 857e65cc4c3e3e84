"""The `dsmrhub` command as a user runs it: real processes, a real server, a real database file."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import demo_telegrams
from tests.processes import DSMRHUB, dsmrhub, free_port, wait_for_http

pytestmark = pytest.mark.xdist_group("cli")


def test_migrate_creates_the_database_and_a_secret_key(cli_env):
    dsmrhub(cli_env, "migrate")
    data = Path(cli_env["DSMRHUB_DATA_DIR"])
    assert (data / "secret_key").stat().st_size >= 40
    sqlite_file = data / "dsmrhub.sqlite3"
    if "DSMRHUB_DATABASE_URL" in cli_env:  # PostgreSQL run: no SQLite file appears
        assert not sqlite_file.exists()
        return
    with sqlite3.connect(sqlite_file) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_api_commands(cli_env):
    dsmrhub(cli_env, "migrate")
    shown = dsmrhub(cli_env, "api", "show").stdout
    assert "API: disabled" in shown
    key = shown.split("key: ")[1].strip()
    assert len(key) == 64
    enabled = dsmrhub(cli_env, "api", "enable", "--key", "my-own-key-1234567890").stdout
    assert "API: enabled" in enabled and "key: my-own-key-1234567890" in enabled
    rotated = dsmrhub(cli_env, "api", "rotate-key").stdout
    new_key = rotated.split("key: ")[1].strip()
    assert len(new_key) == 64 and new_key != "my-own-key-1234567890"
    assert "API: disabled" in dsmrhub(cli_env, "api", "disable").stdout
    refused = dsmrhub(cli_env, "api", "enable", "--key", "short", check=False)
    assert refused.returncode != 0 and "at least 16 characters" in refused.stderr


def test_serve_answers_v1_and_v2_over_http(cli_env):
    dsmrhub(cli_env, "migrate")
    dsmrhub(cli_env, "api", "enable", "--key", "served-key-0123456789")
    port = free_port()
    server = subprocess.Popen([*DSMRHUB, "serve", "--bind", f"127.0.0.1:{port}"], env=cli_env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/")
        headers = {"Authorization": "Token served-key-0123456789"}
        moment, telegram = demo_telegrams(1)[0]
        response = requests.post(
            f"{base}/api/v1/datalogger/dsmrreading", data={"telegram": telegram}, headers=headers
        )
        assert response.status_code == 201, response.text
        body = requests.get(f"{base}/api/v2/datalogger/dsmrreading", headers=headers).json()
        assert body["count"] == 1
        assert body["results"][0]["timestamp"] == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert requests.get(f"{base}/admin/login/").status_code == 200
        assert requests.get(f"{base}/static/admin/css/base.css").status_code == 200
        assert server.poll() is None
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0


def test_run_serves_and_stores_demo_readings_then_stops_on_sigterm(cli_env):
    port = free_port()
    runner = subprocess.Popen(
        [*DSMRHUB, "run", "--bind", f"127.0.0.1:{port}", "--demo-backfill-hours", "0.5"], env=cli_env
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=60)
        dsmrhub(cli_env, "api", "enable", "--key", "run-key-0123456789abc")
        headers = {"Authorization": "Token run-key-0123456789abc"}
        url = f"http://127.0.0.1:{port}/api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1"
        first = requests.get(url, headers=headers).json()
        assert first["count"] >= 30  # half an hour of backfilled minutes
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            later = requests.get(url, headers=headers).json()
            if later["results"][0]["timestamp"] > first["results"][0]["timestamp"]:
                break
            time.sleep(0.5)
        assert later["results"][0]["timestamp"] > first["results"][0]["timestamp"], "no live demo readings"
    finally:
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=30) == 0


@pytest.mark.parametrize(
    "variable, value, says",
    [
        ("DSMRHUB_DATABASE_URL", "bogus://x", "Scheme 'bogus://' is unknown"),
        ("DSMRHUB_TIME_ZONE", "Mars/Base", "Incorrect timezone setting: Mars/Base"),
        ("DSMRHUB_LOG_LEVEL", "LOUD", "Unknown level: 'LOUD'"),
    ],
)
def test_a_bad_configuration_is_one_clear_line_not_a_traceback(cli_env, variable, value, says):
    result = dsmrhub({**cli_env, variable: value}, "migrate", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("dsmrhub: configuration error: ") and says in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
