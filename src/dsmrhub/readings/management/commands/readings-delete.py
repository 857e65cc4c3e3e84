from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dsmrhub.readings.plausibility import seconds_text
from dsmrhub.readings.services import readings_delete


def _moment(text: str) -> datetime:
    """ISO 8601; without an offset, in the configured time zone (as the API reads it)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date and time (ISO 8601, e.g. 2026-01-31T12:00): {text!r}") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Delete stored readings by time range or id (Unix seconds, as the API lists them); processing then "
        "recomputes the minutes, hours and days they touched. Asks nothing: try --dry-run first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="since", type=_moment, help="from this moment on (inclusive)")
        parser.add_argument("--to", dest="until", type=_moment, help="up to this moment (inclusive)")
        parser.add_argument("--before", type=_moment, help="everything before this moment (exclusive)")
        parser.add_argument("--id", dest="ids", type=int, action="append", help="a reading's id; repeatable")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args, since, until, before, ids, dry_run: bool, **options) -> None:
        if before is not None:
            if until is not None:
                raise CommandError("give --to or --before, not both")
            until = before - timedelta(microseconds=1)
        if since is None and until is None and not ids:
            raise CommandError("say which readings: --from, --to, --before or --id")
        if since is not None and until is not None and since > until:
            raise CommandError("--from lies after --to")
        result = readings_delete(since=since, until=until, ids=ids, dry_run=dry_run)
        if not result.count:
            self.stdout.write("no readings match; nothing deleted")
            return
        span = f"from {seconds_text(result.first)} to {seconds_text(result.last)}"
        if dry_run:
            self.stdout.write(f"would delete {result.count:,} readings, {span} (dry run: nothing deleted)")
        else:
            self.stdout.write(
                f"deleted {result.count:,} readings, {span}; processing recomputes what they touched"
            )
