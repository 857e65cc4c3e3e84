"""Helpers for tests that run `dsmrhub` as real processes, each install with its own data dir and database.

``make_install`` (fixture) returns a function creating a fresh, migrated install: a data dir under
tmp_path and, when DSMRHUB_DATABASE_URL points to PostgreSQL, a database of its own. The schema is
migrated once per test session into a template (an SQLite file or a PostgreSQL template database)
and copied, so a new install costs milliseconds instead of a `migrate` run.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

DSMRHUB = [sys.executable, "-m", "dsmrhub.cli"]
SERVER_URL = os.environ.get("DSMRHUB_DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postg")


@dataclass(eq=False)
class Install:
    env: dict[str, str]
    data_dir: Path

    @property
    def database_url(self) -> str | None:
        return self.env.get("DSMRHUB_DATABASE_URL")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run SQL against this install's database (``%s`` placeholders)."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as conn:
                return conn.execute(sql, params).fetchall()
        with sqlite3.connect(self.data_dir / "dsmrhub.sqlite3", timeout=30) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def stored_timestamps(self) -> list[int]:
        return [row[0] for row in self.query("SELECT timestamp FROM readings_dsmrreading ORDER BY timestamp")]

    def rejected(self) -> int:
        rows = self.query("SELECT rejected_telegrams FROM readings_meterstatistics")
        return rows[0][0] if rows else 0

    def run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*DSMRHUB, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def start(self, *args: str, log: str = "process") -> subprocess.Popen:
        """Start `dsmrhub ARGS`; its output goes to a log file in the data dir (shown by ``log_text``)."""
        handle = open(self.data_dir / f"{log}.log", "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen([*DSMRHUB, *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT)

    def log_text(self, log: str = "process") -> str:
        path = self.data_dir / f"{log}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _admin_url() -> str:
    return SERVER_URL.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    """A migrated schema to copy: an SQLite file, or a PostgreSQL template database."""
    base = {**os.environ, "DSMRHUB_LOG_LEVEL": "WARNING"}
    if not ON_POSTGRES:
        data = tmp_path_factory.mktemp("template")
        base.pop("DSMRHUB_DATABASE_URL", None)
        env = {**base, "DSMRHUB_DATA_DIR": str(data)}
        subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=120)
        with sqlite3.connect(data / "dsmrhub.sqlite3") as conn:  # fold the WAL into the file before copying
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield data / "dsmrhub.sqlite3"
        return
    import psycopg

    name = f"dsmrhub_tpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    env = {**base, "DSMRHUB_DATA_DIR": str(tmp_path_factory.mktemp("template")), "DSMRHUB_DATABASE_URL": url}
    subprocess.run([*DSMRHUB, "migrate", "-v0"], env=env, check=True, timeout=120)
    yield name
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def make_install(tmp_path, _template) -> Callable[[], Install]:
    created: list[str] = []

    def make() -> Install:
        data = tmp_path / f"install{len(created) + 1}"
        data.mkdir()
        env = {**os.environ, "DSMRHUB_DATA_DIR": str(data), "DSMRHUB_LOG_LEVEL": "INFO"}
        if not ON_POSTGRES:
            env.pop("DSMRHUB_DATABASE_URL", None)
            shutil.copy(_template, data / "dsmrhub.sqlite3")
            created.append(str(data))
            return Install(env, data)
        import psycopg

        name = f"dsmrhub_dl_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_template}"')
        created.append(name)
        env["DSMRHUB_DATABASE_URL"] = SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
        return Install(env, data)

    yield make
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(_admin_url(), autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def install(make_install) -> Install:
    return make_install()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float = 20, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{message} not reached within {timeout} s")


def wait_for_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def stop_process(process: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM and wait; the exit code."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def dsmrhub(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `dsmrhub ARGS` to its end with ``env``; its output as text."""
    result = subprocess.run([*DSMRHUB, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result
