"""Archive: electricity per time-of-use band (names from the contract) and per term of a dynamic contract,
in the day, week, month and year views, today included; expected costs summed here per 5-minute step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dsmrhub.prices.services import contract_spec_parse
from dsmrhub.processing.contracts import contract_save
from dsmrhub.spotprices.models import Commodity
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.web.archive_readings import AMSTERDAM, LAST, NBSP, NOW, R, local, steps, store_readings
from tests.web.days import DAY_KW, NIGHT_KW, SUN_KW, sunny, tariff_of

pytestmark = pytest.mark.django_db
D = Decimal
PEAK, OFF_PEAK = (D("0.30"), D("0.08")), (D("0.18"), D("0.05"))  # (delivered, returned) € per kWh
BANDS = {
    "description": "Time of use",
    "start": "2026-01-01",
    "kind": "bands",
    "fixed_daily_cost": "0.40",
    "gas_price": "1.00",
    "bands": [
        {"name": "peak", "delivered": str(PEAK[0]), "returned": str(PEAK[1]),
         "periods": [{"days": "mon-fri", "hours": "07:00-23:00"}]},
        {"name": "off-peak", "delivered": str(OFF_PEAK[0]), "returned": str(OFF_PEAK[1]),
         "periods": [{"days": "mon-fri", "hours": "23:00-07:00"}, {"days": "sat,sun"}]},
    ],
}  # fmt: skip


def save(spec: dict) -> None:
    parsed = contract_spec_parse(spec)
    contract_save(
        description=parsed.description,
        start=parsed.start,
        prices=parsed.prices,
        kind=parsed.kind,
        bands=parsed.bands,
        terms=parsed.terms,
    )


def band_of(moment: datetime) -> str:
    here = moment.astimezone(AMSTERDAM)
    return "peak" if here.weekday() < 5 and 7 <= here.hour < 23 else "off-peak"


def step_energy(moment: datetime) -> tuple[Decimal, Decimal]:
    """(delivered, returned) kWh of the 5-minute step starting at ``moment``."""
    delivered = (NIGHT_KW if tariff_of(moment) == 1 else DAY_KW) / 12
    returned = SUN_KW / 12 if tariff_of(moment) == 2 and sunny(moment) else D(0)
    return delivered, returned


def bands_between(start: datetime, end: datetime) -> dict[str, dict[str, Decimal]]:
    """Per band: delivered and returned kWh and the cost R(Σ delivered × price − Σ returned × credit),
    rounded once."""
    found: dict[str, dict[str, Decimal]] = {}
    for moment in steps(start, end):
        band = found.setdefault(band_of(moment), {"delivered": D(0), "returned": D(0), "exact": D(0)})
        delivered, returned = step_energy(moment)
        prices = PEAK if band_of(moment) == "peak" else OFF_PEAK
        band["delivered"] += delivered
        band["returned"] += returned
        band["exact"] += delivered * prices[0] - returned * prices[1]
    for band in found.values():
        band["cost"] = R(band.pop("exact"))
    return found


def shown(response) -> dict[str, dict[str, Decimal]]:
    return {
        band.band: {"delivered": band.delivered, "returned": band.returned, "cost": band.cost}
        for band in response.context["data"].bands
    }


def test_costs_per_band_in_the_day_month_and_year_views_with_today_so_far(client):
    save(BANDS)
    with time_machine.travel(NOW, tick=False):
        store_readings(contract_from=None)
        saturday = client.get("/archive/?period=day&date=2026-10-24")
        today = client.get("/archive/?period=day&date=2026-10-26")
        month = client.get("/archive/?period=month&date=2026-10")
        year_page = client.get("/archive/?period=year&date=2026")
        year = client.get("/archive/?period=year&date=2026&bands=1")
    # a weekend day is off-peak all day
    assert shown(saturday) == bands_between(local(date(2026, 10, 24)), local(date(2026, 10, 25)))
    assert list(shown(saturday)) == ["off-peak"]
    # Monday so far: off-peak until 07:00, peak from then to the latest reading
    expected_today = bands_between(local(date(2026, 10, 26)), LAST)
    assert expected_today["peak"]["delivered"] == D("7.75") * DAY_KW  # 07:00–14:45
    assert shown(today) == expected_today
    whole = bands_between(local(date(2026, 10, 24)), LAST)
    assert shown(month) == whole
    assert list(shown(month)) == ["peak", "off-peak"]  # the contract's order
    assert shown(year) == whole
    # the year page itself leaves them to a link (pricing a year's quarters takes seconds)
    assert year_page.context["data"].bands == []
    assert 'href="/archive/?period=year&amp;date=2026-01-01&amp;bands=1"' in year_page.content.decode()
    page = month.content.decode()
    assert 'id="archive-bands"' in page and "Time of use" in page
    assert f"€{NBSP}{whole['peak']['cost']:.2f}" in page
    assert f"€{NBSP}{whole['off-peak']['cost']:.2f}" in page


def test_a_fixed_contract_has_no_band_table(client):
    with time_machine.travel(NOW, tick=False):
        store_readings()
        response = client.get("/archive/?period=month&date=2026-10")
    assert response.context["data"].bands == []
    assert b'id="archive-bands"' not in response.content


DYNAMIC = {
    "description": "Dynamic hourly",
    "start": "2026-01-01",
    "kind": "dynamic",
    "fixed_daily_cost": "0.25",
    "terms": {
        "electricity_delivered": {"markup": "0.02", "tax": "0.10", "vat_percent": "21"},
        "electricity_returned": {"markup": "-0.015"},
    },
}


def market(hour: int) -> Decimal:
    """The market price of UTC hour ``hour`` of the day: below zero at noon (a sunny day), else positive."""
    return D("-0.04") if 9 <= hour <= 11 else D("0.05") + D("0.01") * (hour % 7)


def test_a_dynamic_contract_is_one_row_at_the_market_price(client):
    day = date(2026, 10, 24)
    start, end = local(day), local(day + timedelta(days=1))
    save(DYNAMIC)
    hour = start.astimezone(UTC)
    periods = []
    while hour < end.astimezone(UTC) + timedelta(hours=1):
        periods.append(
            PricePeriod(Commodity.ELECTRICITY_DELIVERED, hour, hour + timedelta(hours=1), market(hour.hour))
        )
        hour += timedelta(hours=1)
    market_prices_store(periods=periods, source="test")
    with time_machine.travel(NOW, tick=False):
        store_readings(start, end, contract_from=None)
        response = client.get("/archive/?period=day&date=2026-10-24")
    delivered = returned = exact = returned_exact = D(0)
    for moment in steps(start, end):
        kwh_in, kwh_out = step_energy(moment)
        price = market(moment.hour)  # UTC hour
        delivered += kwh_in
        returned += kwh_out
        exact += kwh_in * (price + D("0.02") + D("0.10")) * D("1.21") - kwh_out * (price - D("0.015"))
        returned_exact -= kwh_out * (price - D("0.015"))
    assert returned_exact > 0  # returning at noon's negative price cost money
    bands = response.context["data"].bands
    assert [(band.contract, band.delivered, band.returned, band.cost) for band in bands] == [
        ("Dynamic hourly", delivered, returned, R(exact)),
    ]
    assert "market price" in response.content.decode()


def test_missing_market_prices_are_shown_as_missing_not_zero(client):
    day = date(2026, 10, 24)
    start, end = local(day), local(day + timedelta(days=1))
    save(DYNAMIC)
    hour = start.astimezone(UTC)
    periods = []
    while hour < end.astimezone(UTC):
        if hour.hour != 3:  # a gap at 03:00 UTC: the night, delivered only
            periods.append(
                PricePeriod(Commodity.ELECTRICITY_DELIVERED, hour, hour + timedelta(hours=1), D("0.10"))
            )
        hour += timedelta(hours=1)
    market_prices_store(periods=periods, source="test")
    with time_machine.travel(NOW, tick=False):
        store_readings(start, end, contract_from=None)
        response = client.get("/archive/?period=day&date=2026-10-24")
    (band,) = response.context["data"].bands
    assert band.cost is None and band.missing == 4  # the four quarters of 03:00
    assert "prices missing" in response.content.decode()


def test_a_day_with_missing_market_prices_has_unknown_costs_in_the_month(client):
    day = date(2026, 10, 24)
    start, end = local(day), local(day + timedelta(days=1))
    save(DYNAMIC)
    prices = [
        PricePeriod(Commodity.ELECTRICITY_DELIVERED, hour, hour + timedelta(hours=1), D("0.10"))
        for hour in (start.astimezone(UTC) + timedelta(hours=n) for n in range(24))
        if hour.hour != 3
    ]
    market_prices_store(periods=prices, source="test")
    with time_machine.travel(NOW, tick=False):
        store_readings(start, end, contract_from=None)
        month = client.get("/archive/?period=month&date=2026-10")
        day_page = client.get("/archive/?period=day&date=2026-10-24")
    rows = month.context["rows"]
    assert rows[23]["use"] is not None and rows[23]["total_cost"] is None  # 24 October
    assert month.context["data"].missing_days == 1
    content = month.content.decode()
    assert "1 day lacks prices" in content
    assert 'id="total-cost"><span class="muted missing">prices missing</span>' in content
    costs = content.split('id="archive-costs"')[1].split("</table>")[0]
    assert costs.count("prices missing") == 3  # electricity on both tariffs and the total; gas is known
    day_content = day_page.content.decode()
    assert day_page.context["data"].costs["total_cost"] is None
    assert 'id="total-cost"><span class="muted missing">prices missing</span>' in day_content
