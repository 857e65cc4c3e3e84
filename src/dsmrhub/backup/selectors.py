"""The backups' state for the status page, and their problems (a failed backup, a nearly full disk)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from dsmrhub.backup.models import BackupSettings, BackupState
from dsmrhub.backup.schedule import backup_next_at
from dsmrhub.backup.services import backup_directory, backups_list

DISK_FREE_MIN_SHARE = 0.05  # a disk with less than 5 % free…
DISK_FREE_MIN_BYTES = 512 * 1024 * 1024  # …or less than 512 MB is nearly full
BACKUP_OVERDUE = timedelta(hours=36)  # a daily backup older than this is a problem


def backup_status(*, now: datetime | None = None) -> dict[str, Any]:
    """Settings, the last backup (made or tried), the next one and the backups on disk."""
    now = now or timezone.now()
    config = BackupSettings.peek()
    state = BackupState.peek()
    directory = backup_directory()
    return {
        "daily": config.daily,
        "hour": config.hour,
        "keep": config.keep,
        "directory": str(directory),
        "count": len(backups_list(directory)),
        "last_success_at": state.last_success_at,
        "last_attempt_at": state.last_attempt_at,
        "last_file": Path(state.last_file).name if state.last_file else "",
        "last_size": state.last_size,
        "last_error": state.last_error,
        "failures": state.failures,
        "next_at": backup_next_at(now=now),
    }


def backup_problems(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """A backup that failed, or a daily backup overdue."""
    now = now or timezone.now()
    state = BackupState.peek()
    problems: list[dict[str, Any]] = []
    if state.last_error:
        problems.append(
            {
                "key": "backup-failed",
                "problem": _("The last backup failed (%(count)d times since the last good one): %(error)s")
                % {"count": state.failures, "error": state.last_error},
                "since": state.last_attempt_at,
            }
        )
    elif (
        BackupSettings.peek().daily
        and state.last_success_at is not None
        and now - state.last_success_at > BACKUP_OVERDUE
    ):
        problems.append(
            {
                "key": "backup-overdue",
                "problem": _("No backup since %(hours)d hours: is `dsmrhub run` running?")
                % {"hours": (now - state.last_success_at) // timedelta(hours=1)},
                "since": state.last_success_at,
            }
        )
    return problems


def disk_problems() -> list[dict[str, Any]]:
    """The data dir's disk (and the backups' when it is another) nearly full."""
    problems: list[dict[str, Any]] = []
    seen: set[int] = set()
    for place in (Path(settings.DATA_DIR), backup_directory()):
        try:
            device = place.stat().st_dev
            usage = shutil.disk_usage(place)
        except OSError:
            continue
        if device in seen:
            continue
        seen.add(device)
        if usage.free < DISK_FREE_MIN_BYTES or usage.free < usage.total * DISK_FREE_MIN_SHARE:
            problems.append(
                {
                    "key": f"disk-full:{place}",
                    "problem": _("The disk of %(place)s is nearly full: %(free)s free of %(total)s.")
                    % {
                        "place": place,
                        "free": filesizeformat(usage.free),
                        "total": filesizeformat(usage.total),
                    },
                    "since": None,
                }
            )
    return problems
