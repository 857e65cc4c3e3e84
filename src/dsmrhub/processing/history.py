"""Imported history: hour and day statistics brought in from another program (DSMR-reader) for periods
whose raw readings are gone.

They are ordinary ``HourStatistics``/``DayStatistics`` rows with ``imported=True``, so the API, archive,
trends and export show them like any other. What processing does with them (``processing.statistics``):

- a refresh or rebuild never deletes them;
- where processing computes its own row for a period that starts at or after the first reading, the own row
  replaces the imported one (readings are the source of truth);
- a period that starts before the first reading keeps its imported row (processing would only see the part
  after the first reading), and so does a period for which processing has no readings at all.

Costs of imported days follow the contracts like every day's (``statistics_costs_refresh``): they are
recomputed from the imported use and the contract in force, not copied. Without readings there are no
quarter hours, so the cost engine (``processing.costs``) prices an imported day from its hour statistics:
a fixed contract from the day's totals; time-of-use bands per hour, where one band holds the whole hour;
a dynamic contract per hour, where one market price holds the whole hour (an hourly series). Use that
cannot be priced that way (an hour across a band change or with several quarter-hour prices, or the part
of the day its hours do not cover unless one price holds all day) leaves the day's costs null and counted
in ``costs_missing``, never 0.00.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import from_epoch, hour_shift, hour_start_of, local_date, to_epoch
from dsmrhub.processing.sql import lock_derived_data
from dsmrhub.processing.statistics import statistics_costs_refresh

ZERO = Decimal("0.000")
BATCH = 1000


@dataclass(frozen=True, slots=True)
class ImportedHour:
    hour_start: datetime  # aware; the start of a local hour
    electricity1: Decimal
    electricity2: Decimal
    electricity1_returned: Decimal
    electricity2_returned: Decimal
    gas: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ImportedDay:
    day: date  # a local day
    electricity1: Decimal
    electricity2: Decimal
    electricity1_returned: Decimal
    electricity2_returned: Decimal
    gas: Decimal
    # meter positions at the start of the day
    electricity1_reading: Decimal
    electricity2_reading: Decimal
    electricity1_returned_reading: Decimal
    electricity2_returned_reading: Decimal
    gas_reading: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StatisticsImportResult:
    days: int  # imported day rows written
    hours: int  # imported hour rows written
    days_skipped: int  # days that already had a row (own statistics, or imported by an earlier run)
    hours_skipped: int


def statistics_import(
    *, days: Sequence[ImportedDay] = (), hours: Sequence[ImportedHour] = ()
) -> StatisticsImportResult:
    """Store imported day and hour statistics where no statistics exist yet (own or imported): idempotent,
    a second run with the same rows writes nothing. One transaction under the derived-data lock; the
    days written are priced by their contracts."""
    for hour in hours:
        if hour.hour_start.tzinfo is None:
            raise ValueError(f"naive hour_start {hour.hour_start}; hour starts must be aware")
        seconds = to_epoch(hour.hour_start)
        if hour.hour_start.microsecond or hour_start_of(seconds, hour_shift(seconds, seconds)) != seconds:
            raise ValueError(f"hour_start {hour.hour_start.isoformat()} is not the start of a local hour")
    with transaction.atomic():
        lock_derived_data()
        day_rows = _new_rows(
            DayStatistics,
            "day",
            [
                DayStatistics(
                    imported=True,
                    fixed_cost=ZERO,  # the costs are the engine's, below
                    **{name: getattr(day, name) for name in ImportedDay.__slots__},
                )
                for day in days
            ],
        )
        hour_rows = _new_rows(
            HourStatistics,
            "hour_start",
            [
                HourStatistics(
                    imported=True,
                    **{name: getattr(hour, name) for name in ImportedHour.__slots__[1:]},
                    # in UTC: two local datetimes of one zone compare by wall time, so the repeated hour of
                    # a 25-hour day would count as a duplicate of the first
                    hour_start=from_epoch(to_epoch(hour.hour_start)),
                )
                for hour in hours
            ],
        )
        DayStatistics.objects.bulk_create(day_rows, batch_size=BATCH)
        HourStatistics.objects.bulk_create(hour_rows, batch_size=BATCH)
        # The days written, and the imported days whose hours were written (hours may come in another run).
        touched = [row.day for row in day_rows] + [local_date(to_epoch(row.hour_start)) for row in hour_rows]
        if touched:
            statistics_costs_refresh(first_day=min(touched), last_day=max(touched))
    return StatisticsImportResult(
        days=len(day_rows),
        hours=len(hour_rows),
        days_skipped=len(days) - len(day_rows),
        hours_skipped=len(hours) - len(hour_rows),
    )


def _new_rows(model, key: str, rows: list) -> list:
    """``rows`` whose period has no row yet (the first of duplicates in ``rows`` itself), oldest first."""
    if not rows:
        return []
    rows.sort(key=lambda row: getattr(row, key))
    low, high = getattr(rows[0], key), getattr(rows[-1], key)
    taken = set(model.objects.filter(**{f"{key}__gte": low, f"{key}__lte": high}).values_list(key, flat=True))
    new = []
    for row in rows:
        value = getattr(row, key)
        if value not in taken:
            taken.add(value)
            new.append(row)
    return new
