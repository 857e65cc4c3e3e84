"""The own four-device telegram (tests/fixtures/devices): gas on channel 2, heat in kWh, water, an unknown
type; expected values are read from the telegram's lines."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from dsmrhub.devices.kinds import kind_of
from dsmrhub.devices.selectors import devices_present
from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.services import reading_ingest_telegram
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db
TELEGRAM = (FIXTURES / "devices" / "own-gas-water-heat-unknown-1.txt").read_bytes().decode("latin-1")
FACTORS = {"m3": Decimal(1), "kWh": Decimal("0.0036"), "XYZ": Decimal(1)}


def test_every_device_of_the_fixture():
    reading_ingest_telegram(telegram=TELEGRAM)
    types = {int(n): int(t) for n, t in re.findall(r"0-(\d):24\.1\.0\((\d+)\)", TELEGRAM)}
    values = {
        int(n): (Decimal(v), u)
        for n, v, u in re.findall(r"0-(\d):24\.2\.1\(\w+\)\(([\d.]+)\*(\w+)\)", TELEGRAM)
    }
    found = {d.channel: (d.kind, d.position, d.raw_unit) for d in devices_present()}
    assert found == {
        n: (kind_of(types[n]).key, (value * FACTORS[unit]).quantize(Decimal("0.000001")), unit)
        for n, (value, unit) in values.items()
    }
    assert found[1][0] == "unknown" and found[3][0] == "heat"
    gas_value = values[[n for n, t in types.items() if t == 3][0]][0]
    assert DsmrReading.objects.get().extra_device_delivered == gas_value  # gas by its type, on channel 2
