"""dsmrhub.devices: every M-Bus device by its type line, with hours, five-minute rows, days and epochs that
add up exactly (processing.devices), through the real ingest service and the processor's pass."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.devices.kinds import classify, kind_of
from dsmrhub.devices.models import (
    Device,
    DeviceDay,
    DeviceEpoch,
    DeviceFiveMinutes,
    DeviceHour,
    DevicesState,
)
from dsmrhub.devices.selectors import device_days, device_hours, devices_present
from dsmrhub.devices.services import DeviceSettingError, device_override_set, device_price_save
from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.readings.models import MBusReading
from tests.devices.builders import Channel, ingest, stream, telegram

pytestmark = pytest.mark.django_db
D = Decimal
START = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # local midnight, Europe/Amsterdam (winter)
GAS_ID, WATER_ID, HEAT_ID = "G0001", "W0001", "H0001"


def hour_uses(kind: str) -> dict[datetime, Decimal]:
    return {f.start: f.use for f in device_hours(kind=kind, start=START, end=START + timedelta(days=3))}


def test_gas_water_and_heat_on_their_channels_give_exact_hours_five_minutes_and_days():
    # 25 hours: a whole local day plus an hour; values every 5 minutes, linear advance per hour.
    devices = [
        (1, 3, GAS_ID, D("100.000"), D("0.120"), "m3"),
        (2, 7, WATER_ID, D("50.000"), D("0.036"), "m3"),
        (3, 4, HEAT_ID, D("10.000"), D("0.012"), "GJ"),
    ]
    ingest(stream(START, 25, devices))
    for channel, _, _, begin, per_hour, _ in devices:
        kind = {1: "gas", 2: "water", 3: "heat"}[channel]
        hours = DeviceHour.objects.filter(channel=channel).order_by("start")
        # 25 full hours; the hour H holds the values stamped in (H, H + 1 h]
        # the value stamped at START closes the hour before it (use 0: the first value)
        assert [h.start for h in hours] == [START + timedelta(hours=n) for n in range(-1, 25)]
        expected = {START + timedelta(hours=n): per_hour for n in range(25)}
        found = {h.start: h.use for h in hours if h.start in expected}
        assert found == expected, kind
        # five-minute rows add up to their hour, and each holds 1/12 of the hour (linear advance)
        fives = defaultdict(Decimal)
        for five in DeviceFiveMinutes.objects.filter(channel=channel):
            fives[five.start - timedelta(minutes=five.start.minute)] += five.use
        assert {start: fives[start] for start in expected} == expected
        # the day is the sum of its hours and the meter's advance over the day
        day = DeviceDay.objects.get(channel=channel, day=date(2026, 3, 2))
        assert day.use == per_hour * 24
        assert day.position == begin + per_hour * 24
        assert day.kind == kind
    # the kind's figures (one device each) are the channel's
    assert device_days(kind="water", first=date(2026, 3, 2), last=date(2026, 3, 2))[0].use == D("0.036") * 24
    assert {d.kind for d in devices_present()} == {"gas", "water", "heat"}
    assert not DeviceEpoch.objects.exists()


def test_gas_of_the_devices_is_the_gas_of_the_statistics():
    ingest(stream(START, 25, [(1, 3, GAS_ID, D("100.000"), D("0.120"), "m3")]))
    statistics = {h.hour_start: h.gas for h in HourStatistics.objects.all() if h.gas}
    assert statistics  # the existing gas path counted it
    devices = hour_uses("gas")
    assert {start: devices[start] for start in statistics} == statistics
    assert (
        DayStatistics.objects.get(day=date(2026, 3, 2)).gas == DeviceDay.objects.get(day=date(2026, 3, 2)).use
    )


@pytest.mark.parametrize("channel", [2, 3])
def test_gas_on_another_channel_with_a_dead_channel_1_needs_no_setting(channel):
    dead = Channel(1, 3, "", START, "0", "")  # announced, no unit: an empty slot, not a meter
    texts = []
    for minute in range(0, 121):
        moment = START + timedelta(minutes=minute)
        stamp = START + timedelta(minutes=minute // 5 * 5)
        value = D("200.000") + D("0.060") * (minute // 5 * 5) / 60
        texts.append(telegram(moment, dead, Channel(channel, 3, GAS_ID, stamp, value.quantize(D("0.001")))))
    ingest(texts)
    assert set(MBusReading.objects.values_list("channel", flat=True)) == {channel}
    # the existing gas statistics and the devices agree: 0.060 m3 per hour
    assert [h.gas for h in HourStatistics.objects.order_by("hour_start")][:2] == [D("0.060"), D("0.060")]
    assert hour_uses("gas") == {START: D("0.060"), START + timedelta(hours=1): D("0.060")}
    assert [(d.channel, d.kind) for d in devices_present()] == [(channel, "gas")]


def test_a_replaced_water_meter_is_a_new_epoch_never_negative_use():
    texts = []
    for minute in range(0, 121):
        moment = START + timedelta(minutes=minute)
        stamp = START + timedelta(minutes=minute // 5 * 5)
        five = minute // 5
        if stamp < START + timedelta(minutes=60):  # old meter: 0.010 m3 per 5 minutes from 800.000
            water = Channel(2, 7, WATER_ID, stamp, D("800.000") + D("0.010") * five)
        else:  # new meter from 0.000 (another identifier): 0.020 m3 per 5 minutes
            water = Channel(2, 7, "W0002", stamp, D("0.020") * (five - 12))
        texts.append(telegram(moment, water))
    ingest(texts)
    epoch = DeviceEpoch.objects.get()
    assert (epoch.channel, epoch.reason, epoch.before, epoch.after) == (2, "new device", D("800.110"), D("0"))
    uses = hour_uses("water")
    # hour 1: 11 steps of the old meter (00:05 … 00:55) plus the first new value (use 0 at the swap) …
    assert uses[START] == D("0.010") * 11
    # … hour 2: the new meter's 12 steps
    assert uses[START + timedelta(hours=1)] == D("0.020") * 12
    assert all(row.use >= 0 for row in DeviceFiveMinutes.objects.all())
    assert sorted(Device.objects.values_list("identifier", flat=True)) == [WATER_ID, "W0002"]


def test_a_register_that_goes_down_is_a_drop_epoch():
    texts = [
        telegram(START + timedelta(minutes=1), Channel(2, 7, WATER_ID, START, "10.000")),
        telegram(
            START + timedelta(minutes=6), Channel(2, 7, WATER_ID, START + timedelta(minutes=5), "10.500")
        ),
        telegram(
            START + timedelta(minutes=11), Channel(2, 7, WATER_ID, START + timedelta(minutes=10), "0.100")
        ),
        telegram(
            START + timedelta(minutes=16), Channel(2, 7, WATER_ID, START + timedelta(minutes=15), "0.300")
        ),
    ]
    ingest(texts)
    epoch = DeviceEpoch.objects.get()
    assert (epoch.reason, epoch.before, epoch.after) == ("drop", D("10.5"), D("0.1"))
    assert hour_uses("water") == {START: D("0.500") + D("0.200")}


def test_a_device_that_moves_channel_continues_where_it_was():
    texts = []
    for minute in range(0, 121):
        moment = START + timedelta(minutes=minute)
        stamp = START + timedelta(minutes=minute // 5 * 5)
        value = (D("300.000") + D("0.005") * (minute // 5)).quantize(D("0.001"))
        channel = 1 if stamp < START + timedelta(minutes=60) else 3  # a meter visit moved it
        texts.append(telegram(moment, Channel(channel, 3, GAS_ID, stamp, value)))
    ingest(texts)
    assert not DeviceEpoch.objects.exists()
    total = sum(hour_uses("gas").values())
    assert total == D("0.005") * 24  # the advance over the whole stream, nothing lost at the move
    assert [d.channel for d in devices_present()] == [3]


def test_two_channels_sending_one_identifier_at_once_stay_two_devices():
    # anonymised telegrams (the corpus' Fluvius one) send the same identifier on two gas channels
    texts = []
    for minute in range(0, 61):
        stamp = START + timedelta(minutes=minute // 5 * 5)
        steps = minute // 5
        texts.append(
            telegram(
                START + timedelta(minutes=minute),
                Channel(1, 3, GAS_ID, stamp, D("100.000") + D("0.010") * steps),
                Channel(2, 3, GAS_ID, stamp, D("500.000") + D("0.001") * steps),
            )
        )
    for text in texts[:7]:  # the first values one pass each (as live), the rest in one pass
        ingest([text])
    ingest(texts[7:])
    uses = {c: sum(h.use for h in DeviceHour.objects.filter(channel=c)) for c in (1, 2)}
    assert uses == {1: D("0.010") * 12, 2: D("0.001") * 12}
    assert not DeviceEpoch.objects.exists()
    assert [d.channel for d in devices_present()] == [1, 2]


def test_an_unknown_device_type_is_kept_raw_and_shown_as_unknown():
    texts = [
        telegram(
            START + timedelta(minutes=m),
            Channel(4, 15, "X1", START + timedelta(minutes=m // 5 * 5), D("7.000") + m // 5, "XYZ"),
        )
        for m in range(0, 30)
    ]
    ingest(texts)
    (device,) = devices_present()
    assert (device.channel, device.device_type, device.kind) == (4, 15, "unknown")
    assert device.label == "Unknown device (type 15)"
    assert (device.unit, device.raw_unit, device.position) == ("XYZ", "XYZ", D("12"))
    assert set(DeviceHour.objects.values_list("kind", flat=True)) == {"unknown"}


def test_heat_in_kwh_and_mwh_is_converted_to_gigajoules():
    assert classify(4, "kWh").factor * 1000 == D("3.6")
    assert classify(12, "MWh") == classify(12, "mwh")
    assert classify(4, "GJ").unit == "GJ"
    assert classify(7, "GJ").unit == "GJ" and classify(7, "GJ").kind == "water"  # does not fit: kept as sent
    texts = [
        telegram(START + timedelta(minutes=1), Channel(3, 4, HEAT_ID, START, "1000.000", "kWh")),
        telegram(
            START + timedelta(minutes=61),
            Channel(3, 4, HEAT_ID, START + timedelta(hours=1), "1250.000", "kWh"),
        ),
    ]
    ingest(texts)
    (device,) = devices_present()
    assert (device.unit, device.position) == ("GJ", D("1250") * D("0.0036"))
    assert hour_uses("heat") == {START: D("250") * D("0.0036")}  # the hour (START, START + 1 h]


def test_an_override_gives_a_channel_without_a_known_type_its_kind():
    texts = [
        telegram(
            START + timedelta(minutes=m),
            Channel(2, 0, "", START + timedelta(minutes=m // 5 * 5), D("5.000") + D("0.001") * (m // 5)),
        )
        for m in range(0, 61)
    ]
    ingest(texts)
    assert devices_present()[0].kind == "unknown"
    device_override_set(channel=2, kind="water")
    assert DevicesState.peek().built is False
    # the processor's next pass (the next telegram) rebuilds the rows
    ingest(
        [telegram(START + timedelta(minutes=61), Channel(2, 0, "", START + timedelta(minutes=60), "5.012"))]
    )
    (device,) = devices_present()
    assert (device.kind, device.unit, device.overridden) == ("water", "m³", True)
    assert sum(hour_uses("water").values()) == D("0.012")
    with pytest.raises(DeviceSettingError):
        device_override_set(channel=2, kind="lava")


def test_a_day_is_priced_per_cubic_metre_once_there_is_a_price():
    ingest(stream(START, 25, [(2, 7, WATER_ID, D("50.000"), D("0.0417"), "m3")]))
    day = date(2026, 3, 2)
    assert device_days(kind="water", first=day, last=day)[0].cost is None
    device_price_save(kind="water", start=date(2026, 1, 1), end=None, price=D("1.123456"))
    (figure,) = device_days(kind="water", first=day, last=day)
    use = DeviceDay.objects.get(day=day).use
    assert figure.cost == (use * D("1.123456")).quantize(D("0.01"))
    with pytest.raises(DeviceSettingError):  # overlaps
        device_price_save(kind="water", start=date(2026, 6, 1), end=date(2026, 6, 30), price=D("1"))
    with pytest.raises(DeviceSettingError):
        device_price_save(kind="gas", start=date(2026, 6, 1), end=None, price=D("1"))


def test_kind_of_follows_the_type_table():
    assert [kind_of(t).key for t in (3, 7, 6, 4, 12, 10, 99)] == [
        "gas",
        "water",
        "water",
        "heat",
        "heat",
        "cooling",
        "unknown",
    ]
    assert kind_of(None).key == "unknown"
    assert kind_of(3, "water").key == "water"
