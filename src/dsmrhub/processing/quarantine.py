"""Readings the processor cannot place: set aside with a reason, shown on the status page, never fatal.

A reading stored before the timestamp rule (``readings.plausibility``) existed, or written by hand, may
lie in year 1, in 1900, in 2000 or days ahead. Processing it would fail (year 1 has no local hours before
it; Amsterdam's 1900 offset is not whole hours) or restate every day since 2000. So the processor only
places readings inside a ``Window`` around the rule's range, records every reading outside it (and every
reading whose gas time is outside it: then only its gas value is left out) in ``QuarantinedReading``, and
goes on with the rest. Entries are re-judged with the readings of their minute: deleting the reading
clears its entry at the next pass, and a reading that was ahead of the clock is placed once its time comes.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from dsmrhub.processing.models import PendingMinute, QuarantinedReading
from dsmrhub.processing.periods import MINUTE, from_epoch
from dsmrhub.processing.sql import READINGS, fetch
from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.plausibility import seconds_text, timestamp_problem, timestamp_window

logger = logging.getLogger(__name__)

EVERYTHING = (-(2**62), 2**62)  # a range of Unix seconds beyond any stored value
QUARANTINE = QuarantinedReading._meta.db_table


@dataclass(frozen=True, slots=True)
class Window:
    """Reading times the processor places: ``low < t <= high`` (Unix seconds). Whole minutes around the
    plausibility rule's range, so no minute row is ever split; a row the rule would refuse by less than a
    minute is still placed (harmless, and a reading just under 24 h ahead does not flap in and out)."""

    low: int
    high: int
    now: datetime

    def clip(self, first: int, last: int) -> tuple[int, int] | None:
        """The part of [first, last] inside the window, or None."""
        first, last = max(first, self.low + 1), min(last, self.high)
        return (first, last) if first <= last else None

    def contains(self, column: str) -> str:
        """SQL: ``column`` lies inside the window (parameters: ``self.bounds``)."""
        return f"{column} > %s AND {column} <= %s"

    @property
    def bounds(self) -> list[int]:
        return [self.low, self.high]


def window_at(now: datetime | None = None) -> Window:
    now = now or timezone.now()
    earliest, latest = timestamp_window(now=now)
    return Window(
        low=math.floor(earliest.timestamp()) - MINUTE,
        high=math.ceil(latest.timestamp() / MINUTE) * MINUTE,
        now=now,
    )


def quarantine_entries() -> dict[int, int | None]:
    """reading_at → gas_at of every entry: read once per pass (there are none, or a handful)."""
    return dict(fetch(f"SELECT reading_at, gas_at FROM {QUARANTINE}"))


def quarantine_refresh(*, first: int, last: int, window: Window, entries: dict[int, int | None]) -> None:
    """Re-judge the readings stamped in [first, last]: record those outside the window, forget entries
    whose reading is gone or now fine; ``entries`` (from ``quarantine_entries``) is kept up to date. A
    reading is logged when it is first set aside, not at every pass."""
    rows = fetch(
        f"SELECT timestamp, extra_device_timestamp FROM {READINGS} WHERE timestamp >= %s AND timestamp <= %s "
        f"AND (NOT ({window.contains('timestamp')}) OR NOT ({window.contains('extra_device_timestamp')}))",
        [first, last, *window.bounds, *window.bounds],
    )
    outside = dict(rows)
    known = {reading_at for reading_at in entries if first <= reading_at <= last}
    stale = [r for r in known if r not in outside or outside[r] != entries[r]]  # gone, fine, or changed
    if stale:
        QuarantinedReading.objects.filter(reading_at__in=stale).delete()
    fresh = []
    for reading_at, gas_at in outside.items():
        if reading_at in known and gas_at == entries[reading_at]:
            continue
        whole = window.clip(reading_at, reading_at) is None
        reason = _reason(reading_at, gas_at, whole=whole, window=window)
        if reading_at not in known:
            logger.warning("reading %s left out of processing: %s", seconds_text(reading_at), reason)
        fresh.append(
            QuarantinedReading(
                reading_at=reading_at,
                gas_at=gas_at,
                whole=whole,
                reason=reason[: QuarantinedReading._meta.get_field("reason").max_length],
                quarantined_at=window.now,
            )
        )
    if fresh:
        QuarantinedReading.objects.bulk_create(fresh)
    for reading_at in stale:
        del entries[reading_at]
    entries.update((entry.reading_at, entry.gas_at) for entry in fresh)


def quarantine_release_due(*, window: Window, entries: dict[int, int | None]) -> int:
    """Mark the minutes of entries that now lie inside the window (they were ahead of the clock) as
    pending, so that this pass re-judges and places them; returns how many."""

    def inside(seconds: int | None) -> bool:
        return seconds is None or window.low < seconds <= window.high

    minutes = {
        reading_at // MINUTE
        for reading_at, gas_at in entries.items()
        if inside(reading_at) and inside(gas_at)
    }
    if minutes:
        PendingMinute.objects.bulk_create([PendingMinute(minute=m) for m in minutes], ignore_conflicts=True)
    return len(minutes)


def placeable_readings(*, window: Window | None = None) -> QuerySet[DsmrReading]:
    """The readings processing places (pages showing "the latest reading" must not show one from 2099)."""
    window = window or window_at()
    return DsmrReading.objects.filter(
        timestamp__gt=from_epoch(window.low), timestamp__lte=from_epoch(window.high)
    )


def quarantine_summary(*, first: int = 3) -> dict[str, Any]:
    """How many stored readings are left out of processing, and the ``first`` few (time and reason).
    An entry whose reading was deleted since the last pass no longer counts."""
    present = QuarantinedReading.objects.filter(
        Exists(DsmrReading.objects.filter(timestamp=OuterRef("reading_at")))
    )
    return {
        "count": present.count(),
        "first": [
            {
                "timestamp": seconds_text(entry.reading_at),
                "reason": entry.reason,
                "since": entry.quarantined_at,
            }
            for entry in present[:first]
        ],
    }


def _reason(reading_at: int, gas_at: int | None, *, whole: bool, window: Window) -> str:
    if whole:
        return _problem(reading_at, "timestamp", window) or "timestamp out of range"
    problem = _problem(gas_at, "extra_device_timestamp", window) or "gas timestamp out of range"
    return f"{problem}; only its gas value is left out"


def _problem(seconds: int, what: str, window: Window) -> str | None:
    try:
        moment = from_epoch(seconds)
    except (OverflowError, OSError, ValueError):
        return f"{what} {seconds} (Unix seconds) is no date"
    return timestamp_problem(moment, now=window.now, what=what)
