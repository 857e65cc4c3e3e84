"""One rounding rule for stored decimals (readings.fields.STORED_ROUNDING), the same on every path.

Each value below sits exactly on a half of its column's last place, where half up and half even differ;
the expected value is worked out from the rule and the column's places, not written down."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from dsmrhub.readings.bulk import readings_ingest_bulk
from dsmrhub.readings.fields import STORED_ROUNDING
from dsmrhub.readings.models import DsmrReading, MBusReading
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams, replace_line

pytestmark = pytest.mark.django_db

# (reading field, its register in a telegram, a value on a half, unit)
HALVES = [
    ("electricity_delivered_1", "1-0:1.8.1", "001234.5665", "kWh"),
    ("electricity_currently_delivered", "1-0:1.7.0", "01.2345", "kW"),
    ("phase_currently_returned_l1", "1-0:22.7.0", "00.5745", "kW"),
    ("phase_voltage_l1", "1-0:32.7.0", "230.25", "V"),
    ("phase_power_current_l1", "1-0:31.7.0", "005.0005", "A"),
]
GAS_HALF = "02345.6785"


def stored(name: str, text: str, rounding: str = STORED_ROUNDING) -> Decimal:
    """What the column keeps of ``text`` by ``rounding`` (the rule unless told otherwise)."""
    places = DsmrReading._meta.get_field(name).decimal_places
    return Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=rounding)


def test_the_rule_is_half_up_and_every_case_sits_on_a_half():
    assert STORED_ROUNDING == ROUND_HALF_UP  # as the README documents for derived values and money
    for name, _, text, _ in [*HALVES, ("extra_device_delivered", "", GAS_HALF, "")]:
        assert stored(name, text) != stored(name, text, ROUND_HALF_EVEN), name  # the cases tell them apart
        assert stored(name, text) > Decimal(text)  # a half goes up


def test_the_model_field_rounds_by_the_rule():
    timestamp = demo_telegrams(1)[0][0]
    values = {name: Decimal(text) for name, _, text, _ in HALVES}
    values.update(electricity_delivered_2=0, electricity_returned_1=0, electricity_returned_2=0)
    values.update(electricity_currently_returned=0, extra_device_delivered=Decimal(GAS_HALF))
    DsmrReading.objects.create(timestamp=timestamp, extra_device_timestamp=timestamp, **values)
    reading = DsmrReading.objects.get()
    for name, _, text, _ in HALVES:
        assert getattr(reading, name) == stored(name, text), name
        assert DsmrReading._meta.get_field(name).to_python(text) == stored(name, text)
    assert reading.extra_device_delivered == stored("extra_device_delivered", GAS_HALF)


def half_telegram() -> str:
    """A demo telegram whose registers above (and the gas value) sit on a half."""
    telegram = demo_telegrams(1)[0][1]
    for _, obis, text, unit in HALVES:
        telegram = replace_line(telegram, obis, f"{obis}({text}*{unit})")
    gas = re.search(r"^0-1:24\.2\.1\((\w+)\)", telegram, re.MULTILINE).group(1)
    return replace_line(telegram, "0-1:24.2.1", f"0-1:24.2.1({gas})({GAS_HALF}*m3)")


def _api_v1(client, api_key, telegram, tmp_path):
    response = client.post(
        "/api/v1/datalogger/dsmrreading", {"telegram": telegram}, HTTP_AUTHORIZATION=f"Token {api_key}"
    )
    assert response.status_code == 201, response.content


def _datalogger_one(client, api_key, telegram, tmp_path):
    assert reading_ingest_telegram(telegram=telegram).created


def _datalogger_batch(client, api_key, telegram, tmp_path):
    following = demo_telegrams(2)[1][1]  # a batch of two: the bulk path
    assert readings_ingest_bulk(telegrams=[(telegram, None), (following, None)]).stored == 2


def _import(client, api_key, telegram, tmp_path):
    capture = tmp_path / "capture.txt"
    capture.write_text(telegram, encoding="latin-1", newline="")
    out = StringIO()
    call_command("import", str(capture), "--quiet", stdout=out)
    assert "stored 1," in out.getvalue()


@pytest.mark.parametrize("store", [_api_v1, _datalogger_one, _datalogger_batch, _import])
def test_every_telegram_path_rounds_by_the_rule(store, client, api_key, tmp_path):
    moment = demo_telegrams(1)[0][0]
    store(client, api_key, half_telegram(), tmp_path)
    reading = DsmrReading.objects.get(timestamp=moment)
    for name, _, text, _ in HALVES:
        assert getattr(reading, name) == stored(name, text), name
    gas = stored("extra_device_delivered", GAS_HALF)
    assert reading.extra_device_delivered == gas
    assert MBusReading.objects.get(reading=reading).value == gas
