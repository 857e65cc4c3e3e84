"""``dsmrhub backup``: a backup now, the daily schedule, its settings and state (thin over dsmrhub.backup)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from dsmrhub.backup.schedule import backup_schedule_step, schedule_backoff
from dsmrhub.backup.selectors import backup_status
from dsmrhub.backup.services import BackupError, backup_run, backup_settings_update


class Command(BaseCommand):
    help = (
        "Back up the database now, consistent while dsmrhub runs, gzip-compressed with a SHA-256 checksum. "
        "SQLite's backup API or pg_dump; a manifest beside it. Daily backups (what dsmrhub run keeps): "
        "--schedule; --status, --daily/--no-daily, --keep, --hour, --directory: their settings."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", type=Path, help="directory for this backup (default: the configured one)")
        parser.add_argument("--schedule", action="store_true", help="make the daily backups (until stopped)")
        parser.add_argument("--status", action="store_true", help="show the settings and the last backup")
        daily = parser.add_mutually_exclusive_group()
        daily.add_argument("--daily", action="store_true", default=None, help="daily backups on")
        daily.add_argument("--no-daily", dest="daily", action="store_false", help="daily backups off")
        parser.add_argument("--keep", type=int, help="daily backups kept (older ones are deleted)")
        parser.add_argument("--hour", type=int, help="local hour of the daily backup (0-23)")
        parser.add_argument("--directory", help="where backups go (empty: backups/ in the data dir)")

    def handle(self, *args, to: Path | None, schedule: bool, status: bool, **options) -> None:
        names = ("daily", "keep", "hour", "directory")
        changes = {name: options[name] for name in names if options[name] is not None}
        if changes:
            self._configure(changes)
        if schedule:
            self._schedule()
        elif status or changes:
            self._status()
        else:
            try:
                made = backup_run(directory=to)
            except BackupError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"backup: {made.summary()}")

    def _configure(self, changes: dict) -> None:
        try:
            backup_settings_update(**changes)
        except ValidationError as error:
            reasons = "; ".join(f"--{name}: {' '.join(texts)}" for name, texts in error.message_dict.items())
            raise CommandError(reasons, returncode=2) from None

    def _status(self) -> None:
        status = backup_status()
        daily = f"daily at {status['hour']:02d}:00, {status['keep']} kept" if status["daily"] else "daily off"
        self.stdout.write(f"backups: {daily}, in {status['directory']} ({status['count']} there)")
        if status["last_success_at"]:
            self.stdout.write(
                f"last backup: {timezone.localtime(status['last_success_at']):%Y-%m-%d %H:%M} "
                f"{status['last_file']} ({status['last_size']:,} bytes)"
            )
        if status["last_error"]:
            self.stdout.write(f"last attempt failed ({status['failures']} times): {status['last_error']}")
        if status["next_at"]:
            self.stdout.write(f"next backup: {timezone.localtime(status['next_at']):%Y-%m-%d %H:%M}")

    def _schedule(self) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        backoff = schedule_backoff()
        self.stdout.write("backups: daily while enabled (dsmrhub backup --status)")
        self.stdout.flush()
        while not stop.is_set():
            close_old_connections()
            stop.wait(backup_schedule_step(now=timezone.now(), backoff=backoff))
