"""API v2 consumption, statistics and application endpoints: seed shapes, filters, errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import MeterStatistics
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
NOW = utc(2026, 3, 3, 10, 30)  # 11:30 in Amsterdam
SEED_TODAY_KEYS = (
    "day",
    "electricity1",
    "electricity1_cost",
    "electricity1_returned",
    "electricity2",
    "electricity2_cost",
    "electricity2_returned",
    "gas",
    "gas_cost",
    "total_cost",
)


@pytest.fixture
def processed():
    store(*steady_stream(utc(2026, 3, 1, 23), NOW, step=timedelta(minutes=1)))
    processing_run_pending()


def test_electricity_consumption_shape_and_paging(api_client, processed):
    body = api_client.get("/api/v2/consumption/electricity?limit=2").json()
    assert body["count"] > 2000 and body["previous"] is None and "offset=2" in body["next"]
    row = body["results"][0]
    assert row["read_at"] == "2026-03-01T23:00:00Z"
    assert row["id"] == 1772406000
    assert row["delivered_1"] == "1000.000" and row["currently_delivered"] == "1.800"
    for key in (
        "returned_1",
        "delivered_2",
        "returned_2",
        "currently_returned",
        "phase_currently_delivered_l1",
        "phase_currently_returned_l3",
    ):
        assert key in row


def test_electricity_filters_and_ordering(api_client, processed):
    body = api_client.get(
        "/api/v2/consumption/electricity",
        {
            "read_at__gte": "2026-03-02 12:00:00",
            "read_at__lte": "2026-03-02T11:05:00Z",
            "ordering": "-read_at",
        },
    ).json()
    # naive input is local time: 12:00 Amsterdam = 11:00Z
    assert [r["read_at"] for r in body["results"]] == [f"2026-03-02T11:0{m}:00Z" for m in range(5, -1, -1)]


@pytest.mark.parametrize(
    "query",
    [
        "ordering=delivered_1",
        "ordering=-",
        "read_at__gte=yesterday",
        "limit=-1",
        "limit=100000",
        "offset=abc",
    ],
)
def test_bad_input_is_a_400_with_a_reason(api_client, processed, query):
    response = api_client.get(f"/api/v2/consumption/electricity?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()


@pytest.mark.parametrize(
    "url",
    ["/api/v2/statistics/day?day__gte=2026-02-30", "/api/v2/statistics/hour?hour_start__lte=x"],
)
def test_bad_statistics_filters_are_400(api_client, url):
    assert api_client.get(url).status_code == 400


def test_gas_consumption(api_client, processed):
    body = api_client.get("/api/v2/consumption/gas?read_at__gte=2026-03-02T10:00:00Z&limit=1").json()
    assert body["results"] == [
        {
            "id": 1772445600,
            "read_at": "2026-03-02T10:00:00Z",
            "delivered": "501.440",  # 500 + 12 h × 0.120 (the stream starts 2026-03-01T23:00Z)
            "currently_delivered": "0.120",
        }
    ]


def test_hour_and_day_statistics(api_client, processed):
    hours = api_client.get("/api/v2/statistics/hour?hour_start__gte=2026-03-02T00:00:00Z&limit=1").json()
    assert hours["results"] == [
        {
            "id": 1772409600,
            "hour_start": "2026-03-02T00:00:00Z",
            "electricity1": "1.800",
            "electricity2": "0.000",
            "electricity1_returned": "0.000",
            "electricity2_returned": "0.000",
            "gas": "0.120",
            "water": None,  # no water, heat or cooling meter on the M-Bus (dsmrhub.devices)
            "heat": None,
            "cooling": None,
            "imported": False,
        }
    ]
    days = api_client.get(
        "/api/v2/statistics/day?day__gte=2026-03-01&day__lte=2026-03-05&ordering=-day"
    ).json()
    # the first reading is at 23:00Z = local midnight of 2026-03-02, so 2026-03-01 has no day (statistics
    # start at the first reading); 2026-03-03 is not over yet
    assert days["count"] == 1
    day = days["results"][0]
    assert day["day"] == "2026-03-02" and day["id"] == 20260302
    assert (day["electricity1"], day["gas"], day["total_cost"]) == ("43.200", "2.880", "0.00")
    assert day["electricity1_reading"] == "1000.000"
    assert day["lowest_temperature"] is None
    assert day["imported"] is False
    assert api_client.get("/api/v2/statistics/day?ordering=total_cost").status_code == 400


def test_day_statistics_carry_the_temperatures_imported_from_dsmr_reader(api_client, processed):
    from dsmrhub.switching.models import TemperatureReading

    # hourly temperatures of local 2026-03-02 (23:00Z the day before .. 22:00Z), one of the next day
    degrees = [D(n) * D("0.3") - D("2.0") for n in range(24)]  # -2.0 .. 4.9; their mean 1.45 rounds up
    for hour, value in enumerate(degrees):
        TemperatureReading.objects.create(
            read_at=utc(2026, 3, 1, 23) + timedelta(hours=hour), degrees_celsius=value
        )
    TemperatureReading.objects.create(read_at=utc(2026, 3, 2, 23), degrees_celsius=D("40.0"))
    day = api_client.get("/api/v2/statistics/day?day=2026-03-02").json()["results"][0]
    average = (sum(degrees) / len(degrees)).quantize(D("0.1"), rounding="ROUND_HALF_UP")
    assert (day["lowest_temperature"], day["highest_temperature"], day["average_temperature"]) == (
        str(min(degrees)),
        str(max(degrees)),
        str(average),
    )


@time_machine.travel(NOW, tick=False)
def test_today_and_live_with_a_contract(api_client, processed):
    contract_save(
        description="2026",
        start=date(2026, 1, 1),
        prices={
            "electricity_delivered_1_price": D("0.25"),
            "electricity_delivered_2_price": D("0.20"),
            "gas_price": D("1.00"),
        },
    )
    MeterStatistics.store(timestamp=NOW, electricity_tariff=1)
    today = api_client.get("/api/v2/consumption/today").json()
    # 00:00-11:30 local = 11.5 h × 1.8 kW = 20.700 kWh; gas hours complete 23:00Z-10:00Z: 11 × 0.120
    # (the seed document's keys; v5's further keys: tests/api/test_v5_compat.py)
    assert {key: today[key] for key in SEED_TODAY_KEYS} == {
        "day": "2026-03-03",
        "electricity1": 20.7,
        "electricity1_cost": 5.18,  # 5.175 rounds half up
        "electricity1_returned": 0.0,
        "electricity2": 0.0,
        "electricity2_cost": 0.0,
        "electricity2_returned": 0.0,
        "gas": 1.38,
        "gas_cost": 1.38,
        "total_cost": 6.56,
    }
    live = api_client.get("/api/v2/consumption/electricity-live").json()
    assert live == {
        "timestamp": "2026-03-03T10:30:00Z",
        "currently_returned": 0,
        "currently_delivered": 1800,
        "cost_per_hour": 0.45,
        "tariff_name": "low",  # tariff 1; no telegram (readings as values): DSMR-reader's Dutch names
    }
    gas = api_client.get("/api/v2/consumption/gas-live").json()
    assert gas == {
        "timestamp": "2026-03-03T10:00:00Z",
        "currently_delivered": 0.06,
        "cost_per_interval": 0.06,
    }
    prices = api_client.get("/api/v2/consumption/energy-supplier-prices").json()
    assert prices["results"][0]["electricity_delivered_1_price"] == "0.250000"
    assert prices["results"][0]["end"] is None


@time_machine.travel(NOW, tick=False)
def test_without_contract_live_has_no_cost(api_client, processed):
    assert "cost_per_hour" not in api_client.get("/api/v2/consumption/electricity-live").json()
    assert "cost_per_interval" not in api_client.get("/api/v2/consumption/gas-live").json()


@time_machine.travel(NOW, tick=False)
def test_empty_database_answers_404_with_a_json_reason(api_client):
    for url in ("today", "electricity-live", "gas-live"):
        response = api_client.get(f"/api/v2/consumption/{url}")
        assert response.status_code == 404
        assert response.json()["detail"]


@time_machine.travel(NOW + timedelta(days=1), tick=False)
def test_today_without_readings_today_is_404(api_client, processed):
    response = api_client.get("/api/v2/consumption/today")
    assert response.status_code == 404
    assert response.json() == {"detail": "no readings today yet"}


def test_version(api_client):
    import dsmrhub

    assert api_client.get("/api/v2/application/version").json() == {"version": dsmrhub.__version__}


@time_machine.travel(NOW + timedelta(minutes=10), tick=False)
def test_status_and_monitoring(api_client, processed):
    store(reading(NOW + timedelta(minutes=1), "1.000"))  # not processed yet; and a meter drop
    status = api_client.get("/api/v2/application/status").json()
    assert status["readings"]["latest"] == "2026-03-03T10:31:00Z"
    assert status["readings"]["seconds_since"] == 540
    assert status["readings"]["unprocessed"] == {"count": 1, "seconds_since": 540}
    assert status["gas"] == {"latest": "2026-03-03T10:00:00Z", "hours_since": 0}
    assert status["electricity"] == {"latest": "2026-03-03T10:30:00Z", "minutes_since": 10}
    assert status["statistics"] == {"latest": "2026-03-02", "days_since": 1}
    assert status["capabilities"] == {
        "any": True,
        "electricity": True,
        "electricity_returned": False,
        "gas": True,
        "multi_phases": False,
        "weather": False,
    }
    monitoring = api_client.get("/api/v2/application/monitoring").json()
    assert monitoring["healthy"] is False
    assert monitoring["problems"] == len(monitoring["details"]) > 0
    texts = " ".join(p["description"] for p in monitoring["details"])
    assert "No new reading for 9 minutes" in texts
    assert "wait for processing" in texts
    assert "No energy contract" in texts
    processing_run_pending()
    texts = " ".join(
        p["description"] for p in api_client.get("/api/v2/application/monitoring").json()["details"]
    )
    assert "went down" in texts and "wait for processing" not in texts


def test_endpoints_need_the_api_key(client, api_key):
    for url in ("consumption/electricity", "statistics/day", "application/status", "consumption/today"):
        response = client.get(f"/api/v2/{url}")
        assert response.status_code == 401
        assert response.json()["detail"]


def test_only_get_is_allowed(api_client):
    response = api_client.post("/api/v2/statistics/day", {})
    assert response.status_code == 405
    assert response.json()["detail"]


def test_late_telegrams_update_processed_statistics(api_client):
    """Telegrams through the ingest service; then telegrams from an hour earlier arrive late."""
    start = utc(2026, 3, 2, 9, 0)
    telegrams = demo_telegrams(361, start=start, step=timedelta(seconds=20))  # 09:00:00 … 11:00:00
    on_time = [t for at, t in telegrams if at >= start + timedelta(hours=1)]
    late = [t for at, t in telegrams if at < start + timedelta(hours=1)]
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        for telegram in on_time:
            reading_ingest_telegram(telegram=telegram)
        processing_run_pending()
        before = api_client.get("/api/v2/statistics/hour").json()["results"]
        for telegram in late:
            reading_ingest_telegram(telegram=telegram)
        processing_run_pending()
        after = api_client.get("/api/v2/statistics/hour").json()["results"]
    # an hour that ends at or before the first reading has no row (its use is unknown, not zero)
    assert [h["hour_start"] for h in before] == ["2026-03-02T10:00:00Z"]
    assert [h["hour_start"] for h in after] == ["2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"]
    assert Decimal(after[0]["electricity1"]) + Decimal(after[0]["electricity2"]) > 0
    assert after[-1] == before[-1]  # the hour after the late ones is unchanged
    electricity = api_client.get("/api/v2/consumption/electricity?limit=1000").json()
    assert electricity["count"] == 121  # 09:00 (holds the 09:00:00 reading) and every minute to 11:00


@time_machine.travel(NOW, tick=False)
def test_status_and_monitoring_report_the_datalogger(api_client):
    from dsmrhub.datalogger.models import DataloggerState

    body = api_client.get("/api/v2/application/status").json()
    assert body["datalogger"]["running"] is False
    assert body["mqtt"]["enabled"] is False and body["mqtt"]["outbox"] == 0
    assert "datalogger" not in " ".join(
        p["description"] for p in api_client.get("/api/v2/application/monitoring").json()["details"]
    )
    DataloggerState.store(
        source="serial:///dev/ttyUSB0",
        connected=False,
        updated_at=NOW - timedelta(seconds=5),
        last_error="[Errno 2] could not open port /dev/ttyUSB0",
        last_error_at=NOW - timedelta(seconds=5),
        telegrams_per_minute=0,
    )
    body = api_client.get("/api/v2/application/status").json()
    assert body["datalogger"]["running"] is True
    assert body["datalogger"]["connected"] is False
    assert body["datalogger"]["source"] == "serial:///dev/ttyUSB0"
    problems = api_client.get("/api/v2/application/monitoring").json()["details"]
    assert any(
        p["source"] == "dsmrhub.datalogger"
        and "cannot read serial:///dev/ttyUSB0: [Errno 2]" in p["description"]
        for p in problems
    )
    DataloggerState.row().update(updated_at=NOW - timedelta(minutes=5))
    problems = api_client.get("/api/v2/application/monitoring").json()["details"]
    assert any("stopped reporting" in p["description"] for p in problems)
