"""The daily backup that ``dsmrhub run`` keeps: when it is due, and one turn of the schedule."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from dsmrhub.backoff import Backoff
from dsmrhub.backup.models import BackupSettings, BackupState
from dsmrhub.backup.services import BackupError, backup_run

logger = logging.getLogger(__name__)

IDLE = 600.0  # seconds between looks when nothing is due
RETRY_FIRST = 300.0  # seconds after a failed backup, doubling…
RETRY_MAX = 3600.0  # …up to an hour


def backup_next_at(*, now: datetime) -> datetime | None:
    """When the next daily backup is due (``now`` or earlier: due now); None when daily backups are off."""
    config = BackupSettings.peek()
    if not config.daily:
        return None
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    # the configured hour of today, in local time (days of 23 and 25 hours: the wall-clock hour)
    today_at = datetime(local.year, local.month, local.day, config.hour, tzinfo=zone)
    last = BackupState.peek().last_success_at
    if last is not None and last >= today_at:
        tomorrow = local.date() + timedelta(days=1)
        return datetime(tomorrow.year, tomorrow.month, tomorrow.day, config.hour, tzinfo=zone)
    return today_at


def backup_schedule_step(*, now: datetime, backoff: Backoff) -> float:
    """One turn: make the daily backup when due; the seconds to wait before the next turn."""
    due = backup_next_at(now=now)
    if due is None:
        backoff.reset()
        return IDLE
    if due > now:
        return min(IDLE, max(1.0, (due - now).total_seconds()))
    try:
        made = backup_run(now=now)
    except BackupError as error:
        pause = backoff.next()
        logger.warning("daily backup failed: %s; next try in %.0f s", error, pause)
        return pause
    except Exception:  # never end the schedule: the next turn tries again, the status page shows it
        logger.exception("daily backup failed")
        return backoff.next()
    logger.info("daily backup %s", made.summary())
    backoff.reset()
    return IDLE


def schedule_backoff() -> Backoff:
    return Backoff(initial=RETRY_FIRST, cap=RETRY_MAX)
