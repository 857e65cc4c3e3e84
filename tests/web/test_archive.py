"""Archive page: day, month and year views from the statistics, navigation, bad parameters, phone width."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from dsmrhub.processing.archive import archive_period_parse
from tests.web.days import store_days

# ----------------------------------------------------------------------------------- server side


@pytest.mark.django_db
def test_autumn_day_has_25_hours_and_the_day_costs(client):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    response = client.get("/archive/?period=day&date=2026-10-25")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 25
    labels = [row["label"] for row in rows]
    assert labels[:4] == ["00:00 CEST", "01:00 CEST", "02:00 CEST", "02:00 CET"]
    assert rows[0]["use"]["electricity1"] == Decimal("1.200")
    assert rows[12]["use"]["electricity2"] == Decimal("2.400")  # 11:00 CET, sunny
    assert rows[12]["use"]["returned"] == Decimal("0.600")
    data = response.context["data"]
    assert data.totals["electricity1"] == Decimal("10.800")  # 9 night hours of 1.2 kWh
    assert data.totals["electricity2"] == Decimal("38.400")
    assert data.totals["returned"] == Decimal("2.400")
    assert data.totals["gas"] == Decimal("3.000")
    # 10.8 × 0.20 + (38.4 × 0.25 − 2.4 × 0.10) + 3.0 × 1.00 + 0.50
    assert data.costs["total_cost"] == Decimal("15.02")
    page = response.content.decode()
    assert "Sunday 25 October 2026" in page
    assert "49.200 kWh" in page and "€\N{NO-BREAK SPACE}15.02" in page
    assert 'id="archive-previous"' in page and "date=2026-10-24" in page
    assert "date=2026-10-26" in page


@pytest.mark.django_db
def test_spring_day_has_23_hours(client):
    store_days(date(2026, 3, 29), date(2026, 3, 29))
    response = client.get("/archive/?period=day&date=2026-03-29")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 23
    assert [row["label"] for row in rows[:3]] == ["00:00 CET", "01:00 CET", "03:00 CEST"]
    assert response.context["data"].totals["electricity1"] == Decimal("8.400")


@pytest.mark.django_db
def test_month_has_every_day_with_costs_and_links_to_the_days(client):
    store_days(date(2026, 10, 24), date(2026, 11, 2))
    response = client.get("/archive/?period=month&date=2026-10")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 31
    assert rows[0]["use"] is None  # 1 October: no data
    assert rows[24]["use"]["electricity1"] == Decimal("10.800")  # the 25-hour day
    assert rows[25]["total_cost"] == Decimal("14.66")
    assert rows[25]["url"] == "/archive/?period=day&date=2026-10-26"
    data = response.context["data"]
    assert data.totals["electricity1"] == Decimal("78.000")  # 7 × 9.6 + 10.8
    # 7 normal days and the long day (no day before the first reading: statistics start at it)
    assert data.costs["total_cost"] == Decimal("117.64")
    assert response.context["previous_url"] is None  # September holds no data: no way into it
    assert response.context["next_url"] == "/archive/?period=month&date=2026-11-01"


@pytest.mark.django_db
def test_year_sums_the_days_per_month_in_sql(client, django_assert_max_num_queries):
    store_days(date(2026, 10, 24), date(2026, 11, 2))
    # A fixed number of queries however many days: bounds (3), contracts (4), today live (up to 4), the
    # month sums, the days, the cost sums, the page frame's settings; none per day or month.
    with django_assert_max_num_queries(20):
        response = client.get("/archive/?period=year&date=2026-05-17")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["label"] for row in rows][9:11] == ["Oct", "Nov"]
    assert rows[9]["use"]["electricity2"] == Decimal("307.200")  # 8 days × 38.4
    assert rows[10]["use"]["electricity2"] == Decimal("76.800")
    assert rows[10]["total_cost"] == Decimal("29.32")
    assert rows[0]["use"] is None
    assert rows[9]["url"] == "/archive/?period=month&date=2026-10-01"
    assert response.context["data"].totals["electricity"] == Decimal("481.200")


@pytest.mark.django_db
def test_dutch_dates_and_decimal_commas(client):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    response = client.get("/archive/?period=day&date=2026-10-25", HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9")
    assert response.status_code == 200
    page = response.content.decode()
    assert "zondag 25 oktober 2026" in page
    assert "49,200 kWh" in page and "€\N{NO-BREAK SPACE}15,02" in page
    assert '"electricity1": ["1.200"' in page  # the chart data stays machine-readable
    month = client.get("/archive/?period=month&date=2026-10", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "oktober 2026" in month and "zo 25" in month


@pytest.mark.django_db
def test_without_data_the_page_says_so(client):
    response = client.get("/archive/")
    assert response.status_code == 200
    assert b'id="archive-empty"' in response.content
    assert b"chart.umd.min.js" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=fortnight", "choose day, week, month or year"),
        ("period=week&date=2026-10", "A week needs"),
        ("period=week&date=2025-W53", "not an existing week"),
        ("period=day&date=2026-02-30", "not an existing date"),
        ("period=day&date=yesterday", "is not a date"),
        ("period=day&date=2026-10", "A day needs a full date"),
        ("period=month&date=2026", "A month needs"),
        ("period=year&date=0001-01-01", "out of range"),
        ("period=day&date=99999-01-01", "is not a date"),
        ("period=day&date=2026-1-1%00", "is not a date"),
    ],
)
def test_bad_parameters_are_a_400_with_the_reason(client, query, message):
    response = client.get(f"/archive/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert b'id="archive-jump"' in response.content  # the form to try again


def test_previous_and_next_cross_months_and_years():
    period = archive_period_parse(kind="month", value="2026-12-31", today=date(2026, 11, 26))
    assert (period.first, period.last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period.next.first == date(2027, 1, 1)
    assert period.previous.first == date(2026, 11, 1)
    day = archive_period_parse(kind="day", value="2026-03-01", today=date(2026, 11, 26))
    assert day.previous.first == date(2026, 2, 28)
    year = archive_period_parse(kind="year", value=None, today=date(2026, 11, 26))
    assert (year.first, year.last) == (date(2026, 1, 1), date(2026, 12, 31))
    assert archive_period_parse(kind="year", value="2199", today=date(2026, 1, 1)).next is None


# ----------------------------------------------------------------------------------- in the browser


def _chart_drawn(browser_page, canvas_id: str) -> bool:
    return browser_page.page.evaluate(
        f"Boolean(window.Chart && window.Chart.getChart(document.getElementById('{canvas_id}')))"
    )


def test_archive_navigation_in_the_browser(browser_page):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    page = browser_page.page
    browser_page.open("/archive/?period=day&date=2026-10-25")
    assert page.locator("#archive-title").inner_text() == "Sunday 25 October 2026"
    assert page.locator("#total-electricity").inner_text() == "49.200 kWh"
    assert page.locator("#archive-table tbody tr").count() == 25
    assert _chart_drawn(browser_page, "archive-electricity") and _chart_drawn(browser_page, "archive-gas")

    page.click("#archive-next")
    expect(page.locator("#archive-title")).to_have_text("Monday 26 October 2026")
    expect(page.locator("#total-electricity")).to_have_text("48.000 kWh")
    assert page.locator("#archive-table tbody tr").count() == 24

    page.click("#archive-previous")
    page.click("#archive-previous")
    expect(page.locator("#archive-title")).to_have_text("Saturday 24 October 2026")
    expect(page.locator("#total-cost")).to_have_text("€\N{NO-BREAK SPACE}14.66")

    page.select_option("#archive-jump select[name=period]", "month")
    page.click("#archive-jump button[type=submit]")
    expect(page.locator("#archive-title")).to_have_text("October 2026")
    expect(page.locator("#total-electricity")).to_have_text("145.200 kWh")  # 48 + 49.2 + 48
    assert _chart_drawn(browser_page, "archive-electricity")
    browser_page.screenshot("archive")
    assert browser_page.errors == []


def test_archive_in_dutch_in_the_browser(dutch_page):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    dutch_page.open("/archive/?period=year&date=2026")
    assert dutch_page.page.locator("#total-electricity").inner_text() == "145,200 kWh"
    assert _chart_drawn(dutch_page, "archive-electricity")
    assert dutch_page.errors == []


def test_archive_fits_a_phone(phone_page):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    phone_page.open("/archive/?period=month&date=2026-10-01")
    assert _chart_drawn(phone_page, "archive-electricity")
    assert phone_page.fits_width()
    phone_page.screenshot("archive-phone")
    assert phone_page.errors == []


@pytest.mark.django_db
def test_a_future_period_without_any_data_says_it_lies_in_the_future(client):
    response = client.get("/archive/?period=month&date=2199-01")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="archive-future"' in content and 'id="archive-table"' not in content
    assert response.context["next_url"] is None and response.context["previous_url"] is None
