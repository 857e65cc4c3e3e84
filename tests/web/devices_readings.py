"""Telegrams with a water meter (channel 4, type 7, m³) and a heat meter (channel 3, type 4, counting kWh)
for the page tests, and the figures they record, worked out here from the description.

A telegram every five minutes from ``start`` through ``end`` (local times); each meter sends a value stamped
with the telegram's time, rising linearly: water ``WATER_PER_HOUR`` m³ an hour from ``WATER_START``, heat
``HEAT_KWH_PER_HOUR`` kWh an hour from ``HEAT_START_KWH`` (1 kWh = 0.0036 GJ). A value stamped at H belongs to
the hour before H (the hour H holds the values stamped in (H, H + 1 h]), so a day's use is the advance from
its midnight's value to its last value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.services import reading_ingest_telegram
from tests.devices.builders import Channel, telegram

D = Decimal
STEP = timedelta(minutes=5)
WATER_START, WATER_PER_HOUR = D("50.000"), D("0.036")  # m³
HEAT_START_KWH, HEAT_KWH_PER_HOUR = D("2000.000"), D("1.500")  # kWh
GJ_PER_KWH = D("0.0036")
WATER_ID, HEAT_ID = "5730303030303034", "4830303030303033"


def hours_between(start: datetime, moment: datetime) -> Decimal:
    return D(int((moment - start).total_seconds())) / 3600


def water_at(start: datetime, moment: datetime) -> Decimal:
    return (WATER_START + WATER_PER_HOUR * hours_between(start, moment)).quantize(D("0.001"))


def heat_kwh_at(start: datetime, moment: datetime) -> Decimal:
    return (HEAT_START_KWH + HEAT_KWH_PER_HOUR * hours_between(start, moment)).quantize(D("0.001"))


def store_meters(
    start: datetime, end: datetime, *, heat: bool = True, water: bool = True, after: datetime | None = None
) -> None:
    """Telegrams every five minutes in [start, end] (only those after ``after``, when given) through the
    ingest service, then one processor pass."""
    moment = start if after is None else after + STEP
    while moment <= end:
        channels = []
        if heat:
            channels.append(Channel(3, 4, HEAT_ID, moment, heat_kwh_at(start, moment), "kWh"))
        if water:
            channels.append(Channel(4, 7, WATER_ID, moment, water_at(start, moment), "m3"))
        delivered = (D("1000.000") + D("0.5") * hours_between(start, moment)).quantize(D("0.001"))
        text = telegram(moment, *channels, delivered=delivered)
        assert reading_ingest_telegram(telegram=text).created
        moment += STEP
    processing_run_pending()


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
