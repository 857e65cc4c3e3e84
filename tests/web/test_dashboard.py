"""Dashboard: exact figures from the JSON route, hidden parts, bad input, and the live page in a browser."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.live import watts
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import MeterStatistics
from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams, replace_line
from tests.processing.builders import reading, store, utc

NOW = utc(2026, 3, 10, 11, 0)  # 12:00 in Amsterdam


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


PRICES = {
    "electricity_delivered_1_price": Decimal("0.25"),
    "electricity_delivered_2_price": Decimal("0.20"),
    "electricity_returned_1_price": Decimal("0.10"),
    "electricity_returned_2_price": Decimal("0.10"),
    "gas_price": Decimal("1.00"),
}


def _contract() -> None:
    contract_save(description="test prices", start=date(2026, 1, 1), prices=PRICES)


def _known_readings() -> None:
    """Local midnights of Feb 28, Mar 1 and Mar 10 2026, then 11:59 on Mar 10 (three phases, gas)."""
    store(
        reading(utc(2026, 2, 27, 23, 0), "1000.000", "2000.000", gas=(utc(2026, 2, 27, 23, 0), "500.000")),
        reading(
            utc(2026, 2, 28, 23, 0), "1003.000", "2001.000", r1="0.500", gas=(utc(2026, 2, 28, 23), "501.000")
        ),
        reading(
            utc(2026, 3, 9, 23, 0), "1010.000", "2004.000", r1="1.000", gas=(utc(2026, 3, 9, 23), "503.000")
        ),
        reading(
            utc(2026, 3, 10, 10, 59),
            "1011.234",
            "2004.500",
            r1="1.250",
            power="1.234",
            gas=(utc(2026, 3, 10, 10, 55), "503.400"),
            phase_currently_delivered_l1=Decimal("0.400"),
            phase_currently_delivered_l2=Decimal("0.500"),
            phase_currently_delivered_l3=Decimal("0.334"),
            phase_currently_returned_l1=Decimal("0"),
            phase_currently_returned_l2=Decimal("0"),
            phase_currently_returned_l3=Decimal("0"),
            phase_voltage_l1=Decimal("230.1"),
            phase_voltage_l2=Decimal("231.0"),
            phase_voltage_l3=Decimal("229.9"),
        ),
    )
    MeterStatistics.store(timestamp=NOW, electricity_tariff=2)
    processing_run_pending()


@pytest.mark.django_db
def test_live_json_has_exact_figures_for_known_readings(client):
    _contract()
    with time_machine.travel(NOW, tick=False):
        _known_readings()
        data = client.get("/dashboard/live").json()

    latest = data["latest"]
    assert latest["epoch"] == _epoch(utc(2026, 3, 10, 10, 59))
    assert latest["time"] == "11:59:00"
    assert latest["age_seconds"] == 60
    assert (latest["delivered"], latest["returned"]) == (1234, 0)
    assert latest["phases"]["l1"] == {"delivered": 400, "returned": 0, "voltage": "230.1"}
    assert latest["phases"]["l3"]["delivered"] == 334
    assert latest["tariff"] == 2
    assert latest["cost_per_hour"] == "0.25"  # 1.234 kW × 0.20 = 0.2468

    today = data["today"]  # the last reading minus the one at local midnight
    assert today["electricity1"] == "1.234"
    assert today["electricity2"] == "0.500"
    assert today["electricity_returned"] == "0.250"
    assert today["gas"] == "0.400"
    assert today["electricity1_cost"] == "0.28"  # R(1.234 × 0.25 − 0.25 × 0.10) = R(0.2835)
    assert today["total_cost"] == "0.78"  # 0.28 + 0.10 + 0.40

    month = data["month"]  # March 9 (whole of Mar 1–9) plus today
    assert month["first"] == "2026-03-01"
    assert (month["electricity1"], month["electricity2"]) == ("8.234", "3.500")
    assert (month["electricity_returned"], month["gas"]) == ("0.750", "2.400")
    assert month["total_cost"] == "5.08"  # 4.30 + 0.78
    year = data["year"]  # February 28 as well
    assert (year["electricity1"], year["electricity2"], year["electricity"]) == ("11.234", "4.500", "15.734")
    assert (year["electricity_returned"], year["gas"]) == ("1.250", "3.400")
    assert year["total_cost"] == "6.98"  # 1.90 + 5.08

    power = data["power"]  # the last 6 h of minutes: only the last reading's minute
    assert power["bucket"] == 60
    assert power["t"] == [_epoch(utc(2026, 3, 10, 10, 59))]
    assert power["labels"] == ["11:59"]
    assert power["currently_delivered"] == [1234]
    assert power["phase_currently_delivered_l2"] == [500]
    assert power["phase_voltage_l3"] == [229.9]
    gas = data["gas"]  # gas hours of the last 24 h, labelled by their local start
    assert gas["t"] == [_epoch(utc(2026, 3, 9, 22)), _epoch(utc(2026, 3, 10, 10))]
    assert gas["labels"] == ["23:00", "11:00"]
    assert gas["gas"] == ["2.000", "0.400"]


def _half_up_watts(kilowatts: str) -> int:
    return int((Decimal(kilowatts) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tariff", "delivered", "returned", "r2", "phases"),
    [
        (1, "1.234", "0", "0", ("0.400", "0.500", "0.334")),  # tariff 1, three phases, never returned
        (2, "0.250", "1.505", "12.000", ("0.250", None, None)),  # returning more than using: a negative cost
        (
            None,
            "0.999",
            "0",
            "0.001",
            ("0.999", None, None),
        ),  # unknown tariff: no cost per hour; returned once
    ],
)
def test_the_api_and_the_dashboard_show_the_same_live_figures(
    client, api_client, tariff, delivered, returned, r2, phases
):
    _contract()
    with time_machine.travel(NOW, tick=False):
        store(
            reading(
                utc(2026, 3, 10, 10, 59),
                "1000.000",
                "2000.000",
                r2=r2,
                power=delivered,
                returned=returned,
                **{
                    f"phase_currently_delivered_l{p}": v and Decimal(v) for p, v in enumerate(phases, start=1)
                },
            )
        )
        if tariff is not None:
            MeterStatistics.store(timestamp=NOW, electricity_tariff=tariff)
        api = api_client.get("/api/v2/consumption/electricity-live").json()
        status = api_client.get("/api/v2/application/status").json()["capabilities"]
        header = client.get("/dashboard/live").json()["latest"]
        capabilities = client.get("/").context["capabilities"]

    assert api["currently_delivered"] == header["delivered"] == _half_up_watts(delivered)
    assert api["currently_returned"] == header["returned"] == _half_up_watts(returned)
    assert [header["phases"][f"l{p}"]["delivered"] for p in (1, 2, 3)] == [
        None if kw is None else _half_up_watts(kw) for kw in phases
    ]
    if tariff is None:
        assert "cost_per_hour" not in api and header["cost_per_hour"] is None
    else:
        price_in = PRICES[f"electricity_delivered_{tariff}_price"]
        price_out = PRICES[f"electricity_returned_{tariff}_price"]
        expected = (Decimal(delivered) * price_in - Decimal(returned) * price_out).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert api["cost_per_hour"] == float(expected) and header["cost_per_hour"] == str(expected)
    returns = Decimal(returned) > 0 or Decimal(r2) > 0
    assert status["electricity_returned"] == capabilities.returned == returns
    multi = sum(kw is not None for kw in phases) > 1
    assert status["multi_phases"] == (len(capabilities.phases) > 1) == multi


def test_watts_round_half_up_not_down():
    """Stored power has 3 decimals (whole watts); should more ever arrive, 0.5 W rounds up, as money does."""
    assert [watts(Decimal(kw)) for kw in ("1.2345", "1.2344", "0.0005", "2.000")] == [1235, 1234, 1, 2000]


@pytest.mark.django_db
def test_live_json_sends_only_the_points_a_client_lacks(client):
    with time_machine.travel(NOW, tick=False):
        _known_readings()
        last = _epoch(utc(2026, 3, 10, 10, 59))
        again = client.get(f"/dashboard/live?since={last}&gas_since={_epoch(utc(2026, 3, 10, 10))}").json()
        nothing_newer = client.get(f"/dashboard/live?since={last + 120}").json()
    assert again["power"]["t"] == [last]  # the newest bucket again: it may still be filling
    assert again["gas"]["gas"] == ["0.400"]
    assert nothing_newer["power"]["t"] == []


@pytest.mark.django_db
def test_long_windows_are_averaged_into_wider_buckets(client):
    start = utc(2026, 3, 10, 8, 0)
    # One reading a minute at 08:01 … 10:00, alternating 1000 W and 2000 W.
    store(
        *(
            reading(start + timedelta(minutes=n), "1000", power="1.000" if n % 2 else "2.000")
            for n in range(1, 121)
        )
    )
    processing_run_pending()
    with time_machine.travel(NOW, tick=False):
        day = client.get("/dashboard/live?hours=24").json()["power"]
        hour = client.get("/dashboard/live?hours=1").json()["power"]
    assert day["bucket"] == 240  # 24 h in at most 360 points
    assert len(day["t"]) == 30
    assert set(day["currently_delivered"]) == {1500}
    assert day["t"][-1] == _epoch(utc(2026, 3, 10, 10, 0))
    assert hour["bucket"] == 60 and len(hour["t"]) == 60


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["hours=5", "hours=abc", "since=-1", "since=1.5", "gas_since=x", "since=99999999999999999999"]
)
def test_bad_parameters_are_a_400_with_a_reason(client, query):
    response = client.get(f"/dashboard/live?{query}")
    assert response.status_code == 400
    assert response.json()["error"]
    if query.startswith("hours"):
        assert client.get(f"/?{query}").status_code == 400


@pytest.mark.django_db
def test_meter_without_phases_gas_or_returns_hides_those_parts(client):
    with time_machine.travel(NOW, tick=False):
        store(reading(utc(2026, 3, 10, 10, 0), "10"), reading(utc(2026, 3, 10, 10, 30), "10.100"))
        processing_run_pending()
        page = client.get("/").content.decode()
        data = client.get("/dashboard/live").json()
    assert 'id="chart-power"' in page
    for part in (
        'id="chart-voltage"',
        'id="chart-gas"',
        'id="phase-l1"',
        'id="today-gas"',
        'id="returned-now"',
    ):
        assert part not in page, part
    assert data["today"]["electricity1"] == "0.100"
    assert data["gas"]["t"] == []
    assert data["latest"]["cost_per_hour"] is None  # no contract, no tariff


@pytest.mark.django_db
def test_empty_database_gives_the_empty_state_and_empty_json(client):
    page = client.get("/").content.decode()
    assert 'id="empty-state"' in page
    assert "chart.umd.min.js" not in page
    data = client.get("/dashboard/live").json()
    assert data["latest"] is None and data["today"] is None
    assert data["month"]["total_cost"] is None  # no contract on any day: unknown, not "€ 0.00"
    assert data["month"]["electricity"] == "0.000"
    assert data["power"]["t"] == [] and data["gas"]["t"] == []


# --- in the browser -------------------------------------------------------------------------------


def _recent_data(*, minutes: int = 90) -> datetime:
    """Demo telegrams (three phases, gas) once a minute, the last one now, processed; returns its moment."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes - 1)
    telegrams = demo_telegrams(minutes, start=start, step=timedelta(minutes=1))
    for _, telegram in telegrams:
        reading_ingest_telegram(telegram=telegram)
    today = datetime.now(UTC).date()
    contract_save(
        description="test prices",
        start=today - timedelta(days=400),
        prices={
            "electricity_delivered_1_price": Decimal("0.25"),
            "electricity_delivered_2_price": Decimal("0.20"),
            "gas_price": Decimal("1.00"),
        },
    )
    processing_run_pending()
    return telegrams[-1][0]


