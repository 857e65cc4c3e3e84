"""A meter channel that sends no type line (0-n:24.1.0) is stored raw, with device type NULL, on every
ingest path; the devices show it as an unknown device until a kind is set by hand. And the ingest service's
memory of the M-Bus values it stored never keeps a telegram stored again from storing its values again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.devices.selectors import devices_present
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.bulk import readings_ingest_bulk
from dsmrhub.readings.models import DsmrReading, MBusReading
from dsmrhub.readings.services import reading_ingest_telegram, readings_delete
from tests.devices.builders import Channel, telegram

pytestmark = pytest.mark.django_db
D = Decimal
START = datetime(2026, 4, 1, 22, 0, tzinfo=UTC)
STAMP = START - timedelta(minutes=5)


def stored() -> list[tuple]:
    return list(
        MBusReading.objects.order_by("channel", "timestamp").values_list(
            "channel", "device_type", "equipment_identifier", "timestamp", "value", "unit", "reading"
        )
    )


@pytest.mark.parametrize("path", ["service", "bulk"])
def test_a_channel_without_type_line_is_stored_raw(path):
    text = telegram(
        START, Channel(1, None, "X0001", STAMP, D("321.456"), "m3"), Channel(2, 7, "W0001", STAMP, D("5.5"))
    )
    if path == "service":
        assert reading_ingest_telegram(telegram=text).created
    else:
        assert readings_ingest_bulk(telegrams=[(text, None)]).stored == 1
    assert stored() == [
        (1, None, "X0001", STAMP, D("321.456"), "m3", START),
        (2, 7, "W0001", STAMP, D("5.500"), "m3", START),
    ]
    # no channel says gas: the reading carries no gas value
    reading = DsmrReading.objects.get()
    assert (reading.extra_device_timestamp, reading.extra_device_delivered) == (None, None)


def test_a_channel_without_type_line_is_an_unknown_device():
    reading_ingest_telegram(telegram=telegram(START, Channel(1, None, "X0001", STAMP, D("321.456"), "m3")))
    processing_run_pending()
    (device,) = devices_present()
    assert (device.channel, device.device_type, device.kind, device.label) == (
        1,
        None,
        "unknown",
        "Unknown device",
    )
    assert (device.raw_value, device.raw_unit, device.unit, device.position) == (
        D("321.456"),
        "m3",
        "m3",  # an unknown device keeps the unit it sends
        D("321.456"),
    )
    assert (device.identifier, device.position_at, device.overridden) == ("X0001", STAMP, False)


def test_a_channel_without_type_line_and_an_implausible_stamp_is_not_stored(caplog):
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)  # beyond the 24 hours ahead allowed
    text = telegram(START, Channel(1, None, "X0001", ahead, D("1.000")))
    assert reading_ingest_telegram(telegram=text).created
    assert stored() == []
    assert "M-Bus channel 1 value 1.000 not stored" in caplog.text


def _telegrams() -> list[str]:
    """Three telegrams ten seconds apart repeating one gas value (as ~300 telegrams do on a DSMR 4 meter)."""
    return [
        telegram(START + timedelta(seconds=10 * n), Channel(1, 3, "G0001", STAMP, D("10.000")))
        for n in range(3)
    ]


def test_readings_deleted_and_stored_again_store_their_mbus_value_again(django_capture_on_commit_callbacks):
    texts = _telegrams()
    with django_capture_on_commit_callbacks(execute=True):
        for text in texts:
            assert reading_ingest_telegram(telegram=text).created
    assert stored() == [(1, 3, "G0001", STAMP, D("10.000"), "m3", START)]
    with django_capture_on_commit_callbacks(execute=True):
        assert readings_delete(since=START).count == 3
    MBusReading.objects.all().delete()  # as a restored backup, or the database of another test, has none
    with django_capture_on_commit_callbacks(execute=True):
        assert reading_ingest_telegram(telegram=texts[-1]).created
    assert stored() == [(1, 3, "G0001", STAMP, D("10.000"), "m3", START + timedelta(seconds=20))]


def test_a_telegram_in_a_new_database_stores_its_mbus_value(django_capture_on_commit_callbacks):
    texts = _telegrams()
    with django_capture_on_commit_callbacks(execute=True):
        for text in texts:
            reading_ingest_telegram(telegram=text)
    # the rows go without the service (as between tests): a telegram no newer than the last one that
    # carried the value is no repeat
    DsmrReading.objects.all().delete()
    MBusReading.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        reading_ingest_telegram(telegram=texts[1])
        reading_ingest_telegram(telegram=texts[2])  # a repeat: not inserted again, the row stays as it is
    assert stored() == [(1, 3, "G0001", STAMP, D("10.000"), "m3", START + timedelta(seconds=10))]
