"""processing.statistics: minute rows, gas hours and meter epochs → hour and day statistics of complete
local periods, the days priced by their contract."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.prices.costs import round_cents
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.minutes import minutes_refresh
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.periods import day_end, day_start, from_epoch, to_epoch
from dsmrhub.processing.quarantine import Window
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.processing.statistics import latest_reading_at, statistics_costs_refresh, statistics_refresh
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
EVERYTHING = Window(low=0, high=to_epoch(utc(2100, 1, 1)), now=utc(2026, 3, 3))
# Europe/Amsterdam in March (before the 29th): local midnight is 23:00 UTC the day before.
MARCH_2 = date(2026, 3, 2)


def hours_of(day: date) -> list[HourStatistics]:
    return list(
        HourStatistics.objects.filter(
            hour_start__gte=from_epoch(day_start(day)), hour_start__lt=from_epoch(day_end(day))
        )
    )


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
    # the reading at 09:00:00 is the position at the end of hour 08-09, the first reading: that hour's
    # use is unknown, so it has no row (statistics start at the first reading)
    assert hours == [(9, D("0.500")), (14, D("4.100"))]
    assert sum(value for _, value in hours) == D("4.600")  # the whole meter advance


def test_latest_reading_at_counts_only_readings_inside_the_window():
    store(reading(utc(2026, 3, 2, 10), "1"), reading(utc(2026, 3, 2, 11), "2"), reading(utc(2036, 1, 1), "3"))
    window = Window(low=to_epoch(utc(2026, 3, 1)), high=to_epoch(utc(2026, 3, 3)), now=utc(2026, 3, 2, 12))
    assert latest_reading_at(window=window) == to_epoch(utc(2026, 3, 2, 11))
    assert latest_reading_at(window=EVERYTHING) == to_epoch(utc(2036, 1, 1))
    empty = Window(low=to_epoch(utc(2020, 1, 1)), high=to_epoch(utc(2020, 1, 2)), now=utc(2020, 1, 1))
    assert latest_reading_at(window=empty) is None


def a_day_of_use(*, until: datetime) -> None:
    """Hourly readings from the start of March 2 (local) up to ``until``, processed: 0.250 kWh an hour on
    tariff 1 from 07:00 to 23:00, 0.100 on tariff 2 otherwise, 0.500 returned on tariff 1 from 12:00 to
    18:00."""
    start = from_epoch(day_start(MARCH_2))
    d1, d2, r1 = D("1000.000"), D("2000.000"), D("10.000")
    rows = []
    moment = start
    while moment <= until:
        rows.append(reading(moment, d1, d2, r1=r1))
        local_hour = (moment - start) // timedelta(hours=1) % 24
        if 7 <= local_hour < 23:
            d1 += D("0.250")
        else:
            d2 += D("0.100")
        if 12 <= local_hour < 18:
            r1 += D("0.500")
        moment += timedelta(hours=1)
    store(*rows)
    processing_run_pending()


def test_hours_are_written_once_complete_and_a_day_once_it_has_ended():
    noon = from_epoch(day_start(MARCH_2)) + timedelta(hours=12)
    a_day_of_use(until=noon)
    hours = hours_of(MARCH_2)
    assert [h.hour_start for h in hours] == [
        from_epoch(day_start(MARCH_2)) + timedelta(hours=n) for n in range(12)
    ]  # the hour that starts at the last reading is not complete yet
    assert not DayStatistics.objects.filter(day=MARCH_2).exists()

    midnight = from_epoch(day_end(MARCH_2))
    store(reading(midnight, "1003.000", "2000.800", r1="13.000"))  # after a gap of 12 hours
    minutes_refresh(first=to_epoch(midnight), last=to_epoch(midnight), window=EVERYTHING)
    statistics_refresh(first_day=MARCH_2, last_day=MARCH_2, window=EVERYTHING)
    day = DayStatistics.objects.get(day=MARCH_2)
    assert (day.electricity1_reading, day.electricity2_reading) == (D("1000.000"), D("2000.000"))
    assert day.electricity1 == sum(h.electricity1 for h in hours_of(MARCH_2)) == D("3.000")


def test_a_day_is_priced_by_its_contract_and_repriced_when_the_contract_changes():
    end = from_epoch(day_end(MARCH_2))
    a_day_of_use(until=end)
    day = DayStatistics.objects.get(day=MARCH_2)
    assert day.electricity1 == D("0.250") * 16 and day.electricity2 == D("0.100") * 8
    assert day.electricity1_returned == D("0.500") * 6
    assert day.total_cost == D("0.00")  # no contract yet

    prices = {
        "electricity_delivered_1_price": D("0.254321"),
        "electricity_delivered_2_price": D("0.201234"),
        "electricity_returned_1_price": D("0.071111"),
        "gas_price": D("1.10"),
        "fixed_daily_cost": D("0.987654"),
    }
    contract = EnergyContract.objects.create(description="March", start=MARCH_2, end=MARCH_2, **prices)
    assert statistics_costs_refresh(first_day=MARCH_2, last_day=MARCH_2) == 1
    day.refresh_from_db()
    e1 = round_cents(day.electricity1 * contract.electricity_delivered_1_price
                     - day.electricity1_returned * contract.electricity_returned_1_price)  # fmt: skip
    e2 = round_cents(day.electricity2 * contract.electricity_delivered_2_price)
    assert (day.electricity1_cost, day.electricity2_cost, day.gas_cost) == (e1, e2, D("0.00"))
    assert day.fixed_cost == contract.fixed_daily_cost
    assert day.total_cost == round_cents(e1 + e2 + contract.fixed_daily_cost)

    assert statistics_costs_refresh(first_day=date(2026, 3, 3)) == 0  # no day in that range
    EnergyContract.objects.all().delete()
    assert statistics_costs_refresh(first_day=MARCH_2) == 1
    day.refresh_from_db()
    assert day.total_cost == D("0.00")
