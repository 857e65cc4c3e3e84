"""A request that gives up waiting for another connection's lock answers 503 with Retry-After, on API v1
(plain text), API v2 (JSON) and the pages, never a 500 with a traceback. The wait is
DSMRHUB_DATABASE_LOCK_TIMEOUT seconds: SQLite's wait for the write lock, PostgreSQL's lock_timeout."""

from __future__ import annotations

import contextlib
import sqlite3
from urllib.parse import urlencode

import pytest
import requests
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from dsmrhub.db.busy import RETRY_AFTER_SECONDS, db_error_is_busy
from tests.helpers import demo_telegrams
from tests.processes import (  # noqa: F401 - fixtures
    ON_POSTGRES,
    _template,
    dsmrhub,
    free_port,
    install,
    make_install,
    stop_process,
    wait_for_http,
)

KEY = "busy-key-0123456789abcdef"
V1 = "/api/v1/datalogger/dsmrreading"
V2 = "/api/v2/datalogger/dsmrreading"
V2_READING = {
    "timestamp": "2026-03-01T00:00:00Z",
    "electricity_currently_delivered": 1.5,
    "electricity_currently_returned": 0,
    "electricity_delivered_1": 2000,
    "electricity_delivered_2": 3000,
    "electricity_returned_1": 0,
    "electricity_returned_2": 0,
}
# What the three requests below write to, on PostgreSQL (SQLite has one write lock for the file).
LOCKED_TABLES = "readings_dsmrreading, readings_meterstatistics, web_loginfailure"


@contextlib.contextmanager
def _another_connection_holds_the_write_lock(target):
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(target.database_url) as other:
            other.execute(f"LOCK TABLE {LOCKED_TABLES} IN EXCLUSIVE MODE")  # reads may go on
            yield
            other.rollback()
        return
    other = sqlite3.connect(target.data_dir / "dsmrhub.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.xdist_group("processes")
def test_a_held_lock_is_503_with_retry_after_everywhere_and_the_retry_is_stored(install):  # noqa: F811
    install.env["DSMRHUB_DATABASE_LOCK_TIMEOUT"] = "0.5"
    install.run("api", "enable", "--api-key", KEY)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = install.start("serve", "--bind", f"127.0.0.1:{port}", log="serve")
    headers = {"Authorization": f"Token {KEY}", "Content-Type": "application/x-www-form-urlencoded"}
    (_, first), (moment, second) = demo_telegrams(2)
    try:
        wait_for_http(base + "/")
        browser = requests.Session()
        csrf = browser.get(base + "/accounts/login/").cookies["csrftoken"]
        with _another_connection_holds_the_write_lock(install):
            v1 = requests.post(base + V1, urlencode({"telegram": first}), headers=headers, timeout=30)
            v2 = requests.post(
                base + V2,
                json=V2_READING,
                headers={"Authorization": f"Token {KEY}"},
                timeout=30,
            )
            login = browser.post(
                base + "/accounts/login/",
                {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": csrf},
                headers={"Referer": base + "/accounts/login/"},
                timeout=30,
            )
        assert (v1.status_code, v1.headers["Retry-After"]) == (503, str(RETRY_AFTER_SECONDS))
        assert v1.headers["Content-Type"].startswith("text/plain")
        assert v1.text.startswith("database busy: another writer holds the lock; retry in")
        assert (v2.status_code, v2.headers["Retry-After"]) == (503, str(RETRY_AFTER_SECONDS))
        assert v2.json()["detail"].startswith("database busy")
        assert (login.status_code, login.headers["Retry-After"]) == (503, str(RETRY_AFTER_SECONDS))
        assert "The database is busy" in login.text and "Content-Security-Policy" in login.headers
        retried = requests.post(base + V1, urlencode({"telegram": first}), headers=headers, timeout=30)
        assert retried.status_code == 201
        assert requests.post(base + V1, urlencode({"telegram": second}), headers=headers).status_code == 201
    finally:
        stop_process(server)
    assert len(install.stored_timestamps()) == 2
    log = install.log_text("serve")
    assert log.count("database busy") == 3 and "answered 503" in log
    assert "Traceback" not in log and "Internal Server Error" not in log


def test_the_lock_timeout_is_configurable_for_both_databases(cli_env):
    dsmrhub(cli_env, "migrate", "-v0")
    show = (
        "from django.db import connection; cursor = connection.cursor(); "
        + ("cursor.execute('SHOW lock_timeout')" if ON_POSTGRES else "cursor.execute('PRAGMA busy_timeout')")
        + "; print(cursor.fetchone()[0])"
    )
    default = dsmrhub(cli_env, "shell", "--no-imports", "-c", show).stdout.strip()
    short = dsmrhub(
        {**cli_env, "DSMRHUB_DATABASE_LOCK_TIMEOUT": "0.5"}, "shell", "--no-imports", "-c", show
    ).stdout.strip()
    assert (default, short) == (("30s", "500ms") if ON_POSTGRES else ("30000", "500"))


@pytest.mark.parametrize("value", ["soon", "0", "-1", "7200"])
def test_a_bad_lock_timeout_is_a_configuration_error(cli_env, value):
    result = dsmrhub({**cli_env, "DSMRHUB_DATABASE_LOCK_TIMEOUT": value}, "migrate", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("dsmrhub: configuration error: DSMRHUB_DATABASE_LOCK_TIMEOUT must be")
    assert "Traceback" not in result.stderr


def test_only_lock_waits_count_as_busy(tmp_path, django_db_blocker):
    path = tmp_path / "busy.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE t (n integer)")
    other.execute("BEGIN IMMEDIATE")
    handler = ConnectionHandler(
        {"default": {"ENGINE": "dsmrhub.db.sqlite", "NAME": str(path), "OPTIONS": {"timeout": 0.05}}}
    )
    connection = handler["default"]
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                with pytest.raises(OperationalError) as locked:
                    cursor.execute("INSERT INTO t VALUES (1)")
                with pytest.raises(OperationalError) as missing:
                    cursor.execute("SELECT * FROM no_such_table")
        finally:
            connection.close()
            other.close()
    assert db_error_is_busy(locked.value)
    assert not db_error_is_busy(missing.value)
    assert not db_error_is_busy(ValueError("database is locked"))
