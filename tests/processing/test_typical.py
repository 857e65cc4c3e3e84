"""processing.typical: the same weekday's average use up to a time of day, from the hour statistics that
processing builds from readings. Expected averages are worked out here from the readings' rates."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from dsmrhub.processing.services import processing_run_pending
from dsmrhub.processing.typical import typical_day_until
from tests.processing.builders import reading, store

pytestmark = pytest.mark.django_db
D = Decimal
AMS = ZoneInfo("Europe/Amsterdam")


def local(day: str, clock: str = "00:00") -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date(), time.fromisoformat(clock), tzinfo=AMS)


def day_readings(day: str, *, per_hour: str, gas_per_hour: str = "0", first: str = "00:00", hours: int = 15):
    """Readings every 30 minutes of the local ``day`` from ``first`` for ``hours`` hours: delivered_1 rises
    by ``per_hour`` kWh and returned_1 by a tenth of it per hour; a gas value stamped on every full hour
    rises by ``gas_per_hour`` m³ (processing books a stamp at H + 1 h in the hour H)."""
    start = local(day, first).astimezone(UTC)  # steps of real time, also across a DST change
    rate, gas_rate = D(per_hour), D(gas_per_hour)
    rows = []
    for step in range(hours * 2 + 1):
        elapsed = D(step) / 2  # hours since ``first``
        at = start + timedelta(minutes=30 * step)
        stamp = start + timedelta(hours=step // 2)
        rows.append(
            reading(
                at,
                str(D(1000) + rate * elapsed),
                r1=str(rate / 10 * elapsed),
                gas=(stamp, str(D(500) + gas_rate * (step // 2))),
            )
        )
    store(*rows)


def kwh(value: Decimal) -> Decimal:
    return value.quantize(D("0.001"), rounding=ROUND_HALF_UP)


def test_average_of_the_same_weekdays_with_data_up_to_the_time_of_day():
    # Tuesday 10 March 2026, 12:30 local. The Tuesdays before: 3 Mar (0.4 kWh/h), 24 Feb (0.2 kWh/h),
    # 17 Feb (data only from 06:00: its morning is unknown, so the day is left out), 10 Feb (no data).
    day_readings("2026-03-03", per_hour="0.4", gas_per_hour="0.1")
    day_readings("2026-02-24", per_hour="0.2", gas_per_hour="0.3")
    day_readings("2026-02-17", per_hour="5", first="06:00", hours=9)
    processing_run_pending()

    typical = typical_day_until(moment=local("2026-03-10", "12:30"))

    # By 12:30: twelve whole hours and half of the hour 12:00–13:00 → 12.5 hours of each day's rate.
    assert typical is not None and (typical.days, typical.weeks) == (2, 4)
    assert typical.electricity == kwh((D("12.5") * D("0.4") + D("12.5") * D("0.2")) / 2)  # 3.750
    assert typical.electricity_returned == kwh((D("1.25") * D("0.4") + D("1.25") * D("0.2")) / 2)  # 0.375
    assert typical.gas == kwh((D("12.5") * D("0.1") + D("12.5") * D("0.3")) / 2)  # 2.500


def test_a_third_of_an_hour_is_prorated_and_fewer_weeks_can_be_asked_for():
    day_readings("2026-03-03", per_hour="0.6")
    day_readings("2026-02-24", per_hour="0.3")
    processing_run_pending()

    typical = typical_day_until(moment=local("2026-03-10", "09:20"), weeks=1)

    assert typical is not None and typical.days == 1  # only 3 March
    assert typical.electricity == kwh(D("0.6") * 9 + D("0.6") / 3)  # 9 h and a third: 5.600


def test_wall_clock_time_on_the_day_daylight_saving_starts():
    # Sunday 29 March 2026 has 23 hours: at 12:30 local only 11.5 hours have passed since midnight.
    day_readings("2026-03-29", per_hour="1.0", hours=14)
    processing_run_pending()

    typical = typical_day_until(moment=local("2026-04-05", "12:30"))

    assert typical is not None and typical.days == 1
    assert typical.electricity == kwh(D("11.5") * D("1.0"))


def test_no_counted_day_or_no_time_passed_gives_none():
    day_readings("2026-03-03", per_hour="0.4", first="06:00", hours=8)  # the morning unknown
    processing_run_pending()
    assert typical_day_until(moment=local("2026-03-10", "12:30")) is None
    assert typical_day_until(moment=local("2026-03-10", "00:00")) is None
