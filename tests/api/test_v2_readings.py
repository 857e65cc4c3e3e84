from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams

URL = "/api/v2/datalogger/dsmrreading"
pytestmark = pytest.mark.django_db

SEED_EXAMPLE = {
    "electricity_currently_delivered": 1.500,
    "electricity_currently_returned": 0.025,
    "electricity_delivered_1": 2000,
    "electricity_delivered_2": 3000,
    "electricity_returned_1": 0,
    "electricity_returned_2": 0,
    "timestamp": "2017-04-15T00:00:00+02",
}


def test_post_creates_a_reading_like_the_seed_example(api_client):
    response = api_client.post(URL, SEED_EXAMPLE)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["timestamp"] == "2017-04-14T22:00:00Z"
    assert body["electricity_delivered_1"] == "2000.000"
    assert body["electricity_delivered_2"] == "3000.000"
    assert body["electricity_returned_1"] == "0.000"
    assert body["electricity_currently_delivered"] == "1.500"
    assert body["electricity_currently_returned"] == "0.025"
    assert body["phase_currently_delivered_l1"] is None
    assert body["extra_device_timestamp"] is None
    assert body["extra_device_delivered"] is None
    reading = DsmrReading.objects.get(pk=body["id"])
    assert reading.electricity_delivered_2 == Decimal("3000.000")


def test_post_json_body_works_too(api_client):
    response = api_client.post(URL, SEED_EXAMPLE, format="json")
    assert response.status_code == 201, response.content


def test_naive_datetime_is_read_in_the_configured_zone(api_client):
    response = api_client.post(URL, {**SEED_EXAMPLE, "timestamp": "2017-01-01 12:00:00"})
    assert response.status_code == 201, response.content
    assert response.json()["timestamp"] == "2017-01-01T11:00:00Z"


