"""When a commit is on disk, not only in the operating system's memory.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit reaches the operating system at once (a killed
process loses nothing committed) but the disk only at a checkpoint, or when the kernel writes its dirty pages
back (after ~30 s on Linux). Syncing every commit would write the log's last page again for every telegram;
instead a writer that acknowledges data (the datalogger's group commit) calls ``database_sync`` after its
commit: one sync of the log per group, after which everything committed so far survives a power cut.
PostgreSQL syncs its own log at every commit (``synchronous_commit``): nothing to do there.
"""

from __future__ import annotations

import os

from django.db import DEFAULT_DB_ALIAS, connections


def database_sync(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Put every committed transaction of the database on disk (SQLite: fsync its WAL file). OSError when
    the file cannot be synced."""
    db = connections[alias]
    if db.vendor != "sqlite":
        return
    name = str(db.settings_dict["NAME"])
    if ":memory:" in name or name.startswith("file:"):
        return
    for path in (f"{name}-wal", name):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return  # the log holds every commit since the last checkpoint; the checkpoint synced the file
