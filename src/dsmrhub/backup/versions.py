"""Which dsmrhub made this database: refuse one from a newer version instead of damaging it.

After every ``migrate`` the running version is recorded (``DatabaseVersion``). A database that an older
dsmrhub opens may hold what the older code does not know: migrations it has no file for, or a recorded
version above its own. Every command (through the CLI, before it applies pending migrations) and
``migrate`` itself stop with one line then; the way back is the newer version or a backup of this one.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from dsmrhub import __version__
from dsmrhub.db.migrate import _migrations_on_disk
from dsmrhub.db.singleton import SINGLETON_ID

SHOWN = 3  # unknown migrations named in the refusal


def version_key(version: str) -> tuple[int, ...]:
    """The release numbers of a version, to compare ("0.2.0.dev0" and "0.2.0" are the same release)."""
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def migrations_unknown(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Applied migrations that this version has no file for ("app.name"), sorted."""
    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return []
    applied = set(recorder.applied_migrations())
    return sorted(f"{app}.{name}" for app, name in applied - _migrations_on_disk())


def recorded_version(*, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The version that last migrated the database; None before the first migrate by a version that
    records it (v0.1.0 did not)."""
    from dsmrhub.backup.models import DatabaseVersion

    connection = connections[using]
    with connection.cursor() as cursor:  # no table yet: a fresh database, or one made by v0.1.0
        if DatabaseVersion._meta.db_table not in connection.introspection.table_names(cursor):
            return None
    return DatabaseVersion.objects.using(using).values_list("version", flat=True).first()


def database_version_refusal(*, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Why this version must not use the database (one line), or None when it may."""
    unknown = migrations_unknown(using=using)
    recorded = recorded_version(using=using)
    newer = recorded is not None and version_key(recorded) > version_key(__version__)
    if not unknown and not newer:
        return None
    made_by = f"dsmrhub {recorded}" if recorded else "a newer dsmrhub"
    detail = ""
    if unknown:
        more = f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else ""
        names = ", ".join(unknown[:SHOWN]) + more
        detail = f"; it has migrations this version does not know: {names}"
    return (
        f"the database was last migrated by {made_by}, newer than this dsmrhub {__version__}{detail}. "
        "Run the newer version, or restore a backup made by this one (dsmrhub restore FILE)"
    )


def refuse_newer_on_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """pre_migrate: ``migrate`` stops before it touches a newer database."""
    refusal = database_version_refusal(using=using)
    if refusal:
        raise CommandError(refusal)


def record_on_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate: the version whose migrate ran last."""
    from dsmrhub.backup.models import DatabaseVersion

    DatabaseVersion.objects.using(using).update_or_create(
        pk=SINGLETON_ID, defaults={"version": __version__, "migrated_at": timezone.now()}
    )
