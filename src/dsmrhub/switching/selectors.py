"""Reading what an import brought that has no other home: the day temperatures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dsmrhub.processing.periods import day_end, day_start, from_epoch, local_date, to_epoch
from dsmrhub.readings.fields import round_stored
from dsmrhub.switching.models import TemperatureReading


@dataclass(frozen=True, slots=True)
class DayTemperatures:
    lowest: Decimal  # °C
    highest: Decimal
    average: Decimal  # mean of the day's hourly temperatures, 1 decimal by the stored-value rule


def day_temperatures(*, days: Iterable[date]) -> dict[date, DayTemperatures]:
    """The temperatures of each local day in ``days`` that has any (one query over their span)."""
    wanted = set(days)
    if not wanted:
        return {}
    rows = TemperatureReading.objects.filter(
        read_at__gte=from_epoch(day_start(min(wanted))), read_at__lt=from_epoch(day_end(max(wanted)))
    ).values_list("read_at", "degrees_celsius")
    by_day: dict[date, list[Decimal]] = defaultdict(list)
    for read_at, degrees in rows:
        day = local_date(to_epoch(read_at))
        if day in wanted:
            by_day[day].append(degrees)
    return {
        day: DayTemperatures(
            lowest=min(values),
            highest=max(values),
            average=round_stored(sum(values) / len(values), 1),
        )
        for day, values in by_day.items()
    }
