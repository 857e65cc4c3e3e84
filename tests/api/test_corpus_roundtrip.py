"""Every corpus telegram goes in through API v1 and comes back out of API v2 with the right values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dsmrhub.readings.models import MeterStatistics
from tests.corpus import corpus_bytes, corpus_entries

V1 = "/api/v1/datalogger/dsmrreading"
V2 = "/api/v2/datalogger/dsmrreading"
pytestmark = pytest.mark.django_db

POSITIONS = (
    "electricity_delivered_1",
    "electricity_delivered_2",
    "electricity_returned_1",
    "electricity_returned_2",
)
OPTIONAL = (
    "phase_currently_delivered_l1",
    "phase_currently_delivered_l2",
    "phase_currently_delivered_l3",
    "phase_currently_returned_l1",
    "phase_currently_returned_l2",
    "phase_currently_returned_l3",
    "phase_voltage_l1",
    "phase_voltage_l2",
    "phase_voltage_l3",
)


def _accepted(entry: dict) -> bool:
    """What dsmrhub must store: CRC valid (or absent, DSMR 2.2/3.0) and electricity registers present."""
    values = entry["from_telegram"]["values"]
    has_power = values.get("electricity_currently_delivered") is not None
    has_energy = values.get("electricity_delivered_1") is not None or values.get(
        "electricity_delivered_total"
    )
    crc_ok = not entry["crc"]["present"] or entry["crc"]["valid"] or entry["crc"].get("given") == "B9F"
    truncated = "truncated" in entry["tags"]
    reset_clock = (values.get("timestamp_utc") or "9") < "2001"  # 2000-01-01: implausible, refused
    return crc_ok and has_power and bool(has_energy) and not truncated and not reset_clock


def _is_gas_meter(device: dict) -> bool:
    """A connected gas meter: device type 3 with a real reading (an empty channel sends no unit)."""
    return (
        device.get("device_type") == 3 and device.get("value") is not None and device.get("unit") is not None
    )


def _expected_utc(entry: dict) -> str | None:
    """The meter time in UTC. dsmr-parser's reading is preferred: the corpus builder maps S/W to a fixed
    +02:00/+01:00, while a meter's S/W only picks the occurrence of the repeated autumn hour."""
    for attempt in entry["dsmr_parser"]["attempts"]:
        stamp = attempt.get("values", {}).get("P1_MESSAGE_TIMESTAMP")
        if stamp and not stamp.startswith("2000-01-01"):
            return stamp.replace("+00:00", "Z")
    return entry["from_telegram"]["values"].get("timestamp_utc")


def _decimal(value) -> Decimal:
    return Decimal(str(value))


@pytest.mark.parametrize("entry", corpus_entries(lambda e: e["kind"] == "telegram"))
def test_corpus_telegram_roundtrip(api_client, entry):
    telegram = corpus_bytes(entry).decode("latin-1")
    response = api_client.post(V1, {"telegram": telegram}, format="multipart")
    values = entry["from_telegram"]["values"]
    if not _accepted(entry):
        assert response.status_code == 400, response.content
        assert response.content.startswith(b"telegram rejected: ")
        assert MeterStatistics.objects.get().rejected_telegrams == 1
        return
    assert response.status_code == 201, response.content
    body = api_client.get(V2).json()
    assert body["count"] == 1
    reading = body["results"][0]
    if expected_utc := _expected_utc(entry):
        assert reading["timestamp"] == expected_utc
    for name in POSITIONS:
        expected = values.get(name)
        if expected is None:  # totals-only meters book everything on tariff 1
            direction = name.split("_")[1]
            total = values.get(f"electricity_{direction}_total") or 0  # no export register: nothing returned
            expected = total if name.endswith("_1") else 0
        assert Decimal(reading[name]) == _decimal(expected).quantize(Decimal("0.001")), name
    assert Decimal(reading["electricity_currently_delivered"]) == _decimal(
        values["electricity_currently_delivered"]
    ).quantize(Decimal("0.001"))
    for name in OPTIONAL:
        if values.get(name) is not None:
            assert Decimal(reading[name]) == _decimal(values[name]).quantize(Decimal(reading[name])), name
    gas = [device for device in values.get("mbus_devices", []) if _is_gas_meter(device)]
    if gas:
        assert Decimal(reading["extra_device_delivered"]) == _decimal(gas[0]["value"])
    else:
        assert reading["extra_device_delivered"] is None
    expected_reading = entry.get("expected") or {}
    if "extra_device_timestamp_utc" in expected_reading:
        assert reading["extra_device_timestamp"] == expected_reading["extra_device_timestamp_utc"]
    if (
        "extra_device_delivered" in expected_reading
        and expected_reading["extra_device_delivered"] is not None
    ):
        assert Decimal(reading["extra_device_delivered"]) == _decimal(
            expected_reading["extra_device_delivered"]
        )
    stats = api_client.get("/api/v2/datalogger/meter-statistics").json()
    assert telegram.startswith(stats["latest_telegram"].rstrip("\r\n"))
    if values.get("dsmr_version"):
        assert stats["dsmr_version"] == values["dsmr_version"]
