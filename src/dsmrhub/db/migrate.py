"""Apply pending migrations before a command uses the database, one process at a time.

A fresh data dir (or an upgrade) then needs no `dsmrhub migrate` first. `dsmrhub run` starts its parts
at once, and systemd may start several units together, so two processes can find the same migrations
pending: Django's `migrate` is not safe to run twice at the same time (the second fails creating a table
the first created). Here the second waits for the first (a PostgreSQL advisory lock; a lock file beside
the SQLite database) and then finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import pkgutil
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

logger = logging.getLogger(__name__)

# pg_advisory_lock key: any constant shared by every dsmrhub process ("dsmr" in ASCII).
ADVISORY_LOCK_KEY = 0x64736D72


def _migrations_on_disk() -> set[tuple[str, str]]:
    """(app label, migration name) of every migration file, found without importing them."""
    found = set()
    for app_config in apps.get_app_configs():
        module_name, _ = MigrationLoader.migrations_module(app_config.label)
        try:
            spec = importlib.util.find_spec(module_name) if module_name else None
        except ModuleNotFoundError:
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        for module in pkgutil.iter_modules(spec.submodule_search_locations):
            if not module.ispkg and module.name[0] not in "_~":
                found.add((app_config.label, module.name))
    return found


def migrations_pending(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether a migration file is not recorded as applied.

    Two cheap queries, instead of the ~3x dearer migration graph that `migrate` builds (it imports every
    migration): every dsmrhub command and each part of `dsmrhub run` asks this at start. A squashed
    migration not recorded yet answers True; `migrate` then sorts it out.
    """
    recorder = MigrationRecorder(connections[using])
    applied = set(recorder.applied_migrations()) if recorder.has_table() else set()
    return not _migrations_on_disk() <= applied


@contextlib.contextmanager
def _migrate_lock(using: str) -> Iterator[None]:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = 0")  # wait for the other's migrate, however long
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])  # held by the session
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        return
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or not name or ":memory:" in name or name.startswith("file:"):
        yield
        return
    with open(Path(f"{name}-migrate.lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file is closed
        yield


def migrations_apply_pending(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Apply pending migrations quietly (waiting for another process doing the same); whether any were
    pending. Raises Django's ``DatabaseError`` when the database cannot be reached."""
    if not migrations_pending(using=using):
        return False
    with _migrate_lock(using):
        call_command("migrate", database=using, interactive=False, verbosity=0)
    logger.info("database schema brought up to date")
    return True
