"""Read-only questions about stored readings."""

from __future__ import annotations

import math
from datetime import datetime

from django.db.models import Sum

from dsmrhub.readings.models import DsmrReading, ReadingHourCount

HOUR = 3600


def reading_count(*, since: datetime | None = None, until: datetime | None = None) -> int:
    """How many readings have ``since <= timestamp <= until`` (either bound optional), exactly.

    Whole hours come from the trigger-kept hourly counts; only the ragged ends (under an hour each) are
    counted row by row, so a month or a year is counted in milliseconds.
    """
    low = None if since is None else math.ceil(since.timestamp())
    high = None if until is None else math.floor(until.timestamp())
    if low is not None and high is not None and low > high:
        return 0
    first_full = None if low is None else -(-low // HOUR)  # first hour starting at or after ``low``
    end_full = None if high is None else (high + 1) // HOUR  # hours before this one end at or before ``high``
    if first_full is not None and end_full is not None and first_full >= end_full:
        return _rows(low, high)
    hours = ReadingHourCount.objects.all()
    if first_full is not None:
        hours = hours.filter(hour__gte=first_full)
    if end_full is not None:
        hours = hours.filter(hour__lt=end_full)
    total = hours.aggregate(total=Sum("count"))["total"] or 0
    if low is not None:
        total += _rows(low, first_full * HOUR - 1)
    if high is not None:
        total += _rows(end_full * HOUR, high)
    return total


def _rows(low: int, high: int) -> int:
    if low > high:
        return 0
    return DsmrReading.objects.filter(timestamp__gte=low, timestamp__lte=high).count()
