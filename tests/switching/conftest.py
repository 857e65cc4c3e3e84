"""DSMR-reader source databases for the import tests: real PostgreSQL databases loaded from
../shared/interop/dsmr-reader (schema and fixture as DSMR-reader v5.11 made them).

Per test session (and xdist worker) two templates are loaded with psql: the schema with the fixture rows,
and the schema with only the migration rows (an empty install). Each test copies one with
``CREATE DATABASE … TEMPLATE`` and everything is dropped afterwards. Without the interop folder the tests
are skipped visibly (a failure in CI, see tests/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.processes import _template, install, make_install  # noqa: F401 - fixtures for process tests

INTEROP = Path(
    os.environ.get("DSMRHUB_DSMRREADER_INTEROP", REPO.parent / "shared" / "interop" / "dsmr-reader")
)
SCHEMA = INTEROP / "dsmr-reader-5.11-schema.sql"
FIXTURE = INTEROP / "dsmr-reader-5.11-fixture.sql"
SOURCE_SERVER = os.environ.get("DSMRHUB_DSMRREADER_SERVER", "postgresql://postgres@127.0.0.1:5432")
ADMIN_URL = f"{SOURCE_SERVER}/postgres"
PREFIX = f"dsmrreader_src_{os.getpid()}"


@cache
def truths() -> dict:
    return json.loads((INTEROP / "truths.json").read_text())


def source_url(name: str, *, user: str | None = None) -> str:
    if user is None:
        return f"{SOURCE_SERVER}/{name}"
    return SOURCE_SERVER.replace("postgres@", f"{user}@", 1) + f"/{name}"


def _psql(database: str, path: Path) -> None:
    subprocess.run(
        ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", source_url(database), "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )


def admin(sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def source_query(name: str, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(source_url(name), autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session")
def _source_templates():
    if not SCHEMA.exists() or not FIXTURE.exists():
        pytest.skip(f"{INTEROP} not found: DSMR-reader import tests skipped")
    full, empty = f"{PREFIX}_tpl_full", f"{PREFIX}_tpl_empty"
    for name in (full, empty):
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')
        _psql(name, SCHEMA)
    _psql(full, FIXTURE)
    # An empty install: DSMR-reader's migration rows, no history.
    rows = source_query(full, "SELECT app, name, applied FROM django_migrations ORDER BY id")
    import psycopg

    with psycopg.connect(source_url(empty), autocommit=True) as conn, conn.cursor() as cursor:
        cursor.executemany("INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)", rows)
    yield {"full": full, "empty": empty}
    for name in (full, empty):
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def make_source(_source_templates) -> Callable[..., str]:
    """``make_source(kind)``: a fresh copy ("full": the fixture, "empty": migrations only, "schema": the
    schema file alone, "blank": no tables at all); returns the database name."""
    created: list[str] = []

    def make(kind: str = "full") -> str:
        name = f"{PREFIX}_{len(created)}_{kind}"
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if kind in _source_templates:
            admin(f'CREATE DATABASE "{name}" TEMPLATE "{_source_templates[kind]}"')
        else:
            admin(f'CREATE DATABASE "{name}"')
            if kind == "schema":
                _psql(name, SCHEMA)
        created.append(name)
        return name

    yield make
    for name in created:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
