"""Real multi-device telegrams of the shared corpus (../shared/telegrams): every M-Bus device is found by its
type line and shown with the value the telegram sends (expected values read from the manifest)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dsmrhub.devices.kinds import kind_of
from dsmrhub.devices.selectors import devices_present
from dsmrhub.readings.services import reading_ingest_telegram
from tests.corpus import corpus_bytes, corpus_entries

pytestmark = pytest.mark.django_db


def _meters(entry: dict) -> list[dict]:
    devices = entry.get("from_telegram", {}).get("values", {}).get("mbus_devices") or []
    # a meter: a type line and a value with a unit (an announced, empty slot sends 0 without a unit)
    return [
        d
        for d in devices
        if d.get("device_type") is not None and d.get("unit") and d.get("value") is not None
    ]


def _several_devices(entry: dict) -> bool:
    return (
        entry["kind"] == "telegram"
        and entry["crc"].get("valid") is True
        and len(entry.get("from_telegram", {}).get("values", {}).get("mbus_devices") or []) > 1
    )


@pytest.mark.parametrize("entry", corpus_entries(_several_devices))
def test_every_device_of_a_multi_device_telegram_is_present_with_its_kind_and_value(entry):
    reading_ingest_telegram(telegram=corpus_bytes(entry).decode("latin-1"))
    expected = {
        d["channel"]: (
            kind_of(d["device_type"]).key,
            Decimal(str(d["value"])),
            d.get("equipment_identifier") or "",
        )
        for d in _meters(entry)
    }
    found = {d.channel: (d.kind, d.raw_value, d.identifier) for d in devices_present()}
    assert found == expected


def test_the_corpus_has_a_water_meter_next_to_gas():
    entries = [e for e in corpus_entries(_several_devices) if e.values and e.values[0] is not None]
    if not entries:
        pytest.skip("../shared/telegrams not found: corpus tests skipped")
    kinds = {kind_of(d["device_type"]).key for e in entries for d in _meters(e.values[0])}
    assert {"gas", "water"} <= kinds
