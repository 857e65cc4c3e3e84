"""When a meter timestamp can be true: the one rule every path applies (API v1 and v2, the datalogger,
the importer, M-Bus values) and that processing uses to set aside rows stored before it existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

EARLIEST = datetime(2001, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(hours=24)


def timestamp_window(*, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The plausible meter timestamps, both ends included: [2001-01-01T00:00Z, now + 24 h]."""
    return EARLIEST, (now or timezone.now()) + MAX_AHEAD


def timestamp_problem(
    moment: datetime, *, now: datetime | None = None, what: str = "timestamp"
) -> str | None:
    """Why ``moment`` cannot be a meter's time (a reason naming ``what``), or None when it can.

    Not before 2001-01-01T00:00Z: no DSMR meter existed before 2008, and a meter whose clock was reset
    counts from 2000-01-01 00:00 (``000101000000W``), so a whole year of margin catches a reset clock;
    before this, a single such row made processing restate every day since 2000, or (year 1, 1900) fail.
    Not more than 24 hours ahead of now: a meter clock may be off by a little, a timezone by hours, but a
    reading from tomorrow would later hide the real one and freeze "latest" in the future.
    """
    earliest, latest = timestamp_window(now=now)
    if moment < earliest:
        return (
            f"{what} {timestamp_text(moment)} lies before {earliest:%Y-%m-%d} (a meter clock that was reset?)"
        )
    if moment > latest:
        return f"{what} {timestamp_text(moment)} lies more than 24 hours in the future"
    return None


def timestamp_text(moment: datetime) -> str:
    """ISO 8601 in UTC with 'Z' and a four-digit year (strftime writes year 1 as "1")."""
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        return moment.isoformat(timespec="seconds")
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def seconds_text(seconds: int) -> str:
    """A stored timestamp (Unix seconds) as ``timestamp_text``, or as the number when it is no date."""
    try:
        return timestamp_text(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (Unix seconds)"
