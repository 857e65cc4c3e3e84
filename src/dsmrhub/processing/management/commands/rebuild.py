import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dsmrhub.processing.services import processing_rebuild


class Command(BaseCommand):
    help = "Recompute all derived data (consumption, statistics, costs) from the readings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="only from this local date on (YYYY-MM-DD)")

    def handle(self, *args, since: str | None, **options) -> None:
        try:
            since_day = date.fromisoformat(since) if since else None
        except ValueError:
            raise CommandError(f"--since must be a date like 2026-01-31, got {since!r}") from None
        show = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()

        def progress(done: int, total: int) -> None:
            if show or done == total:
                width = 30
                filled = width * done // max(total, 1)
                self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
                self.stdout.flush()

        result = processing_rebuild(since=since_day, progress=progress)
        self.stdout.write("")
        rate = result.readings / result.seconds if result.seconds else 0
        self.stdout.write(
            f"rebuilt from {result.readings:,} readings: {result.minutes:,} minutes, {result.hours:,} hours, "
            f"{result.days:,} days in {result.seconds:.1f} s ({rate:,.0f} readings/s)"
        )
