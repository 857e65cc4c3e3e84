"""The water meter's card on the dashboard in Chromium, at phone (390 px) and desktop (1280 px) widths:
today's use, its cost and the meter position, refreshed by the page's 5-second update when a new value
comes in. Figures worked out from tests/web/devices_readings.py; screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from dsmrhub.devices.services import device_price_save
from tests.web.conftest import DESKTOP, PHONE, BrowserPage
from tests.web.dashboard_readings import AMS
from tests.web.devices_readings import STEP, WATER_PER_HOUR, WATER_START, store_meters

D = Decimal
TODAY = date(2026, 3, 10)
START = datetime.combine(TODAY - timedelta(days=1), time(0), tzinfo=AMS)
LAST = datetime.combine(TODAY, time(10, 0), tzinfo=AMS)
NOW = LAST + timedelta(seconds=30)
PRICE = D("2.00")  # € per m³


def m3(amount: Decimal) -> str:
    return f"{amount.quantize(D('0.001'), rounding=ROUND_HALF_UP):,} m³"


def euro(amount: Decimal) -> re.Pattern:
    cents = amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    return re.compile(rf"^€\s?{re.escape(str(cents))}$")


@pytest.fixture(params=["phone", "desktop"])
def view(request, browser, live_server):
    context = browser.new_context(locale="en-GB", viewport=PHONE if request.param == "phone" else DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    wrapped = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", lambda message: message.type == "error" and wrapped.errors.append(message.text))
    page.on("pageerror", lambda error: wrapped.errors.append(str(error)))
    wrapped.name = request.param
    yield wrapped
    context.close()


def test_the_water_card_shows_today_cost_and_position_and_follows_new_values(view):
    with time_machine.travel(NOW, tick=True):
        device_price_save(kind="water", start=date(2026, 1, 1), end=None, price=PRICE)
        store_meters(START, LAST, heat=False)
        view.open("/")
        page = view.page
        card = page.locator("#device-water")
        expect(card).to_be_visible()
        today = WATER_PER_HOUR * 10  # midnight to 10:00
        expect(card.locator(".label")).to_have_text("Water meter")
        expect(page.locator("#device-water-today")).to_have_text(m3(today))
        expect(page.locator("#device-water-cost")).to_have_text(euro(today * PRICE))
        expect(page.locator("#device-water-position")).to_have_text(m3(WATER_START + WATER_PER_HOUR * 34))
        assert page.locator("#device-heat").count() == 0
        # this month and year so far: yesterday whole and today (the first value, at START, has no use)
        month = WATER_PER_HOUR * 34
        expect(page.locator("#month-water")).to_have_text(f"{month.quantize(D('0.001')):,}")
        expect(page.locator("#year-water")).to_have_text(f"{month.quantize(D('0.001')):,}")
        expect(page.locator("#projection-water")).to_have_text("–")
        assert view.fits_width()
        box = card.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
        view.screenshot(f"dashboard-water-{view.name}")

        # a new value five minutes on: the next update shows it without a reload
        store_meters(START, LAST + STEP, heat=False, after=LAST)
        later = today + WATER_PER_HOUR / 12
        # the page polls every 5 s: wait for up to three polls, not expect's default 5 s
        expect(page.locator("#device-water-today")).to_have_text(m3(later), timeout=15_000)
        expect(page.locator("#device-water-cost")).to_have_text(euro(later * PRICE), timeout=15_000)
        assert view.errors == []


def test_the_archive_day_charts_and_lists_the_water_meter(browser_page):
    with time_machine.travel(NOW, tick=True):
        store_meters(START, LAST, heat=False)
        browser_page.open("/archive/?period=day&date=2026-03-09")
        page = browser_page.page
        expect(page.locator("#archive-table thead")).to_contain_text("Water m³")
        expect(page.locator("#total-water")).to_have_text(m3(WATER_PER_HOUR * 24))
        values = page.evaluate(
            "Chart.getChart(document.getElementById('archive-devices')).data.datasets.map("
            "(d) => [d.label, d.data])"
        )
        assert values == [["Water", [float(WATER_PER_HOUR)] * 24]]
        browser_page.screenshot("archive-water-day")
        assert browser_page.errors == []


def test_the_compare_chart_shows_the_water_meter(browser_page):
    with time_machine.travel(NOW, tick=True):
        store_meters(START, LAST, heat=False)
        browser_page.open("/trends/?a=2026-03-10&b=2026-03-09#compare")
        page = browser_page.page
        expect(page.locator('#compare-table tr[data-figure="water"] th')).to_have_text("Water m³")
        page.select_option("#compare-figure", "water")
        data = page.evaluate(
            "(() => { const c = Chart.getChart(document.getElementById('compare-chart'));"
            " return [c.options.scales.y.title.text, c.data.datasets[0].data, c.data.datasets[1].data]; })()"
        )
        # A: today, ten whole hours and the running one empty; B: yesterday's 24 hours
        assert data[0] == "m³"
        assert data[1][:10] == [float(WATER_PER_HOUR)] * 10
        assert data[2] == [float(WATER_PER_HOUR)] * 24
        assert browser_page.errors == []
