"""Upgrades: a database made and filled by the first release (v0.1.0) is brought up to date by this code,
nothing is lost and processing goes on; a database of a newer version is refused with one line.

The old release runs from its own source (``git archive`` of the tag into a temporary directory) with this
venv's interpreter: its dependencies are the same, and nothing is fetched.
"""

from __future__ import annotations

import sqlite3
import subprocess
import tarfile
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest

from tests.conftest import REPO, install_env
from tests.helpers import demo_telegrams
from tests.processes import DSMRHUB, Install, dsmrhub

FIRST_RELEASE = "v0.1.0"
# The tag's commit: a clone without tags still has it in main's history.
FIRST_RELEASE_COMMIT = "4c4f2797da32184bcbf3474677dfae8c518c57b8"
DAY_FIELDS = (
    "day, electricity1, electricity2, electricity1_returned, electricity2_returned, gas, "
    "electricity1_reading, electricity2_reading, gas_reading"
)


@pytest.fixture(scope="module")
def first_release(tmp_path_factory) -> Path:
    """The source of the first release, unpacked; its ``src`` goes first on PYTHONPATH."""
    for revision in (FIRST_RELEASE, FIRST_RELEASE_COMMIT):
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", revision, "src"], capture_output=True, check=False
        )
        if archive.returncode == 0:
            break
    assert archive.returncode == 0, (
        f"neither the tag {FIRST_RELEASE} nor its commit is in this clone (a shallow clone?): fetch the "
        "history (git fetch --unshallow --tags) to run the upgrade test; "
        + archive.stderr.decode(errors="replace")
    )
    target = tmp_path_factory.mktemp("release")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


@pytest.fixture
def fresh_env(tmp_path):
    """A second install: its own data dir and, on PostgreSQL, its own database."""
    with install_env(tmp_path / "fresh", "fresh") as env:
        yield env


