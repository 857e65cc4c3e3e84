"""Gas statistics (gas rows, hour and day statistics, the API's gas endpoints) follow a channel's kind set by
hand (``devices.DeviceOverride``) by the one rule ``telegram.model.mbus_is_gas``: a meter without a type line
set to gas is the gas meter, a gas-typed channel set to another kind is not; a change recomputes the gas
of the readings that brought the channel's values (the processor's next pass)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.devices.selectors import device_hours, devices_present
from dsmrhub.devices.services import device_override_set
from dsmrhub.processing.gas import gas_stamp_bounds
from dsmrhub.processing.models import DayStatistics, GasConsumption, HourStatistics
from dsmrhub.processing.services import processing_settings_update
from dsmrhub.readings.models import DsmrReading
from tests.devices.builders import Channel, ingest, stream, telegram

pytestmark = pytest.mark.django_db
D = Decimal
START = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # local midnight, Europe/Amsterdam (winter)
HOURS = 25  # a whole local day (2 March) and the first hour of the next
FIRST, PER_HOUR = D("100.000"), D("0.120")  # position at START, m³ per hour (a value every 5 minutes)
DAY = date(2026, 3, 2)


def gas_rows() -> dict[datetime, tuple[Decimal, Decimal]]:
    return {g.read_at: (g.delivered, g.currently_delivered) for g in GasConsumption.objects.all()}


def hour_gas() -> dict[datetime, Decimal]:
    return {h.hour_start: h.gas for h in HourStatistics.objects.filter(hour_start__gte=START)}


def expected_gas_rows() -> dict[datetime, tuple[Decimal, Decimal]]:
    # the value stamped at START closes the hour before it (no value before: no use); each later hour
    # (H, H + 1 h] holds 12 values of PER_HOUR / 12
    rows = {START - timedelta(hours=1): (FIRST, D("0.000"))}
    for hour in range(HOURS):
        rows[START + timedelta(hours=hour)] = (FIRST + PER_HOUR * (hour + 1), PER_HOUR)
    return rows


def next_telegram(minutes: int, device_type: int | None) -> list[str]:
    """One more telegram after the stream (repeating its last value): the processor's next pass."""
    last = START + timedelta(hours=HOURS)
    return [
        telegram(
            last + timedelta(minutes=minutes),
            Channel(1, device_type, "G0001", last, FIRST + PER_HOUR * HOURS),
        )
    ]


def assert_no_gas() -> None:
    assert gas_rows() == {}
    assert set(hour_gas().values()) == {D("0.000")}
    assert DayStatistics.objects.get(day=DAY).gas == D("0.000")


def assert_gas(client) -> None:
    assert gas_rows() == expected_gas_rows()
    assert hour_gas() == {START + timedelta(hours=h): PER_HOUR for h in range(HOURS)}
    assert DayStatistics.objects.get(day=DAY).gas == PER_HOUR * 24
    # the API's gas endpoints read the same rows
    body = client.get("/api/v2/consumption/gas", {"limit": 100}).json()
    assert {D(str(row["currently_delivered"])) for row in body["results"]} == {D(0), PER_HOUR}
    live = client.get("/api/v2/consumption/gas-live").json()
    assert D(str(live["currently_delivered"])) == PER_HOUR


def test_a_meter_without_type_line_is_gas_once_set_to_gas(api_client):
    ingest(stream(START, HOURS, [(1, None, "G0001", FIRST, PER_HOUR, "m3")]))
    assert [d.kind for d in devices_present()] == ["unknown"]
    assert_no_gas()

    device_override_set(channel=1, kind="water")
    ingest(next_telegram(1, None))
    assert [(d.kind, d.overridden) for d in devices_present()] == [("water", True)]
    assert set(
        f.use for f in device_hours(kind="water", start=START, end=START + timedelta(hours=HOURS))
    ) == {PER_HOUR}
    assert_no_gas()

    device_override_set(channel=1, kind="gas")
    ingest(next_telegram(2, None))
    assert [(d.kind, d.unit, d.overridden) for d in devices_present()] == [("gas", "m³", True)]
    assert_gas(api_client)
    # the readings keep what the telegrams said: no type line, no gas value
    assert not DsmrReading.objects.filter(extra_device_delivered__isnull=False).exists()

    device_override_set(channel=1, kind=None)
    ingest(next_telegram(3, None))
    assert [d.kind for d in devices_present()] == ["unknown"]
    assert_no_gas()


