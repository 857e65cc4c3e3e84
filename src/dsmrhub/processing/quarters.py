"""Quarter-hour energy: the one place that says how much electricity went in and out in a quarter hour.

A quarter is [s, s + 900) with s a multiple of 900 Unix seconds (quarters are clock-aligned in every zone
with whole-quarter offsets, which is every zone in use). Its energy is A(s + 900) − A(s) per register, by the
same rule and the same code as the hour statistics (``processing.positions``): meter drops are not use, a
quarter without readings is absent (the use over a gap is booked in the first quarter after it), a quarter
that ends at or before the first reading is absent. So the four quarters of an hour add up exactly to the
hour's statistic. The running quarter is included, up to the latest reading (live).

Complete quarters are also kept in ``QuarterStatistics``, written by processing with the hour statistics
(same code, same spans, retroactive like them); ``quarter_peaks`` reads them for DSMR-reader v5's
quarter-hour peak endpoint, so paging and ordering over years of history are index reads, not a scan of
the minute rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import ExpressionWrapper, F, QuerySet, Value

from dsmrhub.processing.models import QuarterStatistics
from dsmrhub.processing.positions import NAMES, QUARTER, period_uses
from dsmrhub.processing.quarantine import Window, window_at
from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField

PEAK_ORDERINGS = (
    "read_at_start",
    "-read_at_start",
    "read_at_end",
    "-read_at_end",
    "average_delivered",
    "-average_delivered",
)


@dataclass(frozen=True, slots=True)
class QuarterEnergy:
    start: int  # Unix seconds, a multiple of 900
    delivered_1: Decimal  # kWh in the quarter
    delivered_2: Decimal
    returned_1: Decimal
    returned_2: Decimal


def quarter_energy(*, start: int, end: int, window: Window | None = None) -> list[QuarterEnergy]:
    """The quarters in [start, end) that have readings, oldest first; ``start`` and ``end`` must be
    multiples of 900. ``window``: the readings processing places (default: the plausible ones now)."""
    if start % QUARTER or end % QUARTER:
        raise ValueError(f"quarter bounds must be multiples of {QUARTER} s, not {start} and {end}")
    if end <= start:
        return []
    found = period_uses(start=start, end=end, length=QUARTER, shift=0, window=window or window_at())
    if found is None:
        return []
    _, uses = found
    return [
        QuarterEnergy(
            start=period.start, **{name: Decimal(period.use[i]).scaleb(-3) for i, name in enumerate(NAMES)}
        )
        for period in sorted(uses.values(), key=lambda period: period.start)
    ]


def quarter_peaks(
    *,
    start_gte: datetime | None = None,
    start_lte: datetime | None = None,
    ordering: str = "read_at_start",
) -> QuerySet:
    """Complete quarter hours with their average delivered power, as DSMR-reader v5's quarter-hour peaks:
    each row has ``read_at_start``, ``read_at_end`` (aware datetimes) and ``average_delivered`` (kW, 3
    decimals: (Δdelivered_1 + Δdelivered_2) × 4; exact, since kWh are stored in thousandths), plus the
    model's own columns. ``start_gte``/``start_lte`` bound ``read_at_start``; ``ordering`` is one of
    ``PEAK_ORDERINGS`` (ties broken by the start). The queryset can be filtered and ordered further on
    the annotated names."""
    if ordering not in PEAK_ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}: one of {', '.join(PEAK_ORDERINGS)}")
    rows = QuarterStatistics.objects.annotate(
        read_at_start=F("quarter_start"),
        read_at_end=ExpressionWrapper(F("quarter_start") + Value(QUARTER), output_field=EpochSecondsField()),
        average_delivered=ExpressionWrapper(
            (F("delivered_1") + F("delivered_2")) * Value(4),
            output_field=ScaledDecimalField(max_digits=12, decimal_places=3),
        ),
    )
    if start_gte is not None:
        rows = rows.filter(quarter_start__gte=start_gte)
    if start_lte is not None:
        rows = rows.filter(quarter_start__lte=start_lte)
    tie = "-quarter_start" if ordering.startswith("-") else "quarter_start"
    return rows.order_by(ordering, tie) if "start" not in ordering else rows.order_by(ordering)
