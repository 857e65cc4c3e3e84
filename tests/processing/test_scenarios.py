"""Hand-computed scenarios: every expected number below was worked out by hand from the readings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dsmrhub.processing.models import (
    DayStatistics,
    ElectricityConsumption,
    GasConsumption,
    HourStatistics,
    MeterEpoch,
    PendingMinute,
)
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal


def hours_of(day: date) -> list[HourStatistics]:
    from dsmrhub.processing.periods import day_end, day_start, from_epoch

    return list(
        HourStatistics.objects.filter(
            hour_start__gte=from_epoch(day_start(day)), hour_start__lt=from_epoch(day_end(day))
        )
    )


def test_minute_rows_hold_last_positions_and_half_up_means():
    store(
        reading(utc(2026, 3, 2, 10, 0, 1), "100.000", "50.000", power="1.000", phase_voltage_l1=D("230.0")),
        reading(utc(2026, 3, 2, 10, 0, 30), "100.004", "50.000", power="2.001", phase_voltage_l1=D("230.1")),
        # exactly on the minute's end: position at 10:01 is this reading's ("at or before")
        reading(utc(2026, 3, 2, 10, 1, 0), "100.009", "50.001", power="2.000", phase_voltage_l1=D("230.1")),
        reading(utc(2026, 3, 2, 10, 1, 1), "100.010", "50.001", power="0.001"),
    )
    processing_run_pending()
    first, second = ElectricityConsumption.objects.all()
    assert first.read_at == utc(2026, 3, 2, 10, 1)
    assert (first.delivered_1, first.delivered_2) == (D("100.009"), D("50.001"))
    assert first.currently_delivered == D("1.667")  # 5.001 / 3 = 1.667
    assert first.phase_voltage_l1 == D("230.1")  # 690.2 / 3 = 230.0667
    assert first.phase_voltage_l2 is None
    assert second.read_at == utc(2026, 3, 2, 10, 2)
    assert second.currently_delivered == D("0.001")
    assert PendingMinute.objects.count() == 0


def test_mean_rounds_half_up():
    store(
        reading(utc(2026, 3, 2, 10, 0, 10), "1", power="1.000"),
        reading(utc(2026, 3, 2, 10, 0, 20), "1", power="2.001"),
    )
    processing_run_pending()
    assert ElectricityConsumption.objects.get().currently_delivered == D("1.501")  # 1.5005 → 1.501


def test_dsmr4_hourly_and_dsmr5_five_minute_gas_give_the_same_hours():
    start = utc(2026, 3, 2, 8, 0)
    # DSMR 5: a value every 5 minutes, 0.120 m3 per hour; DSMR 4: only the value on the hour.
    dsmr5 = steady_stream(start, start + timedelta(hours=4), gas_every=timedelta(minutes=5))
    store(*dsmr5)
    processing_run_pending()
    five_minute = [(g.read_at, g.delivered, g.currently_delivered) for g in GasConsumption.objects.all()]
    hourly_stats = [(h.hour_start, h.gas) for h in HourStatistics.objects.all()]

    from dsmrhub.readings.models import DsmrReading

    DsmrReading.objects.all().delete()
    processing_rebuild()
    store(*steady_stream(start, start + timedelta(hours=4), gas_every=timedelta(hours=1)))
    processing_run_pending()
    hourly = [(g.read_at, g.delivered, g.currently_delivered) for g in GasConsumption.objects.all()]
    assert hourly == five_minute
    assert [(h.hour_start, h.gas) for h in HourStatistics.objects.all()] == hourly_stats
    # hour 08:00-09:00 closes with the value stamped 09:00: 500.120, used 0.120
    assert (utc(2026, 3, 2, 8), D("500.120"), D("0.120")) in hourly
    assert (utc(2026, 3, 2, 10), D("500.360"), D("0.120")) in hourly


def test_spring_forward_day_has_23_hours_that_add_up():
    # Europe/Amsterdam: 2026-03-29 00:00 local = 2026-03-28 23:00 UTC; the day ends 2026-03-29 22:00 UTC.
    store(
        *steady_stream(utc(2026, 3, 28, 22), utc(2026, 3, 30, 0), step=timedelta(minutes=1), gas_every=None)
    )
    processing_run_pending()
    hours = hours_of(date(2026, 3, 29))
    assert len(hours) == 23
    day = DayStatistics.objects.get(day=date(2026, 3, 29))
    assert day.electricity1 == sum(h.electricity1 for h in hours)
    assert day.electricity1 == D("41.400")  # 23 h × 1.8 kW


def test_fall_back_day_has_25_hours_that_add_up():
    store(
        *steady_stream(utc(2026, 10, 24, 21), utc(2026, 10, 26, 0), step=timedelta(minutes=1), gas_every=None)
    )
    processing_run_pending()
    hours = hours_of(date(2026, 10, 25))
    assert len(hours) == 25
    day = DayStatistics.objects.get(day=date(2026, 10, 25))
    assert day.electricity1 == sum(h.electricity1 for h in hours) == D("45.000")


def test_meter_replacement_starts_a_new_epoch_without_negative_use():
    store(
        reading(utc(2026, 3, 2, 10, 0, 0), "5000.000", "3000.000"),
        reading(utc(2026, 3, 2, 10, 30, 0), "5000.400", "3000.000"),
        # new meter: all registers start near zero
        reading(utc(2026, 3, 2, 10, 30, 10), "0.010", "0.000"),
        reading(utc(2026, 3, 2, 11, 0, 0), "0.300", "0.100"),
        reading(utc(2026, 3, 2, 12, 0, 0), "1.300", "0.100"),
    )
    processing_run_pending()
    hours = {h.hour_start.hour: h for h in HourStatistics.objects.all()}
    # 5000.000 → 5000.400 (0.400), drop not counted, 0.010 → 0.300 (0.290)
    assert hours[10].electricity1 == D("0.690")
    assert hours[10].electricity2 == D("0.100")
    assert hours[11].electricity1 == D("1.000")
    epochs = {e.register: e for e in MeterEpoch.objects.all()}
    assert set(epochs) == {"delivered_1", "delivered_2"}
    assert (epochs["delivered_1"].before, epochs["delivered_1"].after) == (D("5000.400"), D("0.010"))
    assert all(h.electricity1 >= 0 and h.electricity2 >= 0 for h in hours.values())


def test_a_gap_of_hours_books_the_use_in_the_first_hour_after_it():
    store(
        reading(utc(2026, 3, 2, 9, 0), "100.000"),
        reading(utc(2026, 3, 2, 9, 59, 30), "100.500"),
        # nothing from 10:00 to 14:00
        reading(utc(2026, 3, 2, 14, 0, 30), "104.000"),
        reading(utc(2026, 3, 2, 15, 0), "104.600"),
    )
    processing_run_pending()
    hours = [(h.hour_start.hour, h.electricity1) for h in HourStatistics.objects.all()]
    # the reading at 09:00:00 is the position at the end of hour 08-09 (at or before its end)
    assert hours == [(8, D("0.000")), (9, D("0.500")), (14, D("4.100"))]
    assert sum(value for _, value in hours) == D("4.600")  # the whole meter advance


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
