"""processing.minutes: readings → one electricity row per minute (read_at − 60 s, read_at], holding the
minute's last positions and its means rounded half up."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dsmrhub.processing.minutes import minute_end, minutes_refresh
from dsmrhub.processing.models import ElectricityConsumption, PendingMinute
from dsmrhub.processing.periods import to_epoch
from dsmrhub.processing.quarantine import Window
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import DsmrReading
from tests.processing.builders import reading, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
EVERYTHING = Window(low=0, high=to_epoch(utc(2100, 1, 1)), now=utc(2026, 3, 3))


def mean_half_up(values: list[Decimal], column: str) -> Decimal:
    """The mean rounded half up to the places the minute table stores for ``column``."""
    places = ElectricityConsumption._meta.get_field(column).decimal_places
    return (sum(values) / len(values)).quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)


def minute_of(moment: datetime) -> datetime:
    """read_at of the minute row of a reading stamped within a minute (not on its end)."""
    return moment.replace(second=0) + timedelta(minutes=1)


def test_minute_end_is_the_end_of_the_minute_a_reading_belongs_to():
    ten = to_epoch(utc(2026, 3, 2, 10, 0))
    offsets = (-59, 0, 1, 59, 60, 61)
    assert [minute_end(ten + s) for s in offsets] == [ten, ten, ten + 60, ten + 60, ten + 60, ten + 120]


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


def test_every_mean_column_is_the_minutes_mean_at_its_stored_precision():
    rows = [
        reading(
            utc(2026, 3, 2, 10, 0, second),
            "1",
            power=power,
            returned=returned,
            phase_currently_delivered_l2=D(l2),
            phase_voltage_l3=D(volts),
            phase_power_current_l1=D(amps),
        )
        for second, power, returned, l2, volts, amps in [
            (10, "0.101", "0.003", "0.100", "229.9", "3.001"),
            (20, "0.102", "0.000", "0.101", "230.2", "4.000"),
        ]
    ]
    store(*rows)
    low, high = minutes_refresh(
        first=to_epoch(rows[0].timestamp), last=to_epoch(rows[-1].timestamp), window=EVERYTHING
    )
    assert low == high == to_epoch(utc(2026, 3, 2, 10, 1))
    minute = ElectricityConsumption.objects.get()
    for column, source in [
        ("currently_delivered", "electricity_currently_delivered"),
        ("currently_returned", "electricity_currently_returned"),
        ("phase_currently_delivered_l2", "phase_currently_delivered_l2"),
        ("phase_voltage_l3", "phase_voltage_l3"),
        ("phase_power_current_l1", "phase_power_current_l1"),
    ]:
        expected = mean_half_up([getattr(r, source) for r in rows], column)
        assert getattr(minute, column) == expected, column
    assert minute.phase_currently_delivered_l1 is None  # no reading had it


def test_a_refresh_rewrites_only_the_minutes_of_its_range():
    at = [utc(2026, 3, 2, 10, m, 30) for m in range(3)]
    store(*(reading(moment, D(100 + n)) for n, moment in enumerate(at)))
    minutes_refresh(first=to_epoch(at[0]), last=to_epoch(at[-1]), window=EVERYTHING)
    before = {m.read_at: m.delivered_1 for m in ElectricityConsumption.objects.all()}
    assert before == {minute_of(moment): D(100 + n) for n, moment in enumerate(at)}

    DsmrReading.objects.filter(timestamp__in=[at[0], at[1]]).update(electricity_delivered_1=D("500"))
    low, high = minutes_refresh(first=to_epoch(at[1]), last=to_epoch(at[1]), window=EVERYTHING)
    assert low == high == to_epoch(minute_of(at[1]))
    after = {m.read_at: m.delivered_1 for m in ElectricityConsumption.objects.all()}
    assert after == {**before, minute_of(at[1]): D("500")}  # the first minute waits for its refresh


def test_a_minute_without_readings_has_no_row():
    store(reading(utc(2026, 3, 2, 10, 0, 30), "1"), reading(utc(2026, 3, 2, 10, 5, 30), "2"))
    minutes_refresh(
        first=to_epoch(utc(2026, 3, 2, 10)), last=to_epoch(utc(2026, 3, 2, 10, 6)), window=EVERYTHING
    )
    assert [m.read_at for m in ElectricityConsumption.objects.all()] == [
        utc(2026, 3, 2, 10, 1),
        utc(2026, 3, 2, 10, 6),
    ]


def test_a_gas_value_stamped_outside_the_window_is_left_out_of_its_minute():
    at = utc(2026, 3, 2, 10, 0, 30)
    store(reading(at, "1", gas=(utc(2000, 1, 1), "12.345")))  # a meter clock that was reset
    window = Window(low=to_epoch(utc(2026, 3, 1)), high=to_epoch(utc(2026, 3, 3)), now=utc(2026, 3, 2, 12))
    minutes_refresh(first=to_epoch(at), last=to_epoch(at), window=window)
    minute = ElectricityConsumption.objects.get()
    assert (minute.delivered_1, minute.gas_timestamp, minute.gas_delivered) == (D("1.000"), None, None)

    minutes_refresh(first=to_epoch(at), last=to_epoch(at), window=EVERYTHING)
    minute = ElectricityConsumption.objects.get()
    assert (minute.gas_timestamp, minute.gas_delivered) == (utc(2000, 1, 1), D("12.345"))
