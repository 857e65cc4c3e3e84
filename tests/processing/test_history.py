"""processing.history: imported day and hour statistics (DSMR-reader history) and how processing keeps or
replaces them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.prices.costs import round_cents
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.export import export_rows
from dsmrhub.processing.history import ImportedDay, ImportedHour, statistics_import
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import day_end, day_start, from_epoch
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from tests.processing.builders import steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
# Europe/Amsterdam in March (before the 29th): local midnight is 23:00 UTC the day before.
MARCH_1, MARCH_2, MARCH_3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def imported_day(day: date, e1: str = "10.000", gas: str = "2.000") -> ImportedDay:
    return ImportedDay(
        day=day,
        electricity1=D(e1),
        electricity2=D("1.500"),
        electricity1_returned=D("0.250"),
        electricity2_returned=D("0"),
        gas=D(gas),
        electricity1_reading=D("900.000"),
        electricity2_reading=D("50.000"),
        electricity1_returned_reading=D("5.000"),
        electricity2_returned_reading=D("0"),
        gas_reading=D("400.000"),
    )


def imported_hours(day: date, e1: str = "0.400") -> list[ImportedHour]:
    return [
        ImportedHour(
            hour_start=from_epoch(moment),
            electricity1=D(e1),
            electricity2=D("0"),
            electricity1_returned=D("0"),
            electricity2_returned=D("0"),
            gas=D("0.080"),
        )
        for moment in range(day_start(day), day_end(day), 3600)
    ]


def test_imported_rows_are_marked_priced_by_their_contract_and_written_once():
    contract = EnergyContract.objects.create(
        description="c",
        start=date(2026, 1, 1),
        electricity_delivered_1_price=D("0.20"),
        electricity_delivered_2_price=D("0.30"),
        electricity_returned_1_price=D("0.10"),
        gas_price=D("0.80"),
        fixed_daily_cost=D("0.50"),
    )
    result = statistics_import(days=[imported_day(MARCH_1)], hours=imported_hours(MARCH_1))
    assert (result.days, result.hours, result.days_skipped, result.hours_skipped) == (1, 24, 0, 0)
    row = DayStatistics.objects.get(day=MARCH_1)
    assert row.imported and row.electricity1 == D("10.000") and row.gas_reading == D("400.000")
    e1 = round_cents(D("10.000") * contract.electricity_delivered_1_price - D("0.250") * D("0.10"))
    e2 = round_cents(D("1.500") * contract.electricity_delivered_2_price)
    gas = round_cents(D("2.000") * contract.gas_price)
    assert (row.electricity1_cost, row.electricity2_cost, row.gas_cost) == (e1, e2, gas)
    assert row.total_cost == round_cents(e1 + e2 + gas + contract.fixed_daily_cost)
    assert HourStatistics.objects.filter(imported=True).count() == 24
    again = statistics_import(days=[imported_day(MARCH_1, e1="99")], hours=imported_hours(MARCH_1, e1="9"))
    assert (again.days, again.hours, again.days_skipped, again.hours_skipped) == (0, 0, 1, 24)
    assert DayStatistics.objects.get(day=MARCH_1).electricity1 == D("10.000")


def test_import_skips_periods_with_own_statistics():
    store(*steady_stream(utc(2026, 3, 1, 23), utc(2026, 3, 3, 0), step=timedelta(minutes=1), gas_every=None))
    processing_run_pending()
    own = DayStatistics.objects.get(day=MARCH_2)
    result = statistics_import(days=[imported_day(MARCH_2)], hours=imported_hours(MARCH_2))
    assert (result.days, result.hours, result.days_skipped, result.hours_skipped) == (0, 0, 1, 24)
    assert DayStatistics.objects.get(day=MARCH_2).electricity1 == own.electricity1
    assert not HourStatistics.objects.filter(imported=True).exists()


def test_a_hour_start_that_is_not_a_local_hour_is_refused():
    hour = imported_hours(MARCH_1)[0]
    with pytest.raises(ValueError, match="not the start of a local hour"):
        statistics_import(
            hours=[ImportedHour(**{**_fields(hour), "hour_start": hour.hour_start.replace(minute=30)})]
        )
    with pytest.raises(ValueError, match="naive"):
        statistics_import(hours=[ImportedHour(**{**_fields(hour), "hour_start": datetime(2026, 3, 1, 0)})])
    assert not HourStatistics.objects.exists()


def _fields(row) -> dict:
    return {name: getattr(row, name) for name in row.__slots__}


def test_rebuild_and_processing_keep_imported_days_without_readings():
    statistics_import(days=[imported_day(MARCH_1)], hours=imported_hours(MARCH_1))
    # Readings start at local midnight of March 2 (23:00 UTC on March 1).
    store(*steady_stream(utc(2026, 3, 1, 23), utc(2026, 3, 3, 0), step=timedelta(minutes=1), gas_every=None))
    processing_run_pending()
    processing_rebuild()
    assert DayStatistics.objects.get(day=MARCH_1).imported
    assert HourStatistics.objects.filter(imported=True).count() == 24
    assert not DayStatistics.objects.get(day=MARCH_2).imported
    processing_rebuild(since=MARCH_1)
    assert DayStatistics.objects.get(day=MARCH_1).electricity1 == D("10.000")
    assert HourStatistics.objects.filter(imported=True).count() == 24


def test_own_statistics_replace_imported_ones_where_readings_cover_the_period():
    statistics_import(days=[imported_day(MARCH_2)], hours=imported_hours(MARCH_2))
    # From local midnight (23:00 UTC) of March 2: the whole day is seen.
    store(*steady_stream(utc(2026, 3, 1, 23), utc(2026, 3, 3, 0), step=timedelta(minutes=1), gas_every=None))
    processing_run_pending()
    day = DayStatistics.objects.get(day=MARCH_2)
    assert not day.imported
    assert day.electricity1 == D("1.800") * 24  # steady 1.8 kW, not the imported 10.000
    assert not HourStatistics.objects.filter(imported=True).exists()
    assert HourStatistics.objects.filter(hour_start__gte=from_epoch(day_start(MARCH_2))).count() >= 24


def test_a_period_that_starts_before_the_first_reading_keeps_its_imported_row():
    statistics_import(days=[imported_day(MARCH_2)], hours=imported_hours(MARCH_2))
    # The readings begin at 10:00 local (09:00 UTC) on March 2: the day and its hours before that are
    # only partly seen, so their imported rows stay; the hours from 10:00 on are replaced.
    first = utc(2026, 3, 2, 9)
    store(*steady_stream(first, utc(2026, 3, 3, 0), step=timedelta(minutes=1), gas_every=None))
    processing_run_pending()
    day = DayStatistics.objects.get(day=MARCH_2)
    assert day.imported and day.electricity1 == D("10.000")
    hours = list(HourStatistics.objects.filter(hour_start__lt=from_epoch(day_end(MARCH_2))))
    assert len(hours) == 24
    for hour in hours:
        if hour.hour_start < first:
            assert hour.imported and hour.electricity1 == D("0.400")
        else:
            assert not hour.imported and hour.electricity1 == D("1.800")


def test_export_shows_the_imported_flag():
    statistics_import(days=[imported_day(MARCH_1)], hours=imported_hours(MARCH_1))
    header, row = list(export_rows(dataset="day", first=MARCH_1, last=MARCH_1))
    assert row[header.index("imported")] == "true"
    header, *hours = list(export_rows(dataset="hour", first=MARCH_1, last=MARCH_1))
    assert len(hours) == 24 and {hour[header.index("imported")] for hour in hours} == {"true"}


def test_the_archive_marks_imported_hours_and_days():
    from dsmrhub.processing.archive import archive_data, archive_period_of

    statistics_import(days=[imported_day(MARCH_1)], hours=imported_hours(MARCH_1)[:3])
    data = archive_data(period=archive_period_of(kind="day", day=MARCH_1))
    assert data.extra["imported"] is True
    assert [row.imported for row in data.rows] == [True] * 3 + [False] * 21
    month = archive_data(period=archive_period_of(kind="month", day=MARCH_1))
    assert [row.imported for row in month.rows] == [True] + [False] * 30
