"""PostgreSQL is a supported database: in CI its server must be there (this test fails, not skips)."""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get("DSMRHUB_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def test_postgresql_server_answers():
    psycopg = pytest.importorskip("psycopg")
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    assert int(version.split(".")[0]) >= 13
