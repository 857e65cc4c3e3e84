"""Local hours and days as UTC epoch seconds: days cut at local midnight, 23/25-hour days included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

HOUR = 3600
MINUTE = 60


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def to_epoch(moment: datetime) -> int:
    return int(moment.timestamp()) if moment.microsecond == 0 else int(moment.timestamp() // 1)


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def local_date(seconds: int) -> date:
    return datetime.fromtimestamp(seconds, local_zone()).date()


def day_start(day: date) -> int:
    """The first UTC second whose local date is ``day``."""
    return int(datetime.combine(day, time(0), tzinfo=local_zone()).timestamp())


def day_end(day: date) -> int:
    return day_start(day + timedelta(days=1))


def hour_shift(start: int, end: int) -> int:
    """Seconds by which local hours are offset from UTC hours (0 for whole-hour zones).

    Hour buckets are computed with integer arithmetic, which needs this to be the same over the span;
    it is for every zone except one whose daylight saving shifts by half an hour (Lord Howe Island).
    """
    zone = local_zone()
    shifts = {
        int(datetime.fromtimestamp(moment, zone).utcoffset().total_seconds()) % HOUR
        for moment in (start, end)
    }
    if len(shifts) != 1:
        raise ValueError(f"time zone {settings.TIME_ZONE} shifts its hours by a fraction of an hour")
    return shifts.pop()


def hour_start_of(seconds: int, shift: int) -> int:
    """Start of the local hour containing ``seconds``."""
    return (seconds - shift) // HOUR * HOUR + shift
