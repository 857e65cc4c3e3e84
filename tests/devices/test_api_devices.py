"""API v2: the present devices, consumption per kind and per channel, and the statistics' device fields."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dsmrhub.devices.models import DeviceDay, DeviceHour
from dsmrhub.devices.services import device_price_save
from dsmrhub.processing.models import DayStatistics, HourStatistics
from tests.devices.builders import ingest, stream
from tests.devices.test_devices import GAS_ID, HEAT_ID, START, WATER_ID

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 3, 2)


@pytest.fixture
def meters(db):
    ingest(
        stream(
            START,
            25,
            [
                (2, 3, GAS_ID, D("100.000"), D("0.120"), "m3"),
                (3, 7, WATER_ID, D("50.000"), D("0.036"), "m3"),
                (4, 12, HEAT_ID, D("2000.000"), D("1.500"), "kWh"),
            ],
        )
    )


def test_the_present_devices(api_client, meters):
    body = api_client.get("/api/v2/consumption/devices").json()
    found = {d["channel"]: (d["kind"], d["unit"], d["label"]) for d in body["devices"]}
    assert found == {
        2: ("gas", "m³", "Gas meter"),
        3: ("water", "m³", "Water meter"),
        4: ("heat", "GJ", "Heat meter"),
    }
    heat = next(d for d in body["devices"] if d["kind"] == "heat")
    assert D(heat["position"]) == D(heat["raw_value"]) * D("0.0036")
    assert heat["raw_unit"] == "kWh" and heat["position_at"].endswith("Z")


def test_water_per_hour_day_and_five_minutes_add_up(api_client, meters):
    hours = api_client.get("/api/v2/consumption/water", {"from": DAY, "resolution": "hour"}).json()
    assert hours["kind"] == "water" and hours["from"] == hours["to"] == DAY.isoformat()
    uses = [D(p["use"]) for p in hours["periods"]]
    assert uses == [D("0.036")] * 24
    days = api_client.get("/api/v2/consumption/water", {"from": DAY, "to": DAY, "resolution": "day"}).json()
    (day,) = days["periods"]
    assert (day["start"], D(day["use"]), day["cost"]) == (DAY.isoformat(), sum(uses), None)
    assert D(day["position"]) == D("50.000") + sum(uses)
    fives = api_client.get("/api/v2/consumption/water", {"from": DAY, "resolution": "five-minutes"}).json()
    assert sum(D(p["use"]) for p in fives["periods"]) == sum(uses)
    assert len(fives["periods"]) == 24 * 12  # a value every five minutes


def test_heat_per_channel_and_the_kind_agree(api_client, meters):
    by_kind = api_client.get("/api/v2/consumption/heat", {"from": DAY}).json()["periods"]
    by_channel = api_client.get("/api/v2/consumption/devices/4", {"from": DAY}).json()["periods"]
    assert by_kind == by_channel
    assert {D(p["use"]) for p in by_kind} == {D("1.500") * D("0.0036")}
    assert api_client.get("/api/v2/consumption/devices/9", {"from": DAY}).json()["periods"] == []
    assert api_client.get("/api/v2/consumption/devices/256").status_code == 404


def test_ranges_never_fail_a_valid_request(api_client, meters):
    empty = api_client.get("/api/v2/consumption/water", {"from": "2026-03-05", "to": "2026-03-01"}).json()
    assert empty["periods"] == []
    long = api_client.get("/api/v2/consumption/water", {"from": "2026-01-01", "to": "2027-12-31"}).json()
    assert long["to"] == (date(2026, 1, 1) + timedelta(days=365)).isoformat()
    assert api_client.get("/api/v2/consumption/water", {"resolution": "week"}).status_code == 400
    assert api_client.get("/api/v2/consumption/water", {"resolution": ""}).status_code == 400  # not a value
    assert api_client.get("/api/v2/consumption/water", {"from": "", "to": ""}).status_code == 200  # today
    assert api_client.get("/api/v2/consumption/water", {"frm": "2026-01-01"}).status_code == 400


def test_the_statistics_gain_water_heat_and_cooling(api_client, meters):
    device_price_save(kind="water", start=date(2026, 1, 1), end=None, price=D("1.500000"))
    (day,) = api_client.get("/api/v2/statistics/day", {"day": DAY}).json()["results"]
    water = DeviceDay.objects.get(day=DAY, kind="water").use
    assert D(day["water"]) == water
    assert D(day["water_cost"]) == (water * D("1.5")).quantize(D("0.01"))
    assert D(day["heat"]) == DeviceDay.objects.get(day=DAY, kind="heat").use
    assert day["heat_cost"] is None and day["cooling"] is None
    assert D(day["gas"]) == DayStatistics.objects.get(day=DAY).gas  # the gas field keeps its meaning
    hours = api_client.get("/api/v2/statistics/hour", {"hour_start__gte": "2026-03-02T00:00:00Z", "limit": 5})
    for row in hours.json()["results"]:
        hour = HourStatistics.objects.get(hour_start=row["hour_start"])
        assert D(row["water"]) == DeviceHour.objects.get(start=hour.hour_start, kind="water").use
        assert D(row["gas"]) == hour.gas
