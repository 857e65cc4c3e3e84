"""Statistics start at the first reading: no hour or day (and so no fixed cost) before it, and the first
(partial) day starts from the first positions, gas included."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import from_epoch
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
# Europe/Amsterdam in March (before the 29th): local midnight is 23:00 UTC the day before.
MARCH_1, MARCH_2 = date(2026, 3, 1), date(2026, 3, 2)


@pytest.fixture
def contract():
    return EnergyContract.objects.create(
        description="fixed",
        start=date(2026, 1, 1),
        electricity_delivered_1_price=D("0.20"),
        fixed_daily_cost=D("0.75"),
    )


def test_a_first_reading_at_midnight_gives_no_day_before_it(contract):
    start = utc(2026, 3, 1, 23)  # 2026-03-02 00:00 local
    rows = steady_stream(start, utc(2026, 3, 3, 0), step=timedelta(minutes=1))
    store(*rows)
    processing_run_pending()
    assert not HourStatistics.objects.filter(hour_start__lt=start).exists()
    assert list(DayStatistics.objects.values_list("day", flat=True)) == [MARCH_2]
    day = DayStatistics.objects.get()
    assert day.fixed_cost == contract.fixed_daily_cost
    assert day.electricity1_reading == rows[0].electricity_delivered_1
    assert day.gas_reading == rows[0].extra_device_delivered  # the first gas value, stamped at midnight
    assert day.electricity1 == rows[24 * 60].electricity_delivered_1 - rows[0].electricity_delivered_1


def test_a_dsmr4_gas_value_stamped_before_the_first_reading_gives_no_hour_or_day(contract):
    # DSMR 4: the first reading (00:00:05 local) carries the gas value stamped at 00:00 local, which
    # closes the gas hour 23:00-00:00 of March 1 (a day without readings).
    midnight = utc(2026, 3, 1, 23)
    first_gas = D("800.000")
    rows = [
        reading(
            midnight + timedelta(seconds=5 + 60 * n),
            D("100") + D(n).scaleb(-2),
            gas=(midnight + timedelta(hours=n // 60), str(first_gas + D(n // 60).scaleb(-1))),
        )
        for n in range(25 * 60)
    ]
    store(*rows)
    processing_run_pending()
    assert not DayStatistics.objects.filter(day=MARCH_1).exists()
    assert not HourStatistics.objects.filter(hour_start__lt=midnight).exists()
    day = DayStatistics.objects.get(day=MARCH_2)
    assert day.fixed_cost == contract.fixed_daily_cost
    assert day.gas_reading == first_gas  # the position at midnight, from the value before the first hour
    # gas stamped 01:00 … 00:00 the next day: 24 steps of 0.1 m3 within March 2
    assert day.gas == D("0.1") * 24
    processing_rebuild()
    assert list(DayStatistics.objects.values_list("day", flat=True)) == [MARCH_2]


def test_the_first_partial_day_starts_at_the_first_positions(contract):
    first = utc(2026, 3, 2, 9, 20)  # 10:20 local
    rows = steady_stream(first, utc(2026, 3, 3, 0), step=timedelta(seconds=30))
    store(*rows)
    processing_run_pending()
    hours = list(HourStatistics.objects.all())
    assert hours[0].hour_start == utc(2026, 3, 2, 9)  # the hour holding the first reading, not before
    day = DayStatistics.objects.get()
    assert day.day == MARCH_2 and day.fixed_cost == contract.fixed_daily_cost
    assert day.electricity1_reading == rows[0].electricity_delivered_1
    assert day.gas_reading == rows[0].extra_device_delivered
    at_midnight = next(row for row in rows if row.timestamp == utc(2026, 3, 2, 23))
    assert day.gas == at_midnight.extra_device_delivered - rows[0].extra_device_delivered
    assert day.electricity1 == at_midnight.electricity_delivered_1 - rows[0].electricity_delivered_1
    assert (
        sum(hour.electricity1 for hour in hours if hour.hour_start < from_epoch(1772492400))
        == day.electricity1
    )
