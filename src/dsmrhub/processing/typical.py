"""A typical day: what the same weekday used, on average, up to the same time of day.

The dashboard compares today so far with it. The rule, from the hour statistics only:

- the days compared are the last ``TYPICAL_WEEKS`` same weekdays before today (today − 7, − 14, … days);
- a day's use up to the time of day t is the sum of its hour statistics of the hours that end at or
  before t, plus the hour containing t prorated by the part of it that has passed (a linear share:
  hour statistics know no finer shape);
- a day counts when its data covers midnight to t: it has a statistic for its first hour and for the hour
  containing t (a gap in between is booked by processing in the first hour after it, so the sum holds).
  A day the meter was off, or before the first reading, is left out rather than averaged as zero;
- the average is the sum over the counted days divided by their number, rounded half up to 3 decimals.

The time of day is local wall-clock time, so on a 23- or 25-hour day 12:00 is an hour more or less after
midnight than usual, as a person would compare it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from dsmrhub.processing.models import HourStatistics
from dsmrhub.processing.periods import HOUR, day_start, from_epoch, local_zone, to_epoch

TYPICAL_WEEKS = 4
TYPICAL_FIELDS = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")
KWH = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class TypicalDay:
    """The average of ``days`` same weekdays (of the last ``weeks``) up to a time of day: kWh and m³."""

    days: int
    weeks: int
    electricity: Decimal  # delivered, both tariffs
    electricity_returned: Decimal
    gas: Decimal


def _cut(day: date, moment: datetime) -> int:
    """Unix seconds of ``day`` at ``moment``'s local wall-clock time."""
    local = moment.astimezone(local_zone())
    return to_epoch(datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=local_zone()))


def typical_day_until(*, moment: datetime, weeks: int = TYPICAL_WEEKS) -> TypicalDay | None:
    """The same weekday's average use from midnight up to ``moment``'s time of day (see the module's rule),
    over the last ``weeks`` such days before ``moment``'s day; None when none of them counts or no time of
    the day has passed yet. One query."""
    today = moment.astimezone(local_zone()).date()
    spans: list[tuple[int, int]] = []  # (midnight, cut) per compared day
    for week in range(1, weeks + 1):
        day = today - timedelta(days=7 * week)
        start, cut = day_start(day), _cut(day, moment)
        if cut > start:
            spans.append((start, cut))
    if not spans:
        return None
    ranges = Q()
    for start, cut in spans:
        last_hour = start + (cut - start - 1) // HOUR * HOUR  # the hour containing the cut
        ranges |= Q(hour_start__gte=from_epoch(start), hour_start__lte=from_epoch(last_hour))
    hours = {
        to_epoch(row["hour_start"]): row
        for row in HourStatistics.objects.filter(ranges).values("hour_start", *TYPICAL_FIELDS)
    }
    sums = dict.fromkeys(TYPICAL_FIELDS, Decimal(0))
    counted = 0
    for start, cut in spans:
        last_hour = start + (cut - start - 1) // HOUR * HOUR
        if start not in hours or last_hour not in hours:
            continue
        counted += 1
        for hour in range(start, last_hour + HOUR, HOUR):
            row = hours.get(hour)
            if row is None:
                continue
            share = Decimal(1) if hour + HOUR <= cut else Decimal(cut - hour) / HOUR
            for name in TYPICAL_FIELDS:
                sums[name] += row[name] * share
    if not counted:
        return None

    def average(value: Decimal) -> Decimal:
        return (value / counted).quantize(KWH, rounding=ROUND_HALF_UP)

    return TypicalDay(
        days=counted,
        weeks=weeks,
        electricity=average(sums["electricity1"] + sums["electricity2"]),
        electricity_returned=average(sums["electricity1_returned"] + sums["electricity2_returned"]),
        gas=average(sums["gas"]),
    )
