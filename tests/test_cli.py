"""The `dsmrhub` command as a user runs it: real processes, a real server, a real database file."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
import requests

from tests.helpers import demo_telegrams
from tests.processes import DSMRHUB, ON_POSTGRES, dsmrhub, free_port, wait_for_http, wait_until

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
    enabled = dsmrhub(cli_env, "api", "enable", "--api-key", "my-own-key-1234567890").stdout
    assert "API: enabled" in enabled and "key: my-own-key-1234567890" in enabled
    rotated = dsmrhub(cli_env, "api", "rotate-key").stdout
    new_key = rotated.split("key: ")[1].strip()
    assert len(new_key) == 64 and new_key != "my-own-key-1234567890"
    assert "API: disabled" in dsmrhub(cli_env, "api", "disable").stdout
    refused = dsmrhub(cli_env, "api", "enable", "--api-key", "short", check=False)
    assert refused.returncode != 0 and "at least 16 characters" in refused.stderr


def test_serve_answers_v1_and_v2_over_http(cli_env):
    dsmrhub(cli_env, "migrate")
    dsmrhub(cli_env, "api", "enable", "--api-key", "served-key-0123456789")
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
        [*DSMRHUB, "run", "--bind", f"127.0.0.1:{port}", "--source", "demo", "--demo-backfill-hours", "0.5"],
        env=cli_env,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=60)
        dsmrhub(cli_env, "api", "enable", "--api-key", "run-key-0123456789abc")
        headers = {"Authorization": "Token run-key-0123456789abc"}
        url = f"http://127.0.0.1:{port}/api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1"
        first = requests.get(url, headers=headers).json()
        assert first["count"] >= 30  # half an hour of backfilled minutes

        def latest() -> str:
            return requests.get(url, headers=headers).json()["results"][0]["timestamp"]

        wait_until(lambda: latest() > first["results"][0]["timestamp"], message="live demo readings")
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


SRC = Path(__file__).resolve().parents[1] / "src" / "dsmrhub"
OWN_COMMANDS = sorted(path.stem for path in SRC.glob("*/management/commands/[!_]*.py"))


def _database_created(env: dict[str, str]) -> bool:
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(env["DSMRHUB_DATABASE_URL"]) as conn:
            return conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0] is not None
    return (Path(env["DSMRHUB_DATA_DIR"]) / "dsmrhub.sqlite3").exists()


def test_help_lists_dsmrhubs_own_commands_grouped_with_one_line_each(cli_env):
    shown = dsmrhub(cli_env).stdout
    assert dsmrhub(cli_env, "--help").stdout == shown == dsmrhub(cli_env, "help").stdout
    assert [line for line in shown.splitlines() if line.endswith(":")][:4] == [
        "Run:", "Data:", "Settings:", "Admin:"
    ]  # fmt: skip
    listed = re.findall(r"^  ([a-z-]+)  +(\S.*)$", shown, re.M)
    assert {name for name, _ in listed} == {
        *OWN_COMMANDS,
        "createsuperuser",
        "changepassword",
        "migrate",
        "shell",
    }
    summaries = dict(listed)
    assert summaries["import"].startswith("Import raw telegram captures")
    assert summaries["datalogger"] == "Read telegrams from a source and store them."  # the first sentence
    for internal in ("startproject", "sqlflush", "flush", "testserver", "makemigrations"):
        assert not re.search(rf"^  {internal} ", shown, re.M), internal
    assert "dsmrhub django COMMAND" in shown
    assert not _database_created(cli_env)  # help needs no database


def test_djangos_own_commands_are_behind_dsmrhub_django(cli_env):
    refused = dsmrhub(cli_env, "flush", "--noinput", check=False)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == "dsmrhub: flush is one of Django's own commands: dsmrhub django flush\n"
    listing = dsmrhub(cli_env, "django", "help").stdout
    assert "Type 'dsmrhub django help <subcommand>'" in listing
    assert all(f"    {name}\n" in listing for name in ("flush", "sqlflush", "startproject", "import"))
    assert "usage: dsmrhub django flush" in dsmrhub(cli_env, "django", "flush", "--help").stdout
    assert "System check identified no issues" in dsmrhub(cli_env, "django", "check").stdout
    typo = dsmrhub(cli_env, "imprt", check=False)
    assert typo.returncode == 1
    assert (
        typo.stderr
        == "dsmrhub: unknown command 'imprt' (did you mean import?); dsmrhub help lists the commands\n"
    )
    # A command's own help is Django's, as before.
    assert dsmrhub(cli_env, "help", "import").stdout == dsmrhub(cli_env, "import", "--help").stdout
    assert dsmrhub(cli_env, "import", "--help").stdout.startswith("usage: dsmrhub import [-h]")


def _capture(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "capture.txt"
    path.write_text("".join(telegram for _, telegram in demo_telegrams(count)), newline="")
    return path


@pytest.mark.parametrize("first", ["import", "datalogger", "api", "datalogger-settings", "createsuperuser"])
def test_the_first_command_on_a_fresh_data_dir_sets_the_database_up(cli_env, tmp_path, first):
    capture = _capture(tmp_path, 3)
    args, says = {
        "import": (["import", "--quiet", str(capture)], "stored 3, duplicates 0, rejected 0"),
        "datalogger": (
            ["datalogger", "--source", f"replay:{capture}?speed=0"],
            "datalogger: received 3, stored 3",
        ),
        "api": (["api", "show"], "API: disabled"),
        "datalogger-settings": (["datalogger-settings", "--min-interval", "5"], "minimum interval: 5 s"),
        "createsuperuser": (
            ["createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.org"],
            "Superuser created successfully.",
        ),
    }[first]
    env = {**cli_env, "DJANGO_SUPERUSER_PASSWORD": "a-long-password-4711"}
    assert not _database_created(env)
    result = dsmrhub(env, *args, check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert says in result.stdout
    # Nothing left to migrate, and the command's effect is there.
    assert "[ ]" not in dsmrhub(env, "django", "showmigrations").stdout
    if first in ("import", "datalogger"):
        assert "stored 0, duplicates 3" in dsmrhub(env, "import", "--quiet", str(capture)).stdout


def test_parallel_first_commands_on_a_fresh_data_dir_all_succeed(cli_env):
    """Five processes find the same migrations pending (systemd units starting together); one migrates,
    the others wait for it, none fails creating a table the first one made."""
    commands = [["api", "show"], ["mqtt", "show"], ["contract", "list"], ["datalogger-settings"], ["process"]]
    processes = [
        subprocess.Popen(
            [*DSMRHUB, *args], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in commands
    ]
    results = [(process.wait(timeout=180), *process.communicate()) for process in processes]
    for args, (code, _, stderr) in zip(commands, results, strict=True):
        assert code == 0 and stderr == "", (args, stderr)
    assert "API: disabled" in results[0][1] and "processed 0 changed minutes" in results[4][1]


def test_an_unreachable_database_is_one_line_not_a_traceback(cli_env):
    env = {**cli_env, "DSMRHUB_DATABASE_URL": f"postgresql://dsmrhub@127.0.0.1:{free_port()}/dsmrhub"}
    result = dsmrhub(env, "api", "show", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("dsmrhub api: the database cannot be brought up to date: ")
    assert result.stderr.endswith("(dsmrhub migrate shows the details)\n")
    assert "Connection refused" in result.stderr or "connection failed" in result.stderr


def test_version_is_dsmrhubs_own(cli_env):
    import dsmrhub as package

    for spelling in ("--version", "version"):
        result = dsmrhub(cli_env, spelling)
        assert result.stdout == f"{package.__version__}\n"  # not Django's


@pytest.mark.parametrize(
    "args, says",
    [
        (
            ("mqtt", "enable", "--port", "abc"),
            "dsmrhub mqtt enable: error: argument --port: invalid int value",
        ),
        (("mqtt", "enable", "--port", "70000"), "port: Ensure this value is less than or equal to 65535"),
        (("datalogger", "--bogus"), "dsmrhub datalogger: error: unrecognized arguments: --bogus"),
        (("forward", "--to", "http://x"), "the following arguments are required: --source"),
        (("contract", "add", "--start", "2026-13-01"), "not a date (YYYY-MM-DD): '2026-13-01'"),
        (("contract", "add", "--description", "x", "--start", "2026-01-01", "--gas", "abc"), "not a number"),
    ],
)
def test_an_input_error_is_one_line_and_exit_2(cli_env, args, says):
    result = dsmrhub(cli_env, *args, check=False)
    errors = [line for line in result.stderr.splitlines() if " dsmrhub.d" not in line]  # data dir, migrations
    assert result.returncode == 2, result.stderr
    assert len(errors) == 1 and says in errors[0], result.stderr
    assert "Traceback" not in result.stderr and "usage:" not in result.stderr
