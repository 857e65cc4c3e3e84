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
recomputed from the imported use and the contract in force, not copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import hour_shift, hour_start_of, to_epoch
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
                    electricity1_cost=ZERO,
                    electricity2_cost=ZERO,
                    gas_cost=ZERO,
                    fixed_cost=ZERO,
                    total_cost=ZERO,
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
                    imported=True, **{name: getattr(hour, name) for name in ImportedHour.__slots__}
                )
                for hour in hours
            ],
        )
        DayStatistics.objects.bulk_create(day_rows, batch_size=BATCH)
        HourStatistics.objects.bulk_create(hour_rows, batch_size=BATCH)
        if day_rows:
            statistics_costs_refresh(first_day=day_rows[0].day, last_day=day_rows[-1].day)
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
