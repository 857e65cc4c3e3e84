"""The gas of the existing gas path (readings' extra_device_*, gas hours, hour and day statistics) is the
M-Bus channel whose type line says gas (3), on whatever channel, next to water and heat meters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.processing.models import DayStatistics, GasConsumption, HourStatistics
from dsmrhub.readings.models import DsmrReading
from tests.devices.builders import Channel, ingest, stream, telegram

pytestmark = pytest.mark.django_db
D = Decimal
START = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # local midnight, Europe/Amsterdam


@pytest.mark.parametrize("gas_channel", [2, 3, 4])
def test_gas_is_the_channel_typed_gas_not_channel_1(gas_channel):
    # channel 1 holds a water meter (type 7), gas sits on another channel
    ingest(
        stream(
            START,
            25,
            [
                (1, 7, "W1", D("900.000"), D("0.500"), "m3"),
                (gas_channel, 3, "G1", D("100.000"), D("0.120"), "m3"),
            ],
        )
    )
    latest = DsmrReading.objects.order_by("-timestamp").first()
    assert latest.extra_device_delivered == D("100.000") + D("0.120") * 25
    assert {h.gas for h in HourStatistics.objects.filter(hour_start__gte=START)} == {D("0.120")}
    assert DayStatistics.objects.get(day=date(2026, 3, 2)).gas == D("0.120") * 24
    assert {g.currently_delivered for g in GasConsumption.objects.filter(read_at__gte=START)} == {D("0.120")}


def test_a_dead_channel_1_and_a_gas_meter_that_moves_channel():
    dead = Channel(1, 3, "", START, "0", "")  # announced, empty
    texts = []
    for minute in range(0, 121):
        stamp = START + timedelta(minutes=minute // 5 * 5)
        channel = 2 if minute < 60 else 3  # the meter moved after a visit
        value = (D("40.000") + D("0.010") * (minute // 5)).quantize(D("0.001"))
        texts.append(
            telegram(START + timedelta(minutes=minute), dead, Channel(channel, 3, "G1", stamp, value))
        )
    ingest(texts)
    hours = {h.hour_start: h.gas for h in HourStatistics.objects.filter(hour_start__gte=START)}
    assert hours == {START: D("0.120"), START + timedelta(hours=1): D("0.120")}
