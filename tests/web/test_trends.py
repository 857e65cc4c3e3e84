"""Trends and compare: averages by hour of day and weekday, tariff split, two periods side by side."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from dsmrhub.processing.selectors import consumption_today
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.processing.trends import compare_period_parse, compare_previous, compare_year_earlier
from dsmrhub.readings.models import DsmrReading
from tests.web.days import AMSTERDAM, store_days

WEEK = "start=2026-10-24&end=2026-10-30"  # Saturday through Friday; Sunday 25 October has 25 hours


@pytest.mark.django_db
def test_averages_by_hour_of_day_and_weekday(client):
    store_days(date(2026, 10, 24), date(2026, 10, 30))
    response = client.get(f"/trends/?{WEEK}")
    assert response.status_code == 200
    hours = response.context["by_hour"]
    assert len(hours) == 24
    assert hours[0]["electricity"] == Decimal("1.200") and hours[0]["count"] == 7
    assert hours[2]["count"] == 8  # 02:00 twice on the autumn day
    assert hours[12]["electricity"] == Decimal("2.400")
    assert hours[12]["returned"] == Decimal("0.600")
    assert hours[16]["returned"] == Decimal("0.000")
    assert hours[5]["gas"] == Decimal("0.120")
    weekdays = {row["name"]: row for row in response.context["by_weekday"]}
    assert weekdays["Sunday"]["electricity"] == Decimal("49.200")
    assert weekdays["Sunday"]["total_cost"] == Decimal("15.02")
    assert weekdays["Monday"]["electricity"] == Decimal("48.000")
    assert weekdays["Monday"]["count"] == 1
    split = response.context["split"]
    assert split["electricity1"] == Decimal("68.400")  # 6 × 9.6 + 10.8
    assert split["electricity2"] == Decimal("268.800")
    assert split["electricity1_share"] == Decimal("20.3")
    assert split["electricity2_share"] == Decimal("79.7")
    assert split["returned"] == Decimal("16.800")
    assert split["returned_share"] == Decimal("5.0")
    page = response.content.decode()
    assert "20.3 %" in page and "68.400 kWh" in page


def _rows(response) -> dict[str, dict]:
    return {row["name"]: row for row in response.context["comparison"].rows}


@pytest.mark.django_db
def test_compare_two_days_of_equal_length_in_totals(client):
    store_days(date(2026, 10, 24), date(2026, 11, 2))
    response = client.get("/trends/?a=2026-10-25&b=2026-10-26")
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.per_day is False and comparison.granularity == "hour"
    rows = _rows(response)
    # 25 October has 25 hours: the extra night hour adds 1.2 kWh on tariff 1
    assert (rows["electricity1"]["a"], rows["electricity1"]["b"]) == (Decimal("10.800"), Decimal("9.600"))
    assert rows["electricity1"]["difference"] == Decimal("1.200")
    assert rows["electricity1"]["percent"] == Decimal("12.5")  # 1.2 / 9.6
    assert rows["total_cost"]["difference"] == Decimal("0.36")  # 1.2 kWh × 0.20 + 0.12 m³ × 1.00
    assert rows["gas"]["difference"] == Decimal("0.120")
    assert (rows["days"]["a"], rows["days"]["b"]) == (1, 1)
    assert rows["days"]["difference"] is None and rows["days"]["percent"] is None
    page = response.content.decode()
    assert 'id="note-per-day"' not in page
    assert "A: 25 Oct 2026" in page and "B: 26 Oct 2026" in page
    # the chart: 25 hour buckets for A, 24 for B
    chart = response.context["compare_chart"]
    assert len(chart["figures"]["electricity"]["a"]) == 25 and len(chart["figures"]["electricity"]["b"]) == 24
    assert "total_cost" not in chart["figures"]  # hours have no costs


@pytest.mark.django_db
def test_periods_with_different_numbers_of_days_compare_the_average_per_day(client):
    store_days(date(2026, 10, 26), date(2026, 11, 2))
    response = client.get("/trends/?a=2026-10-26..2026-10-31&b=2026-11")
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.per_day is True and comparison.granularity == "day"
    rows = _rows(response)
    normal_day_e2 = Decimal("38.400")  # 16 hours × 2.4 kW (tests/web/days.py)
    assert rows["electricity2"]["a"] == 6 * normal_day_e2
    assert rows["electricity2"]["b"] == 2 * normal_day_e2  # 1 and 2 November hold data
    assert (rows["days"]["a"], rows["days"]["b"]) == (6, 2)
    # equal days: the totals differ by +200 %, the averages per day not at all
    assert rows["electricity2"]["a_per_day"] == rows["electricity2"]["b_per_day"] == normal_day_e2
    assert rows["electricity2"]["difference"] == Decimal("0.000")
    assert rows["electricity2"]["percent"] == Decimal("0.0")
    assert rows["total_cost"]["a_per_day"] == Decimal("14.66")
    assert rows["days"]["percent"] is None
    page = response.content.decode()
    assert (
        "A has 6 days with data and B 2: the difference and the percentage compare the average per day."
        in page
    )
    assert "% per day" in page
    assert "A: 26 Oct 2026 – 31 Oct 2026" in page and "B: November 2026" in page
    chart = response.context["compare_chart"]
    assert chart["labels"][:3] == ["1", "2", "3"] and len(chart["labels"]) == 30  # November's 30 days
    assert chart["figures"]["total_cost"]["a"][0] == "14.66"


@pytest.mark.django_db
def test_compare_in_dutch_uses_the_dutch_number_money_and_date_formats(client):
    store_days(date(2026, 10, 24), date(2026, 10, 27))
    response = client.get("/trends/?a=2026-10-26&b=2026-10-27", HTTP_ACCEPT_LANGUAGE="nl")
    cells = {row["name"]: row for row in response.context["compare_rows"]}
    assert cells["electricity2"]["a"] == "38,400"
    assert cells["total_cost"]["a"] == "€\N{NO-BREAK SPACE}14,66"
    assert cells["electricity2"]["percent"] == "0,0"
    assert "A: 26 okt 2026" in response.content.decode()


@pytest.mark.django_db
def test_a_period_without_data_says_so_instead_of_zero(client):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    response = client.get("/trends/?a=2026-10&b=2025-10")
    rows = _rows(response)
    assert rows["electricity"]["b"] is None and rows["total_cost"]["b"] is None
    assert rows["electricity"]["percent"] is None and rows["electricity"]["difference"] is None
    assert rows["days"]["b"] == 0
    assert response.context["comparison"].per_day is False  # nothing to average B over
    cells = {row["name"]: row for row in response.context["compare_rows"]}
    assert cells["electricity"]["b"] == "no data" and cells["electricity"]["percent"] == "–"
    assert cells["electricity"]["a"] != "no data"
    page = response.content.decode()
    assert 'id="note-b-empty"' in page
    assert [cells[name]["b"] for name in cells] == ["no data"] * 6 + ["0"]  # every figure; 0 days


@pytest.mark.django_db
def test_the_days_row_has_no_percentage(client):
    store_days(date(2026, 10, 24), date(2026, 10, 30))
    response = client.get("/trends/?a=2026-10-24..2026-10-27&b=2026-10-28..2026-10-30")
    cells = {row["name"]: row for row in response.context["compare_rows"]}
    assert (cells["days"]["a"], cells["days"]["b"]) == ("4", "3")
    assert cells["days"]["percent"] == "" and cells["days"]["difference"] == ""


def _store_today_until(until):
    """Readings every 5 minutes from the latest stored one up to ``until``, by the rules of days.py."""
    from tests.processing.builders import reading, store
    from tests.web.days import DAY_KW, GAS_PER_STEP, NIGHT_KW, STEP, SUN_KW, sunny, tariff_of

    latest = DsmrReading.objects.order_by("-timestamp").first()
    d1, d2 = latest.electricity_delivered_1, latest.electricity_delivered_2
    r2, gas = latest.electricity_returned_2, latest.extra_device_delivered
    moment, rows = latest.timestamp, []
    while moment < until:
        power = NIGHT_KW if tariff_of(moment) == 1 else DAY_KW
        if tariff_of(moment) == 1:
            d1 += power / 12
        else:
            d2 += power / 12
            if sunny(moment):
                r2 += SUN_KW / 12
        gas += GAS_PER_STEP
        moment += STEP
        rows.append(reading(moment, d1, d2, r2=r2, power=f"{power:.3f}", gas=(moment, str(gas))))
    store(*rows)
    processing_run_pending()


@pytest.mark.django_db
def test_today_against_a_past_day_uses_todays_live_figures(client):
    noon = datetime(2026, 10, 28, 12, 0, tzinfo=AMSTERDAM)
    store_days(date(2026, 10, 26), date(2026, 10, 27))
    with time_machine.travel(noon, tick=False):
        _store_today_until(noon)
        live = consumption_today()
        response = client.get("/trends/?a=2026-10-28&b=2026-10-27")
    assert live is not None and live["electricity2"] > 0
    rows = _rows(response)
    # the one computation of today (processing.selectors.consumption_today), not 0.000 and −100 %
    assert rows["electricity1"]["a"] == live["electricity1"] == Decimal("8.400")  # 00:00–07:00 at 1.2 kW
    assert rows["electricity2"]["a"] == live["electricity2"] == Decimal("12.000")  # 07:00–12:00 at 2.4 kW
    assert rows["gas"]["a"] == live["gas"]
    assert rows["total_cost"]["a"] == live["total_cost"]
    expected = ((Decimal("12.000") - Decimal("38.400")) * 100 / Decimal("38.400")).quantize(Decimal("0.1"))
    assert rows["electricity2"]["percent"] == expected
    assert (rows["days"]["a"], rows["days"]["b"]) == (1, 1)
    page = response.content.decode()
    assert 'id="note-a-so-far"' in page and "(so far)" in page
    # and both days up to the same hour: midnight to noon of a normal day, on each side
    same = response.context["comparison"].same_time
    morning = 7 * Decimal("1.2") + 5 * Decimal("2.4")  # 00:00–07:00 at 1.2 kW, 07:00–12:00 at 2.4 kW
    assert (same["hours"], same["until"], same["a"], same["b"], same["percent"]) == (
        12,
        "12:00",
        morning,
        morning,
        0,
    )
    assert (
        "Up to 12:00 (the same hours of both days): electricity A 20.400 kWh, B 20.400 kWh (0.0 %)." in page
    )


@pytest.mark.django_db
def test_this_month_so_far_includes_today(client):
    noon = datetime(2026, 10, 28, 12, 0, tzinfo=AMSTERDAM)
    store_days(date(2026, 10, 26), date(2026, 10, 27))
    with time_machine.travel(noon, tick=False):
        _store_today_until(noon)
        live = consumption_today()
        response = client.get("/trends/?a=2026-10&b=2026-09")
        default = client.get("/trends/")
    rows = _rows(response)
    assert rows["electricity2"]["a"] == 2 * Decimal("38.400") + live["electricity2"]
    assert rows["days"]["a"] == 3  # 26, 27 and today so far
    assert rows["electricity2"]["b"] is None
    # by default: this month against the month before, with links to other choices
    assert (default.context["a"].text, default.context["b"].text) == ("2026-10", "2026-09")
    assert 'id="compare-year-earlier"' in default.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "kind", "first", "last", "previous", "year_earlier"),
    [
        ("2026-W43", "week", date(2026, 10, 19), date(2026, 10, 25), "2026-W42", "2025-W43"),
        ("2026w01", "week", date(2025, 12, 29), date(2026, 1, 4), "2025-W52", "2025-W01"),
        ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 3), "2026-W52", "2025-W52"),
        ("2026-03", "month", date(2026, 3, 1), date(2026, 3, 31), "2026-02", "2025-03"),
        ("2024-02-29", "day", date(2024, 2, 29), date(2024, 2, 29), "2024-02-28", "2023-02-28"),
        ("2026", "year", date(2026, 1, 1), date(2026, 12, 31), "2025", "2025"),
        ("2026-10-01..2026-10-10", "range", date(2026, 10, 1), date(2026, 10, 10),
         "2026-09-21..2026-09-30", "2025-10-01..2025-10-10"),
    ],
)  # fmt: skip
def test_periods_day_week_month_year_and_range(value, kind, first, last, previous, year_earlier):
    period = compare_period_parse(value=value)
    assert (period.kind, period.first, period.last) == (kind, first, last)
    assert compare_previous(period=period).text == previous
    assert compare_year_earlier(period=period).text == year_earlier


@pytest.mark.django_db
def test_compare_two_weeks_in_the_browser_with_the_overlay(browser_page):
    store_days(date(2026, 10, 12), date(2026, 10, 25))
    page = browser_page.page
    browser_page.open("/trends/?a=2026-W43&b=2026-W42")
    assert page.locator("#compare-a").inner_text() == "A: Week 43 of 2026"
    datasets = page.evaluate(
        """() => Chart.getChart(document.getElementById('compare-chart')).data.datasets.map(
             (d) => ({type: d.type, label: d.label, points: d.data.length, dash: d.borderDash || null}))"""
    )
    assert [d["type"] for d in datasets] == ["bar", "line"]
    assert datasets[0]["points"] == datasets[1]["points"] == 7
    labels = page.evaluate("() => Chart.getChart(document.querySelector('#compare-chart')).data.labels")
    assert labels == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert datasets[1]["dash"]  # B is drawn as a dashed line over A's bars
    page.select_option("#compare-figure", "total_cost")
    values = page.evaluate(
        "() => Chart.getChart(document.getElementById('compare-chart')).data.datasets[0].data"
    )
    assert values[0] == pytest.approx(14.66)  # Monday 19 October, a normal day
    page.click("#compare-year-earlier")
    page.wait_for_url("**b=2025-W43**")
    assert page.locator("#compare-b").inner_text() == "B: Week 43 of 2025"
    assert "B has no data." in page.locator("#compare-notes").inner_text()
    browser_page.screenshot("trends-compare-weeks")
    assert browser_page.errors == []


@pytest.mark.django_db
def test_without_data_the_page_still_works(client):
    response = client.get("/trends/")
    assert response.status_code == 200
    assert b'id="trends-empty"' in response.content
    assert b'id="compare-table"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01", "not an existing date"),
        ("start=2026-10-30&end=2026-10-01", "lies before the start date"),
        ("start=2000-01-01&end=2026-01-01", "at most"),
        ("end=tomorrow", "is not a date"),
        ("a=last-month", "Period A: “last-month” is not a date"),
        ("a=2026-W54", "Period A: “2026-W54” is not an existing week"),
        ("b=week", "Period B:"),
        ("b=2026-10-05..2026-10-01", "Period B: The end date 2026-10-01 lies before"),
        ("b=2026-10-05..", "Period B:"),
        ("a=2026-02-29", "not an existing date"),
    ],
)
def test_bad_parameters_are_a_400_with_the_reason(client, query, message):
    response = client.get(f"/trends/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_trends_and_compare_in_the_browser(browser_page):
    store_days(date(2026, 10, 24), date(2026, 10, 30))
    page = browser_page.page
    browser_page.open(f"/trends/?{WEEK}")
    for canvas in ("trends-hours", "trends-weekdays", "trends-split"):
        assert page.evaluate(f"Boolean(Chart.getChart(document.getElementById('{canvas}')))"), canvas
    expect(page.locator("#split-electricity1")).to_have_text("68.400 kWh")

    page.fill("#compare-form input[name=a]", "2026-10-25")
    page.fill("#compare-form input[name=b]", "2026-10-26")
    page.click("#compare-form button[type=submit]")
    expect(page.locator("#compare-a")).to_have_text("A: 25 Oct 2026")
    expect(page.locator("#compare-b")).to_have_text("B: 26 Oct 2026")
    cells = page.locator("#compare-table tr[data-figure=electricity1] td")
    expect(cells).to_have_text(["10.800", "9.600", "1.200", "+12.5"])
    # the range chosen above is kept
    assert page.locator("#trends-range input[name=start]").input_value() == "2026-10-24"
    browser_page.screenshot("trends")
    assert browser_page.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_trends_fits_a_phone(browser, live_server, scheme):
    from tests.web.conftest import ARTIFACTS, PHONE

    store_days(date(2026, 10, 24), date(2026, 10, 30))
    context = browser.new_context(locale="en-GB", viewport=PHONE, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/trends/?{WEEK}&a=2026-10-24..2026-10-27&b=2026-10-28..2026-10-30")
    expect(page.locator("#compare-a")).to_contain_text("24 Oct 2026")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # four days against three: the per-day columns make the table wider than a phone; it says what is hidden
    assert page.locator("#note-per-day").is_visible()
    hint = page.locator("#compare .scroll-hint")
    expect(hint).to_be_visible()
    assert "% per day" in hint.inner_text()
    assert page.locator("#compare-chart").bounding_box()["height"] >= 280
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"trends-phone-{scheme}.png"), full_page=True)
    assert errors == []
    context.close()


@pytest.mark.django_db
def test_an_invalid_period_gives_the_same_message_from_the_form_and_the_url(client):
    from_url = client.get("/trends/?a=2026-02-30&b=2026-01")
    assert from_url.status_code == 400
    message = "Period A: “2026-02-30” is not an existing date."
    assert message in from_url.content.decode()
    # the form sends its hidden range fields along: the same answer
    from_form = client.get(
        "/trends/", {"start": "2026-10-01", "end": "2026-10-30", "a": "2026-02-30", "b": "2026-01"}
    )
    assert from_form.status_code == 400
    assert message in from_form.content.decode()
    assert 'aria-invalid="true"' in from_form.content.decode()
    assert 'value="2026-02-30"' in from_form.content.decode()  # what was typed stays to be corrected


def test_an_invalid_period_typed_into_the_form(browser_page):
    page = browser_page.page
    browser_page.open("/trends/")
    page.fill("#compare-form input[name=a]", "2026-13")
    page.click("#compare-form button[type=submit]")
    expect(page.locator("#a-error")).to_have_text("Period A: “2026-13” is not an existing date.")
    typed = page.url  # the same address opened directly: the same message
    assert page.goto(typed.split("#")[0]).status == 400
    expect(page.locator("#a-error")).to_have_text("Period A: “2026-13” is not an existing date.")
    assert page.locator("#compare-form input[name=a]").get_attribute("aria-invalid") == "true"
    # the browser logs the 400 answers themselves, and nothing else
    assert all("status of 400" in error for error in browser_page.errors), browser_page.errors
