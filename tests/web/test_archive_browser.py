"""Archive in Chromium at desktop (1280 px) and phone (390 px) widths, light and dark: today so far, where
the data begins and ends, weeks, costs per band, the tables' scroll wrapper; screenshots in test-artifacts/.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from playwright.sync_api import expect

from tests.web.archive_readings import LAST, NBSP, NOW, day_cost, local, store_readings, use_between
from tests.web.conftest import DESKTOP, PHONE, BrowserPage
from tests.web.test_archive_bands import BANDS, bands_between, save

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(params=[(width, scheme) for width in WIDTHS for scheme in ("light", "dark")], ids="-".join)
def archive_page(request, browser, live_server):
    width, scheme = request.param
    context = browser.new_context(locale="en-GB", viewport=WIDTHS[width], color_scheme=scheme)
    context.set_default_timeout(10_000)
    page = context.new_page()
    wrapped = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", lambda message: message.type == "error" and wrapped.errors.append(message.text))
    page.on("pageerror", lambda error: wrapped.errors.append(str(error)))
    wrapped.name = f"{width}-{scheme}"
    yield wrapped
    context.close()


def _money(amount) -> str:
    return f"€{NBSP}{amount:.2f}"


def _chart_drawn(browser_page, canvas_id: str) -> bool:
    return browser_page.page.evaluate(
        f"Boolean(window.Chart && window.Chart.getChart(document.getElementById('{canvas_id}')))"
    )


def test_today_first_day_and_weeks_in_the_browser(archive_page):
    page = archive_page.page
    with time_machine.travel(NOW, tick=True):
        store_readings()
        archive_page.open("/archive/?period=day&date=2026-10-26")
        today = use_between(local(date(2026, 10, 26)), LAST)
        expect(page.locator("#total-cost")).to_have_text(_money(day_cost(today)))
        electricity = today["electricity1"] + today["electricity2"]
        expect(page.locator("#total-electricity")).to_have_text(f"{electricity:.3f} kWh")
        expect(page.locator("#archive-so-far-row th")).to_contain_text("until now")
        assert page.locator("#archive-next").count() == 0  # nothing after today
        assert page.locator("#archive-table thead th[scope=col]").count() == 5
        assert page.locator("#archive-table tbody th[scope=row]").count() == 15
        assert page.locator(".table-scroll > #archive-table").count() == 1
        assert _chart_drawn(archive_page, "archive-electricity")
        assert archive_page.fits_width()
        archive_page.screenshot(f"archive-today-{archive_page.name}")

        page.click("#archive-previous")
        page.click("#archive-previous")
        expect(page.locator("#archive-title")).to_have_text("Saturday 24 October 2026")
        assert page.locator("#archive-previous").count() == 0  # the first day with data
        expect(page.locator("#archive-begins")).to_contain_text("Data begins on 24 Oct 2026")

        page.select_option("#archive-jump select[name=period]", "week")
        page.click("#archive-jump button[type=submit]")
        expect(page.locator("#archive-title")).to_have_text("Week 43 of 2026 (19 Oct 2026 – 25 Oct 2026)")
        expect(page.locator("#archive-table tbody tr")).to_have_count(7)
        saturday = use_between(local(date(2026, 10, 24)), local(date(2026, 10, 25)))
        sunday = use_between(local(date(2026, 10, 25)), local(date(2026, 10, 26)))
        expect(page.locator("#total-cost")).to_have_text(_money(day_cost(saturday) + day_cost(sunday)))
        assert archive_page.fits_width()
        archive_page.screenshot(f"archive-week-{archive_page.name}")

        page.click("#archive-next")  # this week: today only
        expect(page.locator("#archive-table tbody tr")).to_have_count(1)
        expect(page.locator("#archive-table tbody tr")).to_contain_text("so far")
        assert page.locator("#archive-next").count() == 0
    assert archive_page.errors == []


def test_before_the_data_and_the_band_costs_in_the_browser(archive_page):
    page = archive_page.page
    save(BANDS)
    with time_machine.travel(NOW, tick=True):
        store_readings(contract_from=None)
        archive_page.open("/archive/?period=day&date=2026-10-20")
        expect(page.locator("#archive-before-data")).to_contain_text("the data begins on 24 Oct 2026")
        assert page.locator("#archive-table").count() == 0
        archive_page.screenshot(f"archive-before-data-{archive_page.name}")
        page.click("#archive-first-link")
        expect(page.locator("#archive-title")).to_have_text("Saturday 24 October 2026")

        archive_page.open("/archive/?period=month&date=2026-10")
        bands = bands_between(local(date(2026, 10, 24)), LAST)
        rows = page.locator("#archive-bands tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0).locator("th")).to_have_text("peak")
        expect(rows.nth(0).locator("td").last).to_have_text(_money(bands["peak"]["cost"]))
        expect(rows.nth(1).locator("td").last).to_have_text(_money(bands["off-peak"]["cost"]))
        assert page.locator(".table-scroll > #archive-bands").count() == 1
        assert archive_page.fits_width()
        archive_page.screenshot(f"archive-bands-{archive_page.name}")
    assert archive_page.errors == []


def test_days_without_a_contract_in_the_browser(archive_page):
    page = archive_page.page
    with time_machine.travel(NOW, tick=True):
        store_readings(contract_from=date(2026, 10, 25))
        archive_page.open("/archive/?period=month&date=2026-10")
        rows = page.locator("#archive-table tbody tr")
        expect(rows).to_have_count(26)
        expect(rows.nth(23).locator("td").last).to_have_text("no contract")  # 24 October
        sunday = use_between(local(date(2026, 10, 25)), local(date(2026, 10, 26)))
        expect(rows.nth(24).locator("td").last).to_have_text(_money(day_cost(sunday)))
        expect(page.locator("#archive-no-contract-note")).to_contain_text(
            "1 day with data has no energy contract"
        )
        assert "€ 0.00" not in page.locator("#archive-table").inner_text().replace(NBSP, " ")
        assert archive_page.fits_width()
        archive_page.screenshot(f"archive-no-contract-{archive_page.name}")
    assert archive_page.errors == []


def test_the_form_sends_from_a_month_that_begins_before_the_data(archive_page):
    """The date field keeps within its min (the first day with data) and max (today), so the browser sends
    the form from any view."""
    page = archive_page.page
    with time_machine.travel(NOW, tick=True):
        store_readings()
        archive_page.open("/archive/?period=month&date=2026-10")
        assert page.locator("#archive-jump input[name=date]").input_value() == "2026-10-24"
        page.select_option("#archive-jump select[name=period]", "year")
        page.click("#archive-jump button[type=submit]")
        expect(page.locator("#archive-title")).to_have_text("2026")
        archive_page.open("/archive/?period=day&date=2026-11-02")  # in the future
        assert page.locator("#archive-jump input[name=date]").input_value() == "2026-10-26"
        page.select_option("#archive-jump select[name=period]", "week")
        page.click("#archive-jump button[type=submit]")
        expect(page.locator("#archive-title")).to_contain_text("Week 44 of 2026")
    assert archive_page.errors == []
