from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dsmrhub.datalogger.demo import DemoMeter
from dsmrhub.datalogger.services import demo_backfill
from dsmrhub.readings.models import DsmrReading, MBusReading
from dsmrhub.telegram import parse_telegram
from tests.helpers import AMSTERDAM


def test_demo_telegrams_are_valid_dsmr5_with_rising_positions():
    meter = DemoMeter(tz=AMSTERDAM, seed=7)
    start = datetime(2026, 3, 2, 5, 50, tzinfo=UTC)  # 06:50 local, a Monday: tariff 1 then 2
    parsed = [parse_telegram(meter.telegram_at(start + timedelta(seconds=10 * n))) for n in range(180)]
    assert [p.timestamp for p in parsed] == [start + timedelta(seconds=10 * n) for n in range(180)]
    assert {p.variant for p in parsed} == {"dsmr5"}
    assert {p.electricity_tariff for p in parsed} == {1, 2}
    for before, after in zip(parsed, parsed[1:], strict=False):
        for name in ("electricity_delivered_1", "electricity_delivered_2", "electricity_returned_1"):
            assert getattr(after, name) >= getattr(before, name)
        assert after.gas.value >= before.gas.value
    total = sum(
        p.phase_currently_delivered_l1
        + p.phase_currently_delivered_l2
        + p.phase_currently_delivered_l3
        - p.electricity_currently_delivered
        for p in parsed
    )
    assert abs(total) < 1  # phases add up to the total (within rounding)
    gas_stamps = {p.gas.timestamp for p in parsed}
    assert all(stamp.minute % 5 == 0 and stamp.second == 0 for stamp in gas_stamps)
    assert len(gas_stamps) == 6  # 05:50 .. 06:19:50: a new gas value every 5 minutes


def test_demo_meter_marks_summer_and_winter_time_in_the_repeated_autumn_hour():
    meter = DemoMeter(tz=AMSTERDAM, seed=1)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST (S)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET (W)
    assert "0-0:1.0.0(261025023000S)" in meter.telegram_at(first)
    assert "0-0:1.0.0(261025023000W)" in meter.telegram_at(second)
    assert parse_telegram(meter.telegram_at(second)).timestamp == second


@pytest.mark.django_db
def test_backfill_stores_one_reading_per_step_and_gas_once_per_value():
    meter = DemoMeter(tz=AMSTERDAM, seed=3)
    start = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    stored = demo_backfill(
        meter=meter, since=start, until=start + timedelta(hours=1), step=timedelta(minutes=1)
    )
    assert stored == 60
    assert DsmrReading.objects.count() == 60
    assert MBusReading.objects.filter(channel=1, device_type=3).count() == 12