def _old(env: dict[str, str], source: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*DSMRHUB, *args],
        env={**env, "PYTHONPATH": str(source)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def _capture(path: Path, telegrams: list[tuple[datetime, str]]) -> Path:
    path.write_text("".join(telegram for _, telegram in telegrams), encoding="latin-1", newline="")
    return path


def _install(env: dict[str, str]) -> Install:
    return Install(env, Path(env["DSMRHUB_DATA_DIR"]))


def test_a_first_release_database_upgrades_without_losing_anything(
    cli_env, first_release, tmp_path, fresh_env
):
    # five days of five-minute telegrams: four for the old release, the fifth after the upgrade
    telegrams = demo_telegrams(
        5 * 288, start=datetime(2026, 3, 1, 23, 0, tzinfo=UTC), step=timedelta(minutes=5)
    )
    before, after = telegrams[: 4 * 288], telegrams[4 * 288 :]
    old = _old(cli_env, first_release, "version")
    assert old.stdout.strip() == "0.1.0"
    _old(cli_env, first_release, "migrate", "-v0")
    _old(cli_env, first_release, "import", "--quiet", str(_capture(tmp_path / "old.dsmr", before)))
    _old(cli_env, first_release, "api", "enable")
    _old(
        cli_env, first_release, "contract", "add", "--description", "Old", "--start", "2026-01-01",
        "--electricity-delivered-1", "0.25", "--electricity-delivered-2", "0.22", "--gas", "1.10",
        "--fixed-daily-cost", "0.90",
    )  # fmt: skip
    _old(cli_env, first_release, "process")
    install = _install(cli_env)
    readings = install.stored_timestamps()
    assert len(readings) == len(before)
    days = install.query(f"SELECT {DAY_FIELDS} FROM processing_daystatistics ORDER BY day")
    assert len(days) >= 3
    hours = install.query("SELECT COUNT(*), SUM(electricity1 + electricity2) FROM processing_hourstatistics")
    contracts = install.query(
        "SELECT description, start, electricity_delivered_1_price FROM prices_energycontract"
    )
    key = install.query("SELECT allow, auth_key FROM api_apisettings")

    # this code: migrate (the upgrade), then the processor and a new day of telegrams
    migrated = dsmrhub(cli_env, "migrate")
    assert migrated.returncode == 0
    assert install.query("SELECT version FROM backup_databaseversion") == [(_current_version(),)]
    assert install.stored_timestamps() == readings
    assert install.query(f"SELECT {DAY_FIELDS} FROM processing_daystatistics ORDER BY day") == days
    dsmrhub(cli_env, "process")
    assert install.query(f"SELECT {DAY_FIELDS} FROM processing_daystatistics ORDER BY day") == days
    assert (
        install.query("SELECT COUNT(*), SUM(electricity1 + electricity2) FROM processing_hourstatistics")
        == hours
    )
    assert install.query(
        "SELECT description, start, electricity_delivered_1_price FROM prices_energycontract"
    ) == (contracts)
    assert install.query("SELECT allow, auth_key FROM api_apisettings") == key

    dsmrhub(cli_env, "import", "--quiet", str(_capture(tmp_path / "new.dsmr", after)))
    dsmrhub(cli_env, "process")
    assert len(install.stored_timestamps()) == len(telegrams)
    later = install.query(f"SELECT {DAY_FIELDS} FROM processing_daystatistics ORDER BY day")
    assert later[: len(days)] == days  # the old days as they were
    assert len(later) > len(days)  # and the new day processed on top
    [(hour_count, _)] = install.query(
        "SELECT COUNT(*), SUM(electricity1 + electricity2) FROM processing_hourstatistics"
    )
    assert hour_count > hours[0][0]

    # the upgraded database (on SQLite: the old release's 4 KiB pages) backs up and restores into a fresh
    # install of this version (new files get smaller pages)
    dsmrhub(cli_env, "backup", "--to", str(tmp_path / "backups"))
    [backup] = sorted((tmp_path / "backups").glob("dsmrhub-*.gz"))
    fresh = _install(fresh_env)
    dsmrhub(fresh_env, "restore", str(backup))
    assert fresh.stored_timestamps() == install.stored_timestamps()
    assert fresh.query(f"SELECT {DAY_FIELDS} FROM processing_daystatistics ORDER BY day") == later


def _current_version() -> str:
    from dsmrhub import __version__

    return __version__


def _execute(install: Install, sql: str, params: tuple) -> None:
    """A statement without rows (``Install.query`` fetches rows)."""
    if install.database_url:
        import psycopg

        with psycopg.connect(install.database_url, autocommit=True) as conn:
            conn.execute(sql, params)
        return
    with sqlite3.connect(install.data_dir / "dsmrhub.sqlite3") as conn:
        conn.execute(sql.replace("%s", "?"), params)


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if " dsmrhub.d" not in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_database_of_a_newer_version_is_refused_with_one_line(cli_env):
    dsmrhub(cli_env, "migrate")
    install = _install(cli_env)
    readings_before = install.query("SELECT COUNT(*) FROM django_migrations")

    _execute(install, "UPDATE backup_databaseversion SET version = %s", ("9.1.0",))
    refused = dsmrhub(cli_env, "migrate", check=False)
    assert refused.returncode == 1
    assert _one_line_error(refused) == (
        f"CommandError: the database was last migrated by dsmrhub 9.1.0, newer than this dsmrhub "
        f"{_current_version()}. Run the newer version, or restore a backup made by this one "
        "(dsmrhub restore FILE)"
    )

    _execute(install, "UPDATE backup_databaseversion SET version = %s", (_current_version(),))
    _execute(
        install,
        "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
        ("readings", "9999_from_a_newer_version", datetime.now(UTC).isoformat()),
    )
    refused = dsmrhub(cli_env, "migrate", check=False)
    assert refused.returncode == 1
    assert _one_line_error(refused).endswith(
        f"newer than this dsmrhub {_current_version()}; it has migrations this version does not know: "
        "readings.9999_from_a_newer_version. Run the newer version, or restore a backup made by this one "
        "(dsmrhub restore FILE)"
    )
    # every other command too (the CLI asks before it applies pending migrations)
    refused = dsmrhub(cli_env, "process", check=False)
    assert refused.returncode == 1
    assert _one_line_error(refused).startswith(
        "dsmrhub process: the database was last migrated by dsmrhub "
    ) and _one_line_error(refused).endswith("(dsmrhub restore FILE)")
    # refused before anything changed
    assert install.query("SELECT COUNT(*) FROM django_migrations")[0][0] == readings_before[0][0] + 1
