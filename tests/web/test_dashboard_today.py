"""Dashboard, Django client: the stale-data banner (the status page's rule), today as one computation with
the API (net use, cost split, return compensation also at market prices, "no contract"), today against a
typical day, the month-end projection, today's hours (also on a 23-hour day) and the running gas hour.
Expected figures come from tests/web/dashboard_readings.py, worked out from the readings' schedule."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine

from dsmrhub.prices.services import contract_spec_parse
from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.selectors import application_problems
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.tariffs import tariff_names
from dsmrhub.spotprices.models import Commodity
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.processing.builders import reading, store, utc
from tests.web.dashboard_readings import (
    AMS,
    EARLIER,
    TODAY,
    R,
    expected_earlier_day,
    expected_today,
    kwh,
    local_midnight,
    readings_store,
)

D = Decimal
TUESDAY = date(2026, 3, 10)
LAST = time(11, 30)  # the latest reading: 11:30:10 local
NOW = datetime.combine(TUESDAY, time(11, 31, 10), tzinfo=AMS).astimezone(UTC)


def _live(client) -> dict:
    return client.get("/dashboard/live").json()


def _today_section(page: str) -> str:
    return page[page.index('<section id="today"') : page.index('<section id="charts"')]


# --- stale data -----------------------------------------------------------------------------------


def _no_new_reading_problem(now: datetime) -> bool:
    """What the status page says (its problem list)."""
    return any("No new reading" in str(problem["problem"]) for problem in application_problems(now=now))


@pytest.mark.django_db
@pytest.mark.parametrize("age", [60, 300, 301, 7200])
def test_stale_banner_follows_the_status_pages_rule(client, age):
    last = utc(2026, 3, 10, 9, 0)
    store(reading(last - timedelta(minutes=30), "1000.000"), reading(last, "1000.100"))
    with time_machine.travel(last + timedelta(seconds=age), tick=False):
        latest = _live(client)["latest"]
        page = client.get("/").content.decode()
        status_says_old = _no_new_reading_problem(last + timedelta(seconds=age))
    assert latest["stale"] is status_says_old
    assert latest["stale"] is (age > 300)  # the two sides of the status page's threshold
    banner = re.search(r'<article id="stale-banner"[^>]*>', page).group(0)
    assert ("hidden" in banner) is not latest["stale"]
    assert ('id="dashboard" ' in page and 'class="stale"' in page) is latest["stale"]


@pytest.mark.django_db
def test_old_data_says_how_old_in_words_not_seconds(client):
    last = utc(2026, 3, 10, 9, 0)  # 10:00 local
    store(reading(last - timedelta(minutes=30), "1000.000"), reading(last, "1000.100"))
    with time_machine.travel(last + timedelta(hours=2), tick=False):
        latest = _live(client)["latest"]
        page = client.get("/").content.decode()
    assert latest["age"] == "2 hours ago" and latest["moment"] == "10 Mar 2026 10:00"
    assert "This data is not current." in page
    assert "2 hours ago" in page and "10 Mar 2026 10:00" in page
    assert "7,200" not in page and "7200 s" not in page
    assert "(not current)" in _today_section(page)


# --- today ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_today_is_one_computation_with_the_api_and_has_its_flows_and_split(client, api_client):
    schedule = readings_store(today=TUESDAY, last_local=LAST, days_before=10)
    expected = expected_today(schedule)
    assert schedule.hours_today == 12  # readings 00:00:10 … 11:30:10
    with time_machine.travel(NOW, tick=False):
        data = _live(client)
        api = api_client.get("/api/v2/consumption/today").json()
        page = client.get("/").content.decode()
    today = data["today"]
    for name, value in expected.items():
        assert D(today[name]) == value, name
    assert today["contract"] is True and today["missing"] == 0
    # the same today as the API's (which keeps its own shape)
    for name in (
        "electricity1",
        "electricity2",
        "gas",
        "electricity1_cost",
        "electricity2_cost",
        "total_cost",
    ):
        assert D(str(api[name])) == D(today[name]), name
    assert D(str(api["electricity_returned_merged"])) == D(today["electricity_returned"])
    # the parts add up to the total, and net use is used − returned
    assert D(today["electricity_cost"]) + D(today["gas_cost"]) + D(today["fixed_cost"]) == D(
        today["total_cost"]
    )
    assert D(today["net"]) == D(today["electricity"]) - D(today["electricity_returned"])
    # the page: per-tariff labels from the meter's tariff names, the returned flow, what is not known
    section = _today_section(page)
    names = tariff_names()
    assert f'{names[1]} <span id="today-electricity1"' in section
    assert f'{names[2]} <span id="today-electricity2"' in section
    for part in ("today-returned", "today-compensation", "today-net", "today-gas", "today-fixed-cost"):
        assert f'id="{part}"' in section, part
    assert "Self-consumption" in section and "not known" in section
    assert "no contract" not in re.sub(r'data-missing="[^"]*"', "", section)


@pytest.mark.django_db
def test_todays_hours_add_up_and_the_running_hours_are_marked(client):
    schedule = readings_store(today=TUESDAY, last_local=LAST, days_before=2)
    with time_machine.travel(NOW, tick=False):
        data = _live(client)
    hours = data["hours"]
    midnight = local_midnight(TUESDAY)
    assert hours["t"] == [int((midnight + timedelta(hours=h)).timestamp()) for h in range(12)]
    assert hours["labels"][0] == "00:00" and hours["labels"][-1] == "11:00"
    # every hour has two readings, so an hour's use at today's rates (the running hour 11:00 too)
    assert [D(v) for v in hours["electricity1"]] == [kwh(TODAY[0])] * 12
    assert [D(v) for v in hours["electricity2"]] == [kwh(TODAY[1])] * 12
    assert [D(v) for v in hours["returned"]] == [kwh(TODAY[2])] * 12
    assert sum(D(v) for v in hours["electricity1"]) == D(data["today"]["electricity1"])
    assert hours["running"] == hours["t"][-1]
    gas = data["gas"]  # the gas hour 11:00 has only its 11:30 stamp: running, drawn unfinished
    assert gas["t"][-1] == int((midnight + timedelta(hours=11)).timestamp())
    assert gas["running"] == gas["t"][-1]
    assert D(gas["gas"][-1]) == D("0.050") and D(gas["gas"][-2]) == D("0.100")
    assert schedule.hours_today == 12


@pytest.mark.django_db
def test_without_a_contract_costs_say_no_contract_not_zero(client, api_client):
    readings_store(today=TUESDAY, last_local=LAST, days_before=3, contract=False)
    with time_machine.travel(NOW, tick=False):
        data = _live(client)
        api = api_client.get("/api/v2/consumption/today").json()
        page = client.get("/").content.decode()
    today = data["today"]
    assert today["contract"] is False
    for name in ("electricity_cost", "gas_cost", "fixed_cost", "total_cost", "compensation"):
        assert today[name] is None, name
    assert D(today["electricity"]) == expected_today_hours(12)
    assert data["month"]["total_cost"] is None and data["projection"]["total_cost"] is None
    assert D(str(api["total_cost"])) == 0  # the API keeps DSMR-reader's zeros
    section = _today_section(page)
    assert re.search(r'id="today-costs"[^>]*>no contract</span>', section)
    assert "€" not in section
    assert 'id="no-contract"' in section and "costs are unknown (not zero)" in section


def expected_today_hours(hours: int) -> Decimal:
    return kwh((TODAY[0] + TODAY[1]) * hours)


# --- typical day and projection --------------------------------------------------------------------


@pytest.mark.django_db
def test_today_against_a_typical_tuesday(client):
    readings_store(today=TUESDAY, last_local=LAST, days_before=10)  # Tuesday 3 March is the only one
    with time_machine.travel(NOW, tick=False):
        data = _live(client)
        page = client.get("/").content.decode()
    typical = data["typical"]
    # 3 March up to 11:30:10: eleven whole hours and 30 min 10 s of the twelfth, at the earlier rates
    share = D(11) + D(30 * 60 + 10) / 3600
    assert typical["days"] == 1 and typical["weekday"] == "Tuesday"
    assert D(typical["electricity"]) == kwh((EARLIER[0] + EARLIER[1]) * share)
    assert D(typical["gas"]) == kwh(D("0.1") * share)
    today = D(data["today"]["electricity"])
    percent = ((today - D(typical["electricity"])) / D(typical["electricity"]) * 100).quantize(
        D(1), rounding=ROUND_HALF_UP
    )
    assert typical["percent"] == int(percent) > 0
    assert typical["text"] == f"{percent} % more than a typical Tuesday by this time"
    assert typical["text"] in page


@pytest.mark.django_db
def test_month_so_far_and_its_projection(client):
    schedule = readings_store(today=TUESDAY, last_local=LAST, days_before=10)  # March 1–9 complete
    with time_machine.travel(NOW, tick=False):
        data = _live(client)
    day, today = expected_earlier_day(), expected_today(schedule)
    month, projection = data["month"], data["projection"]
    assert month["days"] == 9 and month["first"] == "2026-03-01"
    assert D(month["electricity"]) == 9 * day["electricity"] + today["electricity"]
    assert D(month["total_cost"]) == 9 * day["total_cost"] + today["total_cost"]
    # the time left after the latest reading (11:30:10 CET) up to 1 April 00:00 CEST, in days of 24 h
    end = datetime(2026, 4, 1, tzinfo=AMS)
    left = D(int((end - NOW).total_seconds()) + 60) / 86400  # NOW is one minute after the latest reading
    assert D(projection["days_left"]) == left.quantize(D("0.1"), rounding=ROUND_HALF_UP)
    for name in ("electricity", "gas", "electricity_returned"):
        so_far = 9 * day[name] + today[name]
        assert D(projection[name]) == kwh(so_far + day[name] * left), name
    assert D(projection["total_cost"]) == R(D(month["total_cost"]) + day["total_cost"] * left)


@pytest.mark.django_db
def test_no_projection_before_a_complete_day_of_the_month(client):
    first_of_april = date(2026, 4, 1)
    readings_store(today=first_of_april, last_local=time(8, 30), days_before=1)
    now = datetime.combine(first_of_april, time(8, 31, 10), tzinfo=AMS)
    with time_machine.travel(now, tick=False):
        data = _live(client)
        page = client.get("/").content.decode()
    assert data["projection"] is None and data["month"]["days"] == 0
    assert "Available from the second day of the month." in page


@pytest.mark.django_db
def test_todays_hours_on_the_day_daylight_saving_starts(client):
    sunday = date(2026, 3, 29)  # 23 hours: 02:00 CET is 03:00 CEST
    schedule = readings_store(today=sunday, last_local=time(5, 30), days_before=1)
    now = datetime.combine(sunday, time(5, 31, 10), tzinfo=AMS)
    with time_machine.travel(now, tick=False):
        data = _live(client)
    assert schedule.hours_today == 5  # 4½ hours of real time up to 05:30:10 CEST, plus the half hour before
    assert data["hours"]["labels"] == ["00:00 CET", "01:00 CET", "03:00 CEST", "04:00 CEST", "05:00 CEST"]
    assert D(data["today"]["electricity"]) == expected_today_hours(5)
    assert sum(D(v) for v in data["hours"]["electricity1"]) == D(data["today"]["electricity1"])


DYNAMIC = {
    "description": "dynamic",
    "start": "2026-01-01",
    "kind": "dynamic",
    "terms": {
        "electricity_delivered": {"markup": "0.02", "tax": "0.10154", "vat_percent": "21"},
        "electricity_returned": {"markup": "-0.015"},
    },
}


@pytest.mark.django_db
def test_return_compensation_of_a_dynamic_contract_follows_the_market_price(client):
    parsed = contract_spec_parse(DYNAMIC)
    contract_save(
        description=parsed.description,
        start=parsed.start,
        prices=parsed.prices,
        kind=parsed.kind,
        terms=parsed.terms,
    )
    quarter = timedelta(minutes=15)
    first = utc(2026, 3, 10, 11, 0)  # 12:00 local
    market = [D("0.10"), D("-0.05")]  # a negative price: returning then costs money
    market_prices_store(
        periods=[
            PricePeriod(
                Commodity.ELECTRICITY_DELIVERED, first + quarter * i, first + quarter * (i + 1), price
            )
            for i, price in enumerate(market)
        ],
        source="test",
    )
    returned = [D("0.200"), D("0.100")]  # kWh returned in the two quarters, nothing delivered
    store(
        reading(first - timedelta(seconds=10), "1000.000", r1="0.000"),
        reading(first + quarter - timedelta(seconds=10), "1000.000", r1=str(returned[0])),
        reading(first + 2 * quarter - timedelta(seconds=10), "1000.000", r1=str(returned[0] + returned[1])),
    )
    processing_run_pending()
    with time_machine.travel(first + 2 * quarter, tick=False):
        today = _live(client)["today"]
    credit = sum(kwh_ * (price - D("0.015")) for kwh_, price in zip(returned, market, strict=True))
    assert D(today["compensation"]) == R(credit)  # R(0.2 × 0.085 − 0.1 × 0.065) = R(0.0105)
    assert D(today["electricity_cost"]) == -R(credit)
    assert today["missing"] == 0


@pytest.mark.django_db
def test_month_costs_with_days_missing_market_prices_say_incomplete(client):
    readings_store(today=TUESDAY, last_local=LAST, days_before=2, contract=False)
    parsed = contract_spec_parse(DYNAMIC)  # no market prices stored: yesterday's use cannot be priced
    contract_save(
        description=parsed.description,
        start=parsed.start,
        prices=parsed.prices,
        kind=parsed.kind,
        terms=parsed.terms,
    )
    with time_machine.travel(NOW, tick=False):
        data = _live(client)
        page = client.get("/").content.decode()
    month, projection = data["month"], data["projection"]
    assert month["costs_missing"] > 0 and month["costs_note"] == "incomplete"
    assert month["total_cost"] is None and data["year"]["total_cost"] is None
    assert projection["total_cost"] is None and projection["electricity"] is not None
    assert D(month["electricity"]) > 0  # the energy is known; only its price is not
    assert data["today"]["missing"] > 0
    assert 'data-missing-key="month.costs_note"' in page
