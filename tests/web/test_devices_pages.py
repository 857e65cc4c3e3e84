"""Water, heat and cooling meters on the pages: the dashboard's cards (and its JSON), the archive's columns,
the compared figures and the CSV export; hidden when there is no such meter. A water meter and a heat meter
(counting kWh) through telegrams (tests/web/devices_readings.py); expected figures worked out here."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine

from dsmrhub.devices.services import device_price_save
from tests.web.archive_readings import NBSP
from tests.web.dashboard_readings import AMS
from tests.web.devices_readings import (
    GJ_PER_KWH,
    HEAT_KWH_PER_HOUR,
    HEAT_START_KWH,
    WATER_PER_HOUR,
    WATER_START,
    store_meters,
)

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 10)  # Tuesday, winter time
START = datetime.combine(TODAY - timedelta(days=2), time(0), tzinfo=AMS)  # local midnight, two days before
LAST = datetime.combine(TODAY, time(10, 0), tzinfo=AMS)  # the latest telegram
NOW = LAST + timedelta(minutes=1)
WATER_PRICE = D("1.50")  # € per m³


def R(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def three(amount: Decimal) -> str:
    return f"{amount.quantize(D('0.001'), rounding=ROUND_HALF_UP):,}"


@pytest.fixture
def meters():
    with time_machine.travel(NOW, tick=False):
        device_price_save(kind="water", start=date(2026, 1, 1), end=None, price=WATER_PRICE)
        store_meters(START, LAST)
        yield


# Today: midnight through 10:00 is 10 hours of each meter's rate.
WATER_TODAY = WATER_PER_HOUR * 10
HEAT_TODAY = HEAT_KWH_PER_HOUR * 10 * GJ_PER_KWH
WATER_NOW = WATER_START + WATER_PER_HOUR * 58  # 2 days and 10 hours after START
HEAT_NOW = (HEAT_START_KWH + HEAT_KWH_PER_HOUR * 58) * GJ_PER_KWH


def test_dashboard_shows_a_card_per_meter_with_position_today_and_cost(client, meters):
    with time_machine.travel(NOW, tick=False):
        page = client.get("/").content.decode()
        live = client.get("/dashboard/live").json()
    water, heat = live["devices"]["water"], live["devices"]["heat"]
    assert set(live["devices"]) == {"water", "heat"}
    assert D(water["today"]) == WATER_TODAY
    assert D(water["position"]) == WATER_NOW
    assert D(water["cost"]) == R(WATER_TODAY * WATER_PRICE)
    assert water["unit"] == "m³" and water["label"] == "Water meter"
    assert D(heat["today"]) == HEAT_TODAY.quantize(D("0.001"), rounding=ROUND_HALF_UP)
    assert D(heat["position"]) == HEAT_NOW.quantize(D("0.001"), rounding=ROUND_HALF_UP)
    assert heat["cost"] is None and heat["unit"] == "GJ"
    assert 'id="device-water"' in page and 'id="device-heat"' in page and 'id="device-cooling"' not in page
    assert f"{three(WATER_TODAY)} m³" in page
    assert f"€{NBSP}{R(WATER_TODAY * WATER_PRICE)}" in page


def test_dashboard_without_such_meters_has_no_cards(client):
    with time_machine.travel(NOW, tick=False):
        store_meters(START, LAST, heat=False, water=False)
        page = client.get("/").content.decode()
        live = client.get("/dashboard/live").json()
    assert live["devices"] == {}
    assert 'id="devices"' not in page
