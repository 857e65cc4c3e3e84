"""Shared test set-up: real databases, the telegram corpus, and no silent skips in CI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DSMRHUB_TELEGRAM_CORPUS", REPO.parent / "shared" / "telegrams"))
FIXTURES = REPO / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failure: a missing service or corpus must not pass unnoticed."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in CI, which counts as a failure: {reason}"


@pytest.fixture
def api_key(db) -> str:
    from dsmrhub.api.services import api_settings_update

    return api_settings_update(allow=True, auth_key="test-key-0123456789abcdef").auth_key


@pytest.fixture
def api_client(api_key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key}")
    return client


@contextmanager
def install_env(data_dir: Path, label: str) -> Iterator[dict[str, str]]:
    """Environment for a fresh install: ``data_dir``, and on PostgreSQL a database of its own on the server
    under test (named after ``label``), dropped afterwards."""
    env = {**os.environ, "DSMRHUB_DATA_DIR": str(data_dir), "DSMRHUB_LOG_LEVEL": "WARNING"}
    url = os.environ.get("DSMRHUB_DATABASE_URL", "")
    if not url.startswith("postg"):
        env.pop("DSMRHUB_DATABASE_URL", None)
        yield env
        return
    import psycopg

    name = f"dsmrhub_{label}_{uuid.uuid4().hex[:10]}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DSMRHUB_DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cli_env(tmp_path):
    """Environment for a fresh install: its own data dir, and its own database on the server under test."""
    with install_env(tmp_path / "data", "cli") as env:
        yield env
