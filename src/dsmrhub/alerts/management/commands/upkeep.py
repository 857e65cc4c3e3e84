"""``dsmrhub upkeep``: the daily backups and the alerts, one small process of ``dsmrhub run``."""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from dsmrhub.alerts.services import CHECK_EVERY as RETRY
from dsmrhub.alerts.services import alerts_step
from dsmrhub.backup.schedule import backup_schedule_step, schedule_backoff

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Daily backups (dsmrhub backup --status) and alerts (dsmrhub alerts) until stopped: a part of "
        "dsmrhub run. A failed backup or an unreachable notification service is retried later."
    )

    def handle(self, *args, **options) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        backoff = schedule_backoff()
        due = {"backup": 0.0, "alerts": 0.0}
        self.stdout.write("upkeep: daily backups and alerts")
        self.stdout.flush()
        while not stop.is_set():
            close_old_connections()  # a connection idle for hours may have been dropped
            if time.monotonic() >= due["backup"]:
                try:
                    pause = backup_schedule_step(now=timezone.now(), backoff=backoff)
                except Exception:  # e.g. the database away for a moment: the next turn tries again
                    logger.exception("upkeep: the backup schedule failed this turn")
                    pause = RETRY
                due["backup"] = time.monotonic() + pause
            if time.monotonic() >= due["alerts"]:
                due["alerts"] = time.monotonic() + alerts_step(now=timezone.now())
            stop.wait(max(0.0, min(due.values()) - time.monotonic()))