def test_dashboard_loads_with_data_and_draws_its_charts(browser_page):
    _recent_data()
    browser_page.open("/")
    page = browser_page.page
    expect(page.locator("#delivered-now")).to_have_text(re.compile(r"^[\d,]+ W$"))
    expect(page.locator("#today-electricity1")).to_have_text(re.compile(r"^[\d.,]+ kWh$"))
    for name in ("power", "voltage", "gas"):
        assert page.locator(f"#chart-{name}").is_visible()
        points = page.evaluate(f"Chart.getChart(document.getElementById('chart-{name}')).data.labels.length")
        assert points > 0, name
    assert page.locator("#phase-l3").is_visible()
    # three phases: a line per phase and the total power line
    labels = page.evaluate(
        "Chart.getChart(document.getElementById('chart-power')).data.datasets.map(d => d.label)"
    )
    assert labels[:4] == ["Total delivered", "L1 delivered", "L2 delivered", "L3 delivered"]
    expect(page.locator("#year-total_cost")).to_have_text(re.compile(r"^€\s?[\d.,]+$"))
    browser_page.screenshot("dashboard")
    assert browser_page.errors == []


def test_live_header_follows_a_new_reading_without_reloading(browser_page):
    last = _recent_data(minutes=30)
    page = browser_page.page
    page.clock.install()
    browser_page.open("/")
    header = page.locator("#delivered-now")
    expect(header).not_to_have_text("–")
    assert header.inner_text() != "4,321 W"
    page.evaluate("window.notReloaded = true")
    points_before = page.evaluate("Chart.getChart(document.getElementById('chart-power')).data.labels.length")

    telegram = demo_telegrams(1, start=last + timedelta(minutes=1))[0][1]  # a new chart minute
    telegram = replace_line(telegram, "1-0:1.7.0", "1-0:1.7.0(04.321*kW)")
    reading_ingest_telegram(telegram=replace_line(telegram, "1-0:2.7.0", "1-0:2.7.0(00.000*kW)"))
    processing_run_pending()
    page.clock.run_for(5_000)  # the dashboard's next poll

    expect(header).to_have_text("4,321 W")
    assert page.evaluate("window.notReloaded") is True
    page.wait_for_function(
        f"Chart.getChart(document.getElementById('chart-power')).data.labels.length > {points_before}"
    )
    assert browser_page.errors == []


def test_empty_state_without_readings(browser_page):
    page = browser_page.page
    page.clock.install()
    browser_page.open("/")
    expect(page.locator("#empty-state")).to_be_visible()
    with page.expect_response(lambda response: "/dashboard/live" in response.url) as polled:
        page.clock.run_for(5_000)
    assert polled.value.status == 200
    assert page.locator("#connection").is_hidden()
    browser_page.screenshot("dashboard-empty")
    assert browser_page.errors == []


def test_dashboard_fits_a_phone(phone_page):
    _recent_data(minutes=20)
    phone_page.open("/")
    expect(phone_page.page.locator("#delivered-now")).not_to_have_text("–")
    assert phone_page.fits_width()
    phone_page.screenshot("dashboard-phone")
    assert phone_page.errors == []


def test_dashboard_in_dutch(dutch_page):
    _recent_data(minutes=10)
    dutch_page.open("/")
    page = dutch_page.page
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("link", name="Instellingen").is_visible()
    # Dutch number formatting: a decimal comma in the kWh figures.
    expect(page.locator("#today-electricity1")).to_have_text(re.compile(r"^[\d.]+,\d{3} kWh$"))
    assert dutch_page.errors == []
