from __future__ import annotations

import pytest

from dsmrhub.readings.models import MeterStatistics
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams

URL = "/api/v2/datalogger/meter-statistics"
pytestmark = pytest.mark.django_db


def test_get_shows_the_counters_of_the_latest_telegram(api_client):
    moment, telegram = demo_telegrams(1)[0]
    reading_ingest_telegram(telegram=telegram)
    body = api_client.get(URL).json()
    assert body["id"] == 1
    assert body["timestamp"] == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["dsmr_version"] == "50"
    assert body["power_failure_count"] == 3
    assert body["long_power_failure_count"] == 1
    assert body["voltage_sag_count_l1"] == 2
    assert body["voltage_swell_count_l3"] == 0
    assert body["rejected_telegrams"] == 0
    # as DSMR-reader v5 shows it: the telegram through its CRC line, without the line end after it
    assert telegram.endswith("\r\n")
    assert body["latest_telegram"] == telegram[: -len("\r\n")]
    assert MeterStatistics.objects.get().latest_telegram == telegram  # stored as read


def test_patch_like_the_seed_example(api_client):
    reading_ingest_telegram(telegram=demo_telegrams(1)[0][1])
    response = api_client.patch(
        URL,
        "timestamp=2020-01-15T12:34:56%2B01&dsmr_version=50&power_failure_count=1"
        "&voltage_sag_count_l1=5&voltage_swell_count_l1=6&latest_telegram=",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timestamp"] == "2020-01-15T11:34:56Z"
    assert body["power_failure_count"] == 1
    assert body["voltage_sag_count_l1"] == 5
    assert body["voltage_swell_count_l1"] == 6
    assert body["latest_telegram"] is None
    assert body["long_power_failure_count"] == 1  # untouched
    assert MeterStatistics.objects.get().latest_telegram is None


def test_patch_empty_value_nulls_a_nullable_field_also_in_json(api_client):
    reading_ingest_telegram(telegram=demo_telegrams(1)[0][1])
    response = api_client.patch(URL, {"power_failure_count": "", "dsmr_version": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["power_failure_count"] is None
    assert response.json()["dsmr_version"] is None


@pytest.mark.parametrize(
    "data",
    [
        {"rejected_telegrams": ""},
        {"rejected_telegrams": "-1"},
        {"power_failure_count": "many"},
        {"timestamp": "not a date"},
        {"timestamp": ""},
    ],
)
def test_patch_bad_values_are_400(api_client, data):
    response = api_client.patch(URL, data, format="json")
    assert response.status_code == 400, response.content
    assert next(iter(data)) in response.json()


@pytest.mark.parametrize("value", [2**31, 2**40, -1])
def test_patch_counter_beyond_a_4_byte_integer_is_400_on_every_database(api_client, value):
    response = api_client.patch(URL, {"power_failure_count": value}, format="json")
    assert response.status_code == 400
    assert "power_failure_count" in response.json()


def test_patch_timestamp_with_an_offset_postgresql_refuses_is_stored_as_the_same_instant(api_client):
    # Python allows UTC offsets up to ±23:59, PostgreSQL only up to ±15:59 (found by schemathesis)
    response = api_client.patch(URL, {"timestamp": "2036-03-27T09:45:24+16:00"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["timestamp"] == "2036-03-26T17:45:24Z"
    stored = MeterStatistics.objects.get().timestamp
    assert stored.isoformat() == "2036-03-26T17:45:24+00:00"


def test_patch_timestamp_that_leaves_the_calendar_in_utc_is_400(api_client):
    response = api_client.patch(URL, {"timestamp": "0001-01-01T00:30:00+01:00"}, format="json")
    assert response.status_code == 400, response.content
    assert "timestamp" in response.json()
