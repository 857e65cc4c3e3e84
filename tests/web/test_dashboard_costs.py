"""Dashboard: today's cost split (electricity, gas, fixed) as the API's today has it, and the price now and
next for time-of-use and dynamic contracts (a missing market price is "missing", never zero)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from dsmrhub.prices.services import contract_spec_parse
from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import MeterStatistics
from dsmrhub.spotprices.models import Commodity
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.processing.builders import reading, store, utc

D = Decimal
NOW = utc(2026, 3, 10, 11, 0)  # 12:00 in Amsterdam
Q = timedelta(minutes=15)


def R(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def save(spec: dict) -> None:
    parsed = contract_spec_parse(spec)
    contract_save(
        description=parsed.description,
        start=parsed.start,
        end=parsed.end,
        prices=parsed.prices,
        kind=parsed.kind,
        holidays_country=parsed.holidays_country,
        bands=parsed.bands,
        terms=parsed.terms,
    )


DYNAMIC = {
    "description": "dynamic",
    "start": "2026-01-01",
    "kind": "dynamic",
    "fixed_daily_cost": "0.25",
    "terms": {
        "electricity_delivered": {"markup": "0.02", "tax": "0.10154", "vat_percent": "21"},
        "electricity_returned": {"markup": "-0.015"},
    },
}


def _today_readings() -> None:
    """Local midnight and 11:59 on March 10 2026: 1.234 kWh tariff 1, 0.5 kWh tariff 2, 0.4 m³ gas."""
    store(
        reading(utc(2026, 3, 9, 23, 0), "1010.000", "2004.000", gas=(utc(2026, 3, 9, 23), "503.000")),
        reading(
            utc(2026, 3, 10, 10, 59),
            "1011.234",
            "2004.500",
            power="1.234",
            gas=(utc(2026, 3, 10, 10, 55), "503.400"),
        ),
    )
    MeterStatistics.store(timestamp=NOW, electricity_tariff=2)
    processing_run_pending()


@pytest.mark.django_db
def test_todays_cost_split_agrees_with_the_api(client, api_client):
    prices = {"delivered_1": D("0.25"), "delivered_2": D("0.20"), "gas": D("1.10"), "fixed": D("0.4567")}
    contract_save(
        description="fixed",
        start=date(2026, 1, 1),
        prices={
            "electricity_delivered_1_price": prices["delivered_1"],
            "electricity_delivered_2_price": prices["delivered_2"],
            "gas_price": prices["gas"],
            "fixed_daily_cost": prices["fixed"],
        },
    )
    with time_machine.travel(NOW, tick=False):
        _today_readings()
        data = client.get("/dashboard/live").json()
        api = api_client.get("/api/v2/consumption/today").json()
        page = client.get("/").content.decode()
    today = data["today"]
    electricity = R(D("1.234") * prices["delivered_1"]) + R(D("0.500") * prices["delivered_2"])
    gas = R(D("0.400") * prices["gas"])
    fixed = R(prices["fixed"])
    assert D(today["electricity_cost"]) == electricity
    assert D(today["gas_cost"]) == gas
    assert D(today["fixed_cost"]) == fixed
    assert D(today["total_cost"]) == electricity + gas + fixed
    assert D(str(api["fixed_cost"])) == fixed
    assert D(str(api["electricity_cost_merged"])) == electricity and D(str(api["gas_cost"])) == gas
    assert D(str(api["total_cost"])) == D(today["total_cost"])
    for part in ("today-electricity-cost", "today-gas-cost", "today-fixed-cost", "today-costs"):
        assert f'id="{part}"' in page, part
    assert data["price"] is None  # a fixed contract: its price is the tariff's, no "price now/next"


def _market(start: datetime, values: list[str]) -> None:
    market_prices_store(
        periods=[
            PricePeriod(Commodity.ELECTRICITY_DELIVERED, start + Q * i, start + Q * (i + 1), D(v))
            for i, v in enumerate(values)
        ],
        source="test",
    )


def _unit_delivered(market: Decimal) -> Decimal:
    return (market + D("0.02") + D("0.10154")) * (1 + D(21) / 100)


@pytest.mark.django_db
def test_price_now_and_next_of_a_dynamic_contract_and_missing_prices(client):
    save(DYNAMIC)
    start = utc(2026, 3, 10, 11, 0)  # 12:00 local
    _market(start, ["0.10", "-0.05"])
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        price = client.get("/dashboard/live").json()["price"]
    assert price["kind"] == "dynamic" and price["band"] is None
    assert D(price["delivered"]) == _unit_delivered(D("0.10"))
    assert D(price["returned"]) == D("0.10") - D("0.015")
    assert price["until"] == "12:15"
    assert D(price["next_delivered"]) == _unit_delivered(D("-0.05"))

    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        price = client.get("/dashboard/live").json()["price"]
    assert D(price["delivered"]) == _unit_delivered(D("-0.05"))
    assert price["next_delivered"] is None  # no market price after 12:30: unknown, not zero

    with time_machine.travel(start + timedelta(hours=2), tick=False):
        store(reading(start + timedelta(minutes=119), "1000.000", "2000.000", power="0.500"))
        price = client.get("/dashboard/live").json()["price"]
        page = client.get("/").content.decode()
    assert price is not None and price["delivered"] is None and price["returned"] is None
    assert 'id="price-now"' in page and 'data-missing="missing"' in page


@pytest.mark.django_db
def test_price_now_and_next_of_time_of_use_bands(client):
    save({
        "description": "peak", "start": "2026-07-01", "kind": "bands",
        "bands": [
            {"name": "peak", "delivered": "0.31", "returned": "0.07",
             "periods": [{"days": "mon-fri", "hours": "07:00-21:00"}]},
            {"name": "off", "delivered": "0.21", "returned": "0.07",
             "periods": [{"days": "mon-fri", "hours": "21:00-07:00"}, {"days": "sat-sun"}]},
        ],
    })  # fmt: skip
    friday_evening = utc(2026, 7, 3, 18, 40)  # 20:40 local, summer time
    with time_machine.travel(friday_evening, tick=False):
        price = client.get("/dashboard/live").json()["price"]
    assert (price["kind"], price["band"], D(price["delivered"]), D(price["returned"])) == (
        "bands",
        "peak",
        D("0.31"),
        D("0.07"),
    )
    assert (price["until"], D(price["next_delivered"])) == ("21:00", D("0.21"))
    with time_machine.travel(utc(2026, 6, 30, 12), tick=False):  # before the contract: no price at all
        assert client.get("/dashboard/live").json()["price"] is None


def test_the_browser_shows_a_missing_market_price_as_missing(browser_page):
    """A dynamic contract whose market prices stop: the price now says "missing", the next one as well."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    save({**DYNAMIC, "start": (now.date() - timedelta(days=2)).isoformat()})
    store(reading(now - timedelta(minutes=2), "1000.000", "2000.000", power="0.500"))
    processing_run_pending()
    page = browser_page.page
    browser_page.open("/")
    expect(page.locator("#price-now")).to_have_text("missing")
    expect(page.locator("#price-next-value")).to_have_text("missing")
    expect(page.locator("#today-fixed-cost")).to_have_text(re.compile(r"^€\s?0\.25$"))
    assert page.locator("#price").is_visible() and page.locator("#price-band").is_hidden()
    browser_page.screenshot("dashboard-price-missing")
    assert browser_page.errors == []


@pytest.mark.django_db
def test_todays_costs_say_when_market_prices_are_missing(client):
    save(DYNAMIC)
    first = utc(2026, 3, 10, 10, 45)
    # 0.1 kWh in each quarter from 10:45 to 12:00 UTC; market prices only for 11:00–11:30
    store(*(reading(first + Q * k, str(D("1000.000") + D("0.1") * k), "2000.000") for k in range(6)))
    processing_run_pending()
    _market(utc(2026, 3, 10, 11), ["0.10", "0.12"])
    with time_machine.travel(utc(2026, 3, 10, 12, 1), tick=False):
        today = client.get("/dashboard/live").json()["today"]
        page = client.get("/").content.decode()
    assert today["missing"] == 3  # the quarters 10:45, 11:30 and 11:45 have use but no price
    priced = R(D("0.1") * _unit_delivered(D("0.10")) + D("0.1") * _unit_delivered(D("0.12")))
    assert D(today["electricity_cost"]) == priced  # the priced quarters only, as the API's today
    assert 'id="today-missing"' in page
