"""Backups of the whole database and restores of them.

A backup is one gzip file (an SQLite copy made with SQLite's online backup API, or a plain ``pg_dump``),
``NAME.sha256`` beside it (``sha256sum -c`` reads it) and ``NAME.json``, a small manifest: the dsmrhub
version, database vendor and applied migrations. Both copies are consistent while the datalogger and the
processor write: SQLite copies every page in one step under a read lock (WAL lets writers go on), and
``pg_dump`` reads one snapshot. A restore checks the checksum first, refuses a backup of a newer version
or another database vendor, and replaces a database that holds data only when forced.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from glob import glob
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from dsmrhub import __version__
from dsmrhub.backup.models import BackupSettings, BackupState
from dsmrhub.backup.versions import version_key
from dsmrhub.datalogger.selectors import datalogger_status
from dsmrhub.db.migrate import _migrations_on_disk, migrations_apply_pending
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import DayStatistics
from dsmrhub.readings.models import DsmrReading

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
BACKUP_NAME = re.compile(r"^dsmrhub-\d{8}T\d{6}Z\.(sqlite3|sql)\.gz$")
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "sql"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1 << 20
SIDE_FILES = (".sha256", ".json")


class BackupError(Exception):
    """A backup or restore that did not happen, with a one-line reason."""


@dataclass(frozen=True, slots=True)
class BackupMade:
    path: Path
    size: int  # bytes of the compressed file
    sha256: str
    seconds: float

    def summary(self) -> str:
        return f"{self.path} ({self.size:,} bytes, sha256 {self.sha256[:12]}…) in {self.seconds:.1f} s"


@dataclass(frozen=True, slots=True)
class RestoreDone:
    path: Path
    version: str
    readings: int
    seconds: float


def backup_settings_update(
    *,
    daily: bool | None = None,
    hour: int | None = None,
    keep: int | None = None,
    directory: str | None = None,
) -> BackupSettings:
    """Change the given settings (None: keep); raises Django's ``ValidationError`` (per field) for an hour
    outside 0-23, a kept count outside 1-365 or a directory that is not absolute."""
    config = BackupSettings.load()
    changes = {
        name: value
        for name, value in (("daily", daily), ("hour", hour), ("keep", keep), ("directory", directory))
        if value is not None
    }
    for name, value in changes.items():
        setattr(config, name, value.strip() if isinstance(value, str) else value)
    config.full_clean()
    if config.directory and not Path(config.directory).expanduser().is_absolute():
        raise ValidationError({"directory": [_("Give the whole path, from /.")]})
    config.save()
    return config


def backup_directory() -> Path:
    """Where backups go: the configured directory, else ``backups/`` in the data dir."""
    configured = BackupSettings.peek().directory
    return Path(configured).expanduser() if configured else Path(settings.DATA_DIR) / "backups"


def postgres_tool(name: str) -> str:
    """``pg_dump`` or ``psql``: the newest of the server packages' (``/usr/lib/postgresql/N/bin``, which
    need not be on PATH), else the one on PATH. A dump needs a ``pg_dump`` at least as new as the server."""
    found = sorted(
        glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: version_key(Path(path).parts[-3]),
        reverse=True,
    )
    on_path = shutil.which(name)
    tool = found[0] if found else on_path
    if not tool:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return tool


def _postgres_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    env.pop("PGOPTIONS", None)
    return env


def _applied_migrations(using: str) -> list[str]:
    recorder = MigrationRecorder(connections[using])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def _sqlite_copy(using: str, target: Path) -> None:
    """A consistent copy of the live database into the file ``target`` (SQLite's online backup API)."""
    connection = connections[using]
    name = str(connection.settings_dict["NAME"])
    if name and ":memory:" not in name and "mode=memory" not in name:
        # a connection of its own: a read transaction that nothing else of this process holds or writes in
        source = sqlite3.connect(
            f"file:{name}?mode=ro", uri=True, timeout=connection.settings_dict["OPTIONS"].get("timeout", 5)
        )
    else:  # an in-memory database (tests) exists only in Django's connection
        if connection.in_atomic_block:
            raise BackupError("cannot back up an in-memory database inside a transaction")
        connection.ensure_connection()
        source = connection.connection
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one consistent state
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        if source is not connection.connection:
            source.close()


def _gzip_file(source: Path, target: Path) -> None:
    with open(source, "rb") as raw, gzip.open(target, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)


def _postgres_dump(using: str, target: Path) -> None:
    env = _postgres_env(connections[using].settings_dict)
    command = [postgres_tool("pg_dump"), "--no-owner", "--no-privileges", "--quote-all-identifiers"]
    with tempfile.TemporaryFile() as errors, gzip.open(target, "wb", compresslevel=6) as packed:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        shutil.copyfileobj(process.stdout, packed, CHUNK)
        if process.wait() != 0:
            errors.seek(0)
            reason = " ".join(errors.read().decode(errors="replace").split()) or f"exit {process.returncode}"
            raise BackupError(f"pg_dump failed: {reason}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def backup_create(
    *, directory: Path | None = None, now: datetime | None = None, using: str = DEFAULT_DB_ALIAS
) -> BackupMade:
    """Make a backup in ``directory`` (default ``backup_directory()``); raises ``BackupError``.

    The data goes to a hidden partial file first; it gets its final name only after its checksum and
    manifest are on disk, so a backup that has its name is whole.
    """
    started = time.monotonic()
    now = now or timezone.now()
    vendor = connections[using].vendor
    if vendor not in EXTENSIONS:
        raise BackupError(f"cannot back up a {vendor} database")
    directory = Path(directory) if directory else backup_directory()
    name = f"dsmrhub-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.{EXTENSIONS[vendor]}.gz"
    target = directory / name
    partial = directory / f".{name}.partial"
    copy = directory / f".{name}.copy"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if target.exists():
            raise BackupError(f"{target} exists already")
        if vendor == "sqlite":
            _sqlite_copy(using, copy)
            _gzip_file(copy, partial)
        else:
            _postgres_dump(using, partial)
        _fsync(partial)
        digest = _sha256(partial)
        size = partial.stat().st_size
        manifest = {
            "format": MANIFEST_FORMAT,
            "version": __version__,
            "vendor": vendor,
            "created_at": now.astimezone(UTC).isoformat(),
            "file": name,
            "size": size,
            "sha256": digest,
            "migrations": _applied_migrations(using),
        }
        _write_durably(directory / f"{name}.json", json.dumps(manifest, indent=1) + "\n")
        _write_durably(directory / f"{name}.sha256", f"{digest}  {name}\n")
        os.replace(partial, target)
        _fsync(directory)
    except OSError as error:
        raise BackupError(f"cannot write the backup to {directory}: {error.strerror or error}") from None
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy the database: {error}") from None
    finally:
        for leftover in (partial, copy):
            with contextlib.suppress(OSError):  # e.g. the directory could not be made: nothing to remove
                leftover.unlink(missing_ok=True)
    return BackupMade(path=target, size=size, sha256=digest, seconds=time.monotonic() - started)


def backups_list(directory: Path | None = None) -> list[Path]:
    """The backups in ``directory``, oldest first (their names sort by time)."""
    directory = Path(directory) if directory else backup_directory()
    try:
        return sorted(path for path in directory.iterdir() if BACKUP_NAME.match(path.name))
    except FileNotFoundError:
        return []


def backups_prune(*, keep: int, directory: Path | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest backups (with their checksum and manifest); the deleted."""
    backups = backups_list(directory)
    removed = backups[: max(0, len(backups) - keep)]
    for path in removed:
        for side in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
            side.unlink(missing_ok=True)
    return removed


def backup_record(*, now: datetime, made: BackupMade | None = None, error: str = "") -> None:
    """Store the outcome of a backup for the status page and the alerts."""
    state = BackupState.load()
    if made is not None:
        BackupState.store(
            last_attempt_at=now,
            last_success_at=now,
            last_file=str(made.path)[:500],
            last_size=made.size,
            last_error="",
            failures=0,
        )
    else:
        BackupState.store(last_attempt_at=now, last_error=error[:500], failures=state.failures + 1)


def backup_run(*, now: datetime | None = None, directory: Path | None = None) -> BackupMade:
    """A backup as the CLI and the schedule make it: made, recorded, older ones pruned to the kept count
    (only in the configured directory). Raises ``BackupError`` (recorded too)."""
    now = now or timezone.now()
    try:
        made = backup_create(directory=directory, now=now)
    except BackupError as error:
        backup_record(now=now, error=str(error))
        raise
    backup_record(now=now, made=made)
    if directory is None:
        for path in backups_prune(keep=BackupSettings.peek().keep):
            logger.info("backup %s removed (more than the kept count)", path.name)
    return made


# ---------------------------------------------------------------- restore


def backup_verify(path: Path) -> dict[str, Any]:
    """The manifest of the backup at ``path`` once its SHA-256 matches; raises ``BackupError``."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    checksum = path.with_name(path.name + ".sha256")
    try:
        expected = checksum.read_text(encoding="utf-8").split()[0].lower()
    except (OSError, IndexError):
        raise BackupError(
            f"{checksum}: missing or empty; a backup is restored only with its checksum"
        ) from None
    if _sha256(path) != expected:
        raise BackupError(f"{path}: the SHA-256 checksum does not match {checksum.name}: the file is damaged")
    try:
        manifest = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
        manifest["vendor"], manifest["version"], manifest["migrations"]  # noqa: B018 - the keys must be there
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(f"{path}: its manifest ({path.name}.json) is missing or not readable") from None
    return manifest


def database_holds_data(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether restoring would lose something: readings, statistics, contracts or users."""
    return any(
        model.objects.using(using).exists()
        for model in (DsmrReading, DayStatistics, EnergyContract, get_user_model())
    )


def _gunzip_chunks(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") as packed:
        yield from iter(lambda: packed.read(CHUNK), b"")


def _sqlite_restore(path: Path, using: str) -> None:
    connection = connections[using]
    temporary = {"dir": Path(settings.DATA_DIR), "prefix": ".restore-", "suffix": ".sqlite3"}
    with tempfile.NamedTemporaryFile(**temporary) as copy:
        for chunk in _gunzip_chunks(path):
            copy.write(chunk)
        copy.flush()
        source = sqlite3.connect(copy.name)
        try:
            result = source.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"{path}: the database inside is damaged ({result})")
            connection.ensure_connection()
            live = connection.connection
            # WAL cannot change a database's page size, and a backup brings its own (an older release
            # made 4 KiB pages, new files get 1 KiB): out of WAL for the copy, back in after it
            resize = (
                live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                and live.execute("PRAGMA page_size").fetchone()[0]
                != source.execute("PRAGMA page_size").fetchone()[0]
            )
            if resize:
                live.execute("PRAGMA journal_mode=DELETE")
            try:
                source.backup(live)  # page by page into the live file, under its write lock
            finally:
                if resize:
                    live.execute("PRAGMA journal_mode=WAL")
        finally:
            source.close()


def _postgres_restore(path: Path, using: str) -> None:
    """Drop and load in one transaction: a restore that fails leaves the database as it was."""
    connection = connections[using]
    env = _postgres_env(connection.settings_dict)
    connection.close()
    command = [postgres_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
        )
        assert process.stdin is not None
        try:
            process.stdin.write(b'DROP SCHEMA IF EXISTS "public" CASCADE;\nCREATE SCHEMA "public";\n')
            for chunk in _gunzip_chunks(path):
                process.stdin.write(chunk)
            process.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error: its reason follows
        if process.wait() != 0:
            errors.seek(0)
            reason = " ".join(errors.read().decode(errors="replace").split()) or f"exit {process.returncode}"
            raise BackupError(f"psql failed, the database is unchanged: {reason[:400]}")


def backup_restore(*, path: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> RestoreDone:
    """Replace the database with the backup at ``path``, then apply the migrations it lacks (a backup of an
    older version is upgraded). Raises ``BackupError`` before anything changes when the checksum does not
    match, the backup is of a newer version or another vendor, or the database holds data (``force``)."""
    started = time.monotonic()
    path = Path(path)
    manifest = backup_verify(path)
    vendor = connections[using].vendor
    if manifest["vendor"] != vendor:
        raise BackupError(
            f"{path.name} is a {VENDOR_NAMES.get(manifest['vendor'], manifest['vendor'])} backup; this "
            f"database is {VENDOR_NAMES.get(vendor, vendor)}"
        )
    unknown = sorted(set(manifest["migrations"]) - {f"{app}.{name}" for app, name in _migrations_on_disk()})
    if unknown or version_key(manifest["version"]) > version_key(__version__):
        raise BackupError(
            f"{path.name} was made by dsmrhub {manifest['version']}, newer than this {__version__}: "
            "restore it with that version"
        )
    if not force and database_holds_data(using=using):
        raise BackupError("the database holds data; --force replaces it with the backup")
    if not force and datalogger_status()["running"]:
        raise BackupError(
            "a datalogger is writing to this database (dsmrhub run?): stop it first, or --force"
        )
    try:
        if vendor == "sqlite":
            _sqlite_restore(path, using)
        else:
            _postgres_restore(path, using)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise BackupError(f"{path}: cannot read the backup: {error}") from None
    except sqlite3.Error as error:
        raise BackupError(f"{path}: cannot restore: {error}") from None
    migrations_apply_pending(using=using)
    return RestoreDone(
        path=path,
        version=manifest["version"],
        readings=DsmrReading.objects.using(using).count(),
        seconds=time.monotonic() - started,
    )
