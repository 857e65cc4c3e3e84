"""Differential test: our parser against the ``dsmr_parser`` package (1.11.2) over the whole corpus.

For every corpus telegram that dsmr_parser parses with CRC checking (with the spec the manifest
names), the fields both parsers know must be equal as Decimals: meter positions, current power,
tariff, timestamp and the M-Bus (gas) readings per channel.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

from dsmrhub.telegram import parse_telegram

from . import corpus
from .corpus import entries, require

# dsmr_parser object name -> our field
POSITIONS = {
    "ELECTRICITY_USED_TARIFF_1": "electricity_delivered_1",
    "ELECTRICITY_USED_TARIFF_2": "electricity_delivered_2",
    "ELECTRICITY_USED_TARIFF_3": "electricity_delivered_3",
    "ELECTRICITY_USED_TARIFF_4": "electricity_delivered_4",
    "ELECTRICITY_DELIVERED_TARIFF_1": "electricity_returned_1",
    "ELECTRICITY_DELIVERED_TARIFF_2": "electricity_returned_2",
    "ELECTRICITY_DELIVERED_TARIFF_3": "electricity_returned_3",
    "ELECTRICITY_DELIVERED_TARIFF_4": "electricity_returned_4",
    "ELECTRICITY_IMPORTED_TOTAL": "electricity_delivered_total",
    "ELECTRICITY_EXPORTED_TOTAL": "electricity_returned_total",
    "CURRENT_ELECTRICITY_USAGE": "electricity_currently_delivered",
    "CURRENT_ELECTRICITY_DELIVERY": "electricity_currently_returned",
}
_SCALE = {"wh": Decimal("0.001"), "w": Decimal("0.001")}


def _parsed_by_dsmr_parser(entry: dict) -> bool:
    return entry["kind"] == "telegram" and any(a.get("parsed") for a in entry["dsmr_parser"]["attempts"])


def _in_our_unit(cosem) -> Decimal:
    value = Decimal(cosem.value)
    return value * _SCALE.get((cosem.unit or "").lower(), Decimal(1))


@pytest.mark.parametrize("entry", entries(_parsed_by_dsmr_parser))
def test_same_values_as_dsmr_parser(entry):
    entry = require(entry)
    spec_name = next(a["spec"] for a in entry["dsmr_parser"]["attempts"] if a.get("parsed"))
    data = corpus.read(entry)
    theirs = TelegramParser(
        getattr(telegram_specifications, spec_name), apply_checksum_validation=True
    ).parse(data.decode("latin-1"))
    ours = parse_telegram(data)
    compared = 0
    for name, field in POSITIONS.items():
        cosem = getattr(theirs, name, None)
        if cosem is not None and cosem.value is not None:
            assert getattr(ours, field) == _in_our_unit(cosem), f"{name} vs {field}"
            compared += 1
    tariff = getattr(theirs, "ELECTRICITY_ACTIVE_TARIFF", None)
    if tariff is not None:
        assert ours.electricity_tariff == int(tariff.value)
        compared += 1
    stamp = getattr(theirs, "P1_MESSAGE_TIMESTAMP", None)
    if stamp is not None:
        assert ours.timestamp == stamp.value
        compared += 1
    compared += _compare_mbus(theirs, ours)
    assert compared, "nothing in common?"


def _compare_mbus(theirs, ours) -> int:
    """Per channel; an empty slot ((700101010000W)(00000000), no unit) is 0 for them, None for us."""
    compared = 0
    by_channel = {reading.channel: reading for reading in ours.mbus}
    for device in getattr(theirs, "MBUS_DEVICES", []):
        reading = by_channel[device.channel_id]
        device_type = getattr(device, "MBUS_DEVICE_TYPE", None)
        if device_type is not None:
            assert reading.device_type == (int(device_type.value) if device_type.value is not None else None)
        meter = getattr(device, "MBUS_METER_READING", None)
        if meter is not None:
            if reading.value is None:
                assert meter.value == 0 and not meter.unit
            else:
                assert reading.value == Decimal(meter.value)
                assert reading.timestamp == meter.datetime
            compared += 1
    for name in ("HOURLY_GAS_METER_READING", "GAS_METER_READING"):  # V2_2 / V4 / V5 specs: last line wins
        gas = getattr(theirs, name, None)
        if gas is not None and gas.value is not None and ours.gas is not None:
            assert Decimal(gas.value) in {reading.value for reading in ours.mbus}
            compared += 1
    return compared
