"""processing.gas: gas values → one row per local hour (H, H + 1 h]: the position at the hour's end and the
use within the hour; a gas meter that goes down is a meter epoch, not negative use."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.processing.gas import gas_refresh
from dsmrhub.processing.minutes import minutes_refresh
from dsmrhub.processing.models import GasConsumption, HourStatistics, MeterEpoch
from dsmrhub.processing.periods import from_epoch, to_epoch
from dsmrhub.processing.quarantine import Window
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from dsmrhub.readings.models import DsmrReading
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
EVERYTHING = Window(low=0, high=to_epoch(utc(2100, 1, 1)), now=utc(2026, 3, 3))


def gas_values(*values: tuple[datetime, str]) -> list[tuple[datetime, Decimal]]:
    """Store one reading (30 s after it) per gas value and refresh its minute rows; the values."""
    rows = [reading(stamp + timedelta(seconds=30), "1", gas=(stamp, value)) for stamp, value in values]
    store(*rows)
    minutes_refresh(first=to_epoch(rows[0].timestamp), last=to_epoch(rows[-1].timestamp), window=EVERYTHING)
    return [(stamp, D(value)) for stamp, value in values]


def hours() -> list[tuple[datetime, Decimal, Decimal]]:
    return [(g.read_at, g.delivered, g.currently_delivered) for g in GasConsumption.objects.all()]


def test_dsmr4_hourly_and_dsmr5_five_minute_gas_give_the_same_hours():
    start = utc(2026, 3, 2, 8, 0)
    # DSMR 5: a value every 5 minutes, 0.120 m3 per hour; DSMR 4: only the value on the hour.
    dsmr5 = steady_stream(start, start + timedelta(hours=4), gas_every=timedelta(minutes=5))
    store(*dsmr5)
    processing_run_pending()
    five_minute = [(g.read_at, g.delivered, g.currently_delivered) for g in GasConsumption.objects.all()]
    hourly_stats = [(h.hour_start, h.gas) for h in HourStatistics.objects.all()]

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


def test_a_value_belongs_to_the_hour_it_closes_and_the_hour_holds_the_use_since_the_previous_value():
    values = gas_values(
        (utc(2026, 3, 2, 9, 0), "500.000"),
        (utc(2026, 3, 2, 10, 0), "500.120"),  # closes 09:00-10:00
        (utc(2026, 3, 2, 10, 5), "500.130"),  # opens 10:00-11:00 ...
        (utc(2026, 3, 2, 11, 0), "500.200"),  # ... and closes it
    )
    span = gas_refresh(first=to_epoch(values[0][0]), last=to_epoch(values[-1][0]))
    (_, at_9), (_, at_10), _, (_, at_11) = values
    assert hours() == [
        (utc(2026, 3, 2, 8), at_9, D("0.000")),  # the first value: a position, no use known before it
        (utc(2026, 3, 2, 9), at_10, at_10 - at_9),
        (utc(2026, 3, 2, 10), at_11, at_11 - at_10),
    ]
    assert span is not None
    low, high = span
    assert from_epoch(low) <= utc(2026, 3, 2, 8) and utc(2026, 3, 2, 11) <= from_epoch(high)


def test_a_refresh_counts_the_use_from_the_value_before_its_range():
    values = gas_values(
        (utc(2026, 3, 2, 9, 0), "500.000"),
        (utc(2026, 3, 2, 10, 0), "500.120"),
        (utc(2026, 3, 2, 11, 0), "500.200"),
    )
    gas_refresh(first=to_epoch(values[0][0]), last=to_epoch(values[-1][0]))
    everything = hours()
    GasConsumption.objects.filter(read_at=utc(2026, 3, 2, 10)).delete()
    gas_refresh(first=to_epoch(values[2][0]), last=to_epoch(values[2][0]))  # only the last value
    assert hours() == everything
    assert everything[-1] == (utc(2026, 3, 2, 10), values[2][1], values[2][1] - values[1][1])


def test_a_new_gas_meter_is_an_epoch_and_its_drop_is_no_use(caplog):
    values = gas_values(
        (utc(2026, 3, 2, 9, 0), "900.000"),
        (utc(2026, 3, 2, 9, 30), "900.050"),
        (utc(2026, 3, 2, 9, 40), "0.002"),  # the new meter
        (utc(2026, 3, 2, 10, 0), "0.030"),
    )
    gas_refresh(first=to_epoch(values[0][0]), last=to_epoch(values[-1][0]))
    (_, first), (_, before), (dropped_at, after), (_, last) = values
    assert hours() == [
        (utc(2026, 3, 2, 8), first, D("0.000")),
        (utc(2026, 3, 2, 9), last, (before - first) + (last - after)),
    ]
    epoch = MeterEpoch.objects.get()
    assert (epoch.timestamp, epoch.register, epoch.before, epoch.after) == (dropped_at, "gas", before, after)
    assert "new gas meter epoch" in caplog.text

    gas_refresh(first=to_epoch(values[0][0]), last=to_epoch(values[-1][0]))
    assert MeterEpoch.objects.count() == 1  # found again, not twice


def test_no_gas_values_no_hours():
    store(reading(utc(2026, 3, 2, 10, 0, 30), "1"))
    minutes_refresh(
        first=to_epoch(utc(2026, 3, 2, 10)), last=to_epoch(utc(2026, 3, 2, 11)), window=EVERYTHING
    )
    assert gas_refresh(first=to_epoch(utc(2026, 3, 2, 10)), last=to_epoch(utc(2026, 3, 2, 11))) is None
    assert not GasConsumption.objects.exists()
