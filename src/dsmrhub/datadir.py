"""The data dir is its owner's alone: the database in it holds the API key, the MQTT password, the
meter's key and password hashes, and ``secret_key`` signs the sessions."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def data_dir_tighten(path: Path) -> list[str]:
    """Take the group's and others' permissions off the data dir and everything in it (symbolic links
    are not followed); returns what changed, as "name 0755 -> 0700", and logs it in one line."""
    changed: list[str] = []
    failed: list[str] = []
    entries = [path]
    for root, dirs, files in os.walk(path):
        dirs.sort()  # the walk's order, and so the log line's
        entries.extend(Path(root, name) for name in (*dirs, *sorted(files)))
    for entry in entries:
        try:
            mode = entry.lstat().st_mode
            if stat.S_ISLNK(mode) or not mode & _OTHERS:
                continue
            entry.chmod(stat.S_IMODE(mode) & ~_OTHERS)
        except FileNotFoundError:  # removed meanwhile (a SQLite -journal, a spool file)
            continue
        except OSError as error:
            failed.append(f"{entry}: {error.strerror}")
            continue
        name = "." if entry == path else str(entry.relative_to(path))
        changed.append(f"{name} {stat.S_IMODE(mode):04o} -> {stat.S_IMODE(mode) & ~_OTHERS:04o}")
    if changed:
        logger.warning(
            "data dir %s was readable by others; permissions tightened: %s", path, ", ".join(changed)
        )
    if failed:
        logger.warning("data dir %s: could not tighten the permissions of %s", path, "; ".join(failed))
    return changed
