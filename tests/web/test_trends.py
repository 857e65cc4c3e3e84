"""Trends and compare: averages by hour of day and weekday, tariff split, two periods side by side."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.web.days import store_days

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


@pytest.mark.django_db
def test_compare_two_days_and_a_range_with_a_month(client):
    store_days(date(2026, 10, 24), date(2026, 11, 2))
    response = client.get("/trends/?a=2026-10-25&b=2026-10-26")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["comparison"]}
    assert (rows["electricity1"]["a"], rows["electricity1"]["b"]) == (Decimal("10.800"), Decimal("9.600"))
    assert rows["electricity1"]["difference"] == Decimal("1.200")
    assert rows["electricity1"]["percent"] == Decimal("12.5")
    assert rows["total_cost"]["difference"] == Decimal("0.36")
    assert rows["gas"]["difference"] == Decimal("0.120")
    assert (rows["days"]["a"], rows["days"]["b"]) == (1, 1)

    response = client.get("/trends/?a=2026-10-26..2026-10-31&b=2026-11")
    rows = {row["name"]: row for row in response.context["comparison"]}
    assert rows["electricity2"]["a"] == Decimal("230.400")  # 6 days
    assert rows["electricity2"]["b"] == Decimal("76.800")  # 1 and 2 November
    assert (rows["days"]["a"], rows["days"]["b"]) == (6, 2)
    page = response.content.decode()
    assert "A: 26 Oct 2026 – 31 Oct 2026" in page and "B: November 2026" in page


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
    expect(cells).to_have_text(["10.800", "9.600", "1.200", "12.5"])
    # the range chosen above is kept
    assert page.locator("#trends-range input[name=start]").input_value() == "2026-10-24"
    browser_page.screenshot("trends")
    assert browser_page.errors == []


def test_trends_fits_a_phone(phone_page):
    store_days(date(2026, 10, 24), date(2026, 10, 30))
    phone_page.open(f"/trends/?{WEEK}&a=2026-10-24..2026-10-27&b=2026-10-28..2026-10-30")
    expect(phone_page.page.locator("#compare-a")).to_contain_text("24 Oct 2026")
    assert phone_page.fits_width()
    phone_page.screenshot("trends-phone")
    assert phone_page.errors == []