def test_post_same_timestamp_twice_is_409_and_stores_once(api_client):
    assert api_client.post(URL, SEED_EXAMPLE).status_code == 201
    response = api_client.post(URL, SEED_EXAMPLE)
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert DsmrReading.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timestamp": None}, "timestamp"),
        ({"electricity_delivered_1": "abc"}, "electricity_delivered_1"),
        ({"electricity_delivered_1": "-1"}, "detail"),
        ({"electricity_delivered_1": "1e20"}, "electricity_delivered_1"),
        ({"timestamp": "2017-13-45T00:00:00"}, "timestamp"),
        ({"timestamp": (datetime.now(UTC) + timedelta(days=3)).isoformat()}, "detail"),
        ({"extra_device_delivered": "12.5"}, "detail"),
    ],
)
def test_post_bad_values_is_400_with_the_field_named(api_client, change, field):
    data = {k: v for k, v in {**SEED_EXAMPLE, **change}.items() if v is not None}
    response = api_client.post(URL, data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert DsmrReading.objects.count() == 0


def test_post_missing_required_field_is_400(api_client):
    data = dict(SEED_EXAMPLE)
    del data["electricity_returned_2"]
    response = api_client.post(URL, data)
    assert response.status_code == 400
    assert "electricity_returned_2" in response.json()


@pytest.fixture
def ten_readings(db):
    moments = []
    for moment, telegram in demo_telegrams(10, start=datetime(2026, 1, 15, 11, 0, tzinfo=UTC)):
        reading_ingest_telegram(telegram=telegram)
        moments.append(moment)
    return moments


def test_get_lists_readings_oldest_first_with_paging(api_client, ten_readings):
    body = api_client.get(URL, {"limit": 3}).json()
    assert body["count"] == 10
    assert [r["timestamp"] for r in body["results"]] == [
        m.strftime("%Y-%m-%dT%H:%M:%SZ") for m in ten_readings[:3]
    ]
    assert body["previous"] is None
    assert "limit=3" in body["next"] and "offset=3" in body["next"]
    first = body["results"][0]
    assert first["extra_device_delivered"] == "2345.678"
    assert first["extra_device_timestamp"] == "2026-01-15T11:00:00Z"
    assert first["phase_voltage_l1"] is not None


def test_default_limit_is_25_and_ordering_descending(api_client, ten_readings):
    body = api_client.get(URL, {"ordering": "-timestamp"}).json()
    assert len(body["results"]) == 10
    assert body["results"][0]["timestamp"] == ten_readings[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["next"] is None


def test_timestamp_filters_take_local_naive_and_aware_values(api_client, ten_readings):
    # 12:00:30 local (CET) is 11:00:30 UTC: readings at 11:00:30 .. 11:01:00
    body = api_client.get(
        URL, {"timestamp__gte": "2026-01-15 12:00:30", "timestamp__lte": "2026-01-15T11:01:00Z"}
    ).json()
    assert [r["timestamp"] for r in body["results"]] == [
        "2026-01-15T11:00:30Z",
        "2026-01-15T11:00:40Z",
        "2026-01-15T11:00:50Z",
        "2026-01-15T11:01:00Z",
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "-1"},
        {"limit": "0"},
        {"limit": "100000"},
        {"offset": "abc"},
        {"offset": "-5"},
        {"timestamp__gte": "yesterday"},
        {"timestamp__lte": "2017-02-30"},
        {"ordering": "electricity_delivered_1"},
        {"ordering": "-id;drop"},
    ],
)
def test_invalid_query_values_are_400_with_a_reason(api_client, ten_readings, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400, response.content
    assert next(iter(params)) in response.json()


def test_unknown_paths_and_methods_answer_json(api_client):
    response = api_client.get("/api/v2/no/such/thing")
    assert response.status_code == 404
    assert "detail" in response.json()
    response = api_client.put(URL, SEED_EXAMPLE)
    assert response.status_code == 405
    assert "detail" in response.json()


def test_v2_without_key_is_401_json_and_disabled_is_403(client, api_key):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()
    from dsmrhub.api.services import api_settings_update

    api_settings_update(allow=False)
    response = client.get(URL, HTTP_AUTHORIZATION=f"Token {api_key}")
    assert response.status_code == 403
    assert response.json() == {"detail": "API is disabled"}


def test_body_over_the_upload_limit_is_413_json(api_client):
    response = api_client.post(URL, {"timestamp": "x" * 3_000_000})
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        ("0001-01-01T00:00:00Z", "timestamp 0001-01-01T00:00:00Z lies before 2001-01-01"),
        ("1900-01-01T00:00:00Z", "timestamp 1900-01-01T00:00:00Z lies before 2001-01-01"),
        ("2000-01-01T00:00:00+01:00", "timestamp 1999-12-31T23:00:00Z lies before 2001-01-01"),  # reset clock
        ("2000-12-31T23:59:59Z", "lies before 2001-01-01"),
        ((datetime.now(UTC) + timedelta(days=2)).isoformat(), "lies more than 24 hours in the future"),
    ],
    ids=["year 1", "1900", "reset clock", "end of 2000", "two days ahead"],
)
def test_post_with_an_implausible_timestamp_is_400_with_the_reason(api_client, timestamp, reason):
    response = api_client.post(URL, {**SEED_EXAMPLE, "timestamp": timestamp})
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"]
    assert not DsmrReading.objects.exists()


@pytest.mark.parametrize(
    "gas_timestamp", ["0001-01-01T00:00:00Z", "1900-06-01T12:00:00Z", "2000-01-01T00:00"]
)
def test_post_with_an_implausible_gas_timestamp_is_400(api_client, gas_timestamp):
    gas = {"extra_device_timestamp": gas_timestamp, "extra_device_delivered": "123.456"}
    response = api_client.post(URL, {**SEED_EXAMPLE, **gas})
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("extra_device_timestamp ")
    assert "lies before 2001-01-01" in response.json()["detail"]
    assert not DsmrReading.objects.exists()


def test_the_earliest_plausible_moment_is_accepted(api_client):
    gas = {"extra_device_timestamp": "2001-01-01T00:00:00Z", "extra_device_delivered": "1.000"}
    response = api_client.post(URL, {**SEED_EXAMPLE, "timestamp": "2001-01-01T00:00:00Z", **gas})
    assert response.status_code == 201, response.content


