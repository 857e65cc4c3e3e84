"""Processing as a whole, by hand-computed scenarios: late readings and rebuilds touch exactly the periods
they concern. What one module does is tested in its own file (test_minutes, test_gas, test_epochs,
test_statistics)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dsmrhub.processing.models import (
    DayStatistics,
    GasConsumption,
    HourStatistics,
    PendingMinute,
)
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_reading_for_last_week_updates_the_hours_it_touches():
    start = utc(2026, 3, 1)
    missing = {utc(2026, 3, 3, 11), utc(2026, 3, 3, 12)}
    hourly = [start + timedelta(hours=n) for n in range(8 * 24 + 1)]
    store(*(reading(at, D(1000 + n)) for n, at in enumerate(hourly) if at not in missing))
    processing_run_pending()
    before = {h.hour_start: h.electricity1 for h in HourStatistics.objects.all()}
    days_before = {d.day: d.electricity1 for d in DayStatistics.objects.all()}
    assert before[utc(2026, 3, 3, 12)] == D("3.000")  # 10:00 → 13:00 booked in the first hour with data
    assert utc(2026, 3, 3, 10) not in before

    store(reading(utc(2026, 3, 3, 11), D(1000 + 59)))  # arrives a week late
    assert PendingMinute.objects.count() == 1
    processing_run_pending()
    after = {h.hour_start: h.electricity1 for h in HourStatistics.objects.all()}
    changed = {hour: value for hour, value in after.items() if before.get(hour) != value}
    assert changed == {utc(2026, 3, 3, 10): D("1.000"), utc(2026, 3, 3, 12): D("2.000")}
    assert {d.day: d.electricity1 for d in DayStatistics.objects.all()} == days_before


def test_rebuild_since_a_date_equals_the_incremental_result():
    store(*steady_stream(utc(2026, 3, 1), utc(2026, 3, 4), step=timedelta(minutes=1)))
    processing_run_pending()
    snapshot = (
        list(HourStatistics.objects.values_list()),
        list(DayStatistics.objects.values_list()),
        list(GasConsumption.objects.values_list()),
    )
    processing_rebuild(since=date(2026, 3, 2))
    assert snapshot == (
        list(HourStatistics.objects.values_list()),
        list(DayStatistics.objects.values_list()),
        list(GasConsumption.objects.values_list()),
    )
