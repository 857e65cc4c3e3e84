"""``dsmrhub restore FILE``: replace the database with a backup (checksum first; --force over data)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.backup.services import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by dsmrhub backup (its checksum checked first). A database that holds data "
        "is replaced only with --force. Stop dsmrhub run first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the backup (dsmrhub-….gz, with its .sha256 and .json)")
        parser.add_argument("--force", action="store_true", help="replace a database that holds data")

    def handle(self, *args, file: Path, force: bool, **options) -> None:
        try:
            done = backup_restore(path=file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"restored {done.path.name} (dsmrhub {done.version}): "
            f"{done.readings:,} readings in {done.seconds:.1f} s"
        )
