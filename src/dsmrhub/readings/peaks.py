"""A Belgian meter's own quarter-hour demand figures: what a capacity tariff is billed on.

e-MUCS meters send the running quarter's average demand (1-0:1.4.0), this month's highest quarter-hour
demand with its time (1-0:1.6.0) and the peaks of up to 13 finished months (0-0:98.1.0). The first two are
columns of every reading (``DsmrReading.current_average_demand``, ``maximum_demand_month``,
``maximum_demand_month_at``); the month history is kept in ``MeterMonthPeak``, one row per month, written
from the newest telegram of each ingest (``meter_month_peaks_store``, called with the meter statistics).

A history entry is (stamp)(peak time)(kW) with the stamp at the end of the month the peak belongs to (the
meter closes April's peak on 1 May 00:00): the month is the local month of the second before the stamp.
An entry without a peak time (a meter sends ``632525252525W`` and 0 kW for a month it has no peak of)
is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from dsmrhub.readings.models import DsmrReading, MeterMonthPeak
from dsmrhub.readings.sql import upsert
from dsmrhub.telegram import Telegram
from dsmrhub.telegram.model import MonthlyPeak


@dataclass(frozen=True, slots=True)
class MeterPeak:
    month: date  # the first day of the local month
    value: Decimal  # kW, as the meter sent it
    occurred_at: datetime | None  # when the peak happened, as the meter sent it
    final: bool  # True: a finished month (0-0:98.1.0); False: the running month (1-0:1.6.0, latest reading)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _month_of(moment: datetime) -> date:
    return moment.astimezone(_zone()).date().replace(day=1)


def peak_month(peak: MonthlyPeak) -> date | None:
    """The local month a history entry belongs to; None for an empty entry."""
    if peak.occurred_at is None:
        return None
    if peak.period_start is not None:
        return _month_of(peak.period_start - timedelta(seconds=1))
    return _month_of(peak.occurred_at)


def meter_month_peaks_store(*, parsed: Telegram) -> int:
    """Keep the finished months of a telegram's 0-0:98.1.0 history; returns the months written (new or
    changed). One read, and a write only for what changed, so a telegram that repeats the history (every
    telegram of a month does) costs one query."""
    if not parsed.maximum_demand_history:
        return 0
    offered: dict[date, MonthlyPeak] = {}
    for peak in parsed.maximum_demand_history:
        month = peak_month(peak)
        if month is not None:
            offered[month] = peak
    if not offered:
        return 0
    stored = {
        row[0]: row[1:]
        for row in MeterMonthPeak.objects.filter(month__in=list(offered)).values_list(
            "month", "occurred_at", "value"
        )
    }
    written = 0
    for month, peak in offered.items():
        if stored.get(month) != (peak.occurred_at, peak.value):
            upsert(
                MeterMonthPeak,
                ("month", month),
                {"occurred_at": peak.occurred_at, "value": peak.value},
                only_if="TRUE",
            )
            written += 1
    return written


def meter_month_peaks(*, first: date | None = None, last: date | None = None) -> list[MeterPeak]:
    """The meter's own monthly peaks, oldest first: the finished months it listed (``final``), then the
    running month from the latest reading's 1-0:1.6.0 when that reading has one. ``first``/``last`` bound
    the months (any day of a month selects it). Empty for meters that do not send these registers."""
    rows = MeterMonthPeak.objects.all()
    if first is not None:
        rows = rows.filter(month__gte=first.replace(day=1))
    if last is not None:
        rows = rows.filter(month__lte=last)
    peaks = [
        MeterPeak(month=row.month, value=row.value, occurred_at=row.occurred_at, final=True) for row in rows
    ]
    latest = (
        DsmrReading.objects.order_by("-timestamp")
        .values("timestamp", "maximum_demand_month", "maximum_demand_month_at")
        .first()
    )
    if latest is None or latest["maximum_demand_month"] is None:
        return peaks
    month = _month_of(latest["timestamp"])
    at = latest["maximum_demand_month_at"]
    in_month = at is None or _month_of(at) == month  # just after midnight it may still show last month's
    known = {peak.month for peak in peaks}
    wanted = (first is None or month >= first.replace(day=1)) and (last is None or month <= last)
    if in_month and wanted and month not in known:
        peaks.append(
            MeterPeak(month=month, value=latest["maximum_demand_month"], occurred_at=at, final=False)
        )
    return peaks