def test_delete_one_reading_by_its_id(api_client, ten_readings):
    first = api_client.get(URL).json()["results"][0]
    response = api_client.delete(f"{URL}/{first['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert not DsmrReading.objects.filter(timestamp=ten_readings[0]).exists()
    assert DsmrReading.objects.count() == 9
    again = api_client.delete(f"{URL}/{first['id']}")
    assert again.status_code == 404
    assert "no reading with id" in again.json()["detail"]


def test_delete_a_reading_stored_in_year_one_by_its_negative_id(api_client):
    from tests.processing.builders import reading, store

    store(reading(datetime(1, 1, 1, tzinfo=UTC), "1", "1"))
    assert api_client.get(URL).json()["results"][0]["id"] == -62135596800
    assert api_client.delete(f"{URL}/-62135596800").status_code == 204
    assert not DsmrReading.objects.exists()


def test_delete_needs_the_key(client, api_key, ten_readings):
    one = f"{URL}/{int(ten_readings[0].timestamp())}"
    assert client.delete(one).status_code == 401
    assert client.delete(URL + "?timestamp__gte=2026-01-01T00:00:00Z").status_code == 401
    assert client.delete(one, HTTP_AUTHORIZATION="Token wrong-key").status_code == 401
    assert DsmrReading.objects.count() == 10


def test_delete_a_range_answers_how_many(api_client, ten_readings):
    since, until = ten_readings[2], ten_readings[4]
    response = api_client.delete(
        f"{URL}?timestamp__gte={since:%Y-%m-%dT%H:%M:%SZ}&timestamp__lte={until:%Y-%m-%dT%H:%M:%SZ}"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"deleted": 3}
    assert (
        list(DsmrReading.objects.values_list("timestamp", flat=True)) == ten_readings[:2] + ten_readings[5:]
    )
    response = api_client.delete(f"{URL}?timestamp__lte={ten_readings[0]:%Y-%m-%dT%H:%M:%SZ}")
    assert response.json() == {"deleted": 1}


@pytest.mark.parametrize("query", ["", "?limit=5", "?timestamp__gte=yesterday"])
def test_delete_a_range_without_a_valid_bound_is_400_and_deletes_nothing(api_client, ten_readings, query):
    response = api_client.delete(URL + query)
    assert response.status_code == 400, response.content
    assert DsmrReading.objects.count() == 10


def test_post_values_on_a_half_are_rounded_by_the_stored_rule(api_client):
    """More places than a column keeps are rounded half up (readings.fields.STORED_ROUNDING), as on every
    other path; the expected values come from the rule, not from a list."""
    from tests.readings.test_rounding import GAS_HALF, HALVES, stored

    halves = {name: text for name, _, text, _ in HALVES} | {"extra_device_delivered": GAS_HALF}
    data = {**SEED_EXAMPLE, **halves, "extra_device_timestamp": SEED_EXAMPLE["timestamp"]}
    response = api_client.post(URL, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    reading = DsmrReading.objects.get(pk=body["id"])
    for name, text in halves.items():
        assert getattr(reading, name) == stored(name, text), name
        if name.startswith("phase_power_current_"):  # shown in whole amperes, half up (DSMR-reader v5)
            assert body[name] == int(stored(name, text).quantize(Decimal(1), rounding=ROUND_HALF_UP)), name
        else:
            assert Decimal(body[name]) == stored(name, text), name


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"electricity_delivered_1": "1234567890.0005"}, "electricity_delivered_1"),  # 13 whole digits
        # 999999.9995 kW rounds to 1000000.000: one digit too many
        ({"electricity_currently_delivered": "999999.9995"}, "electricity_currently_delivered"),
    ],
)
def test_post_values_too_big_once_rounded_are_400(api_client, change, field):
    response = api_client.post(URL, {**SEED_EXAMPLE, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert DsmrReading.objects.count() == 0