def test_a_gas_typed_channel_set_to_water_is_no_gas(api_client):
    ingest(stream(START, HOURS, [(1, 3, "G0001", FIRST, PER_HOUR, "m3")]))
    assert_gas(api_client)

    device_override_set(channel=1, kind="water")
    ingest(next_telegram(1, 3))
    assert [(d.kind, d.overridden) for d in devices_present()] == [("water", True)]
    assert_no_gas()

    device_override_set(channel=1, kind="gas")  # the same as its type line says
    ingest(next_telegram(2, 3))
    assert_gas(api_client)


def test_a_gas_meter_without_type_line_next_to_a_typed_water_meter():
    # channel 2 sends its type line (water), channel 1 none; both advance, only channel 1 is gas
    devices = [(1, None, "G0001", FIRST, PER_HOUR, "m3"), (2, 7, "W0001", D("50.000"), D("0.060"), "m3")]
    ingest(stream(START, HOURS, devices))
    device_override_set(channel=1, kind="gas")
    last = START + timedelta(hours=HOURS)
    ingest(
        [
            telegram(
                last + timedelta(minutes=1),
                Channel(1, None, "G0001", last, FIRST + PER_HOUR * HOURS),
                Channel(2, 7, "W0001", last, D("50.000") + D("0.060") * HOURS),
            )
        ]
    )
    assert gas_rows() == expected_gas_rows()
    assert DayStatistics.objects.get(day=DAY).gas == PER_HOUR * 24
    assert sorted((d.channel, d.kind) for d in devices_present()) == [(1, "gas"), (2, "water")]


def test_a_meter_without_type_line_set_to_gas_at_the_meters_own_resolution():
    processing_settings_update(gas_resolution="meter")
    device_override_set(channel=1, kind="gas")  # before its first value: no rebuild needed
    ingest(stream(START, HOURS, [(1, None, "G0001", FIRST, PER_HOUR, "m3")]))
    # one row per value (every 5 minutes): the first without use, then PER_HOUR / 12 each
    step = PER_HOUR / 12
    expected = {
        START + timedelta(minutes=5 * n): (FIRST + step * n, step if n else D("0.000"))
        for n in range(12 * HOURS + 1)
    }
    assert gas_rows() == expected
    assert DayStatistics.objects.get(day=DAY).gas == PER_HOUR * 24
    assert gas_stamp_bounds() == (int(START.timestamp()), int((START + timedelta(hours=HOURS)).timestamp()))


def test_a_channel_set_to_gas_is_the_gas_meter_in_place_of_a_gas_typed_one():
    # channel 2 says gas (type 3) and advances 0.300 m³ an hour; channel 1 sends no type line
    other = D("0.300")
    devices = [(1, None, "G0001", FIRST, PER_HOUR, "m3"), (2, 3, "G0002", D("500.000"), other, "m3")]
    ingest(stream(START, HOURS, devices))
    assert DayStatistics.objects.get(day=DAY).gas == other * 24
    device_override_set(channel=1, kind="gas")
    last = START + timedelta(hours=HOURS)
    ingest(
        [
            telegram(
                last + timedelta(minutes=1),
                Channel(1, None, "G0001", last, FIRST + PER_HOUR * HOURS),
                Channel(2, 3, "G0002", last, D("500.000") + other * HOURS),
            )
        ]
    )
    assert gas_rows() == expected_gas_rows()
    assert DayStatistics.objects.get(day=DAY).gas == PER_HOUR * 24
    # the devices show both as gas meters
    assert sorted((d.channel, d.kind) for d in devices_present()) == [(1, "gas"), (2, "gas")]


def test_a_gas_meter_set_by_hand_keeps_its_gas_rows_when_the_resolution_changes():
    device_override_set(channel=1, kind="gas")
    ingest(stream(START, HOURS, [(1, None, "G0001", FIRST, PER_HOUR, "m3")]))
    assert gas_rows() == expected_gas_rows()
    processing_settings_update(gas_resolution="meter")  # the gas rows are rebuilt from the M-Bus values
    step = PER_HOUR / 12
    assert gas_rows() == {
        START + timedelta(minutes=5 * n): (FIRST + step * n, step if n else D("0.000"))
        for n in range(12 * HOURS + 1)
    }
    processing_settings_update(gas_resolution="hour")
    assert gas_rows() == expected_gas_rows()
    assert DayStatistics.objects.get(day=DAY).gas == PER_HOUR * 24
