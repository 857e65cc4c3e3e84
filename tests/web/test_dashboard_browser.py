"""Dashboard in Chromium at desktop (1280) and phone (390) widths, light and dark: today's figures and
flows, the typical-day line, the stale-data banner (also when data goes old while the page is open), "no
contract", today's hours next to the power line with the running hour unfinished, units in tooltips.
Expected figures from tests/web/dashboard_readings.py (worked out from the readings' schedule); the server's
clock is set with time-machine (ticking), screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from tests.web.conftest import DESKTOP, PHONE, BrowserPage
from tests.web.dashboard_readings import AMS, expected_today, readings_store

TUESDAY = date(2026, 3, 10)
LAST = time(11, 30)
NOW = datetime.combine(TUESDAY, time(11, 31, 10), tzinfo=AMS).astimezone(UTC)
VIEWS = [("desktop", "light"), ("desktop", "dark"), ("phone", "light"), ("phone", "dark")]


def money(value: Decimal) -> re.Pattern:
    return re.compile(rf"^€\s?{re.escape(f'{value:.2f}')}$")


@pytest.fixture
def view(request, browser, live_server):
    width, scheme = request.param
    context = browser.new_context(
        locale="en-GB", viewport=DESKTOP if width == "desktop" else PHONE, color_scheme=scheme
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    wrapped = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", lambda message: message.type == "error" and wrapped.errors.append(message.text))
    page.on("pageerror", lambda error: wrapped.errors.append(str(error)))
    wrapped.name = f"{width}-{scheme}"
    yield wrapped
    context.close()


def _chart(page, name: str, expression: str):
    return page.evaluate(
        f"(() => {{ const c = Chart.getChart(document.getElementById('chart-{name}')); "
        f"return {expression}; }})()"
    )


@pytest.mark.parametrize("view", VIEWS, indirect=True, ids=[f"{w}-{s}" for w, s in VIEWS])
def test_today_of_a_solar_household(view):
    with time_machine.travel(NOW, tick=True):
        schedule = readings_store(today=TUESDAY, last_local=LAST, days_before=10)
        expected = expected_today(schedule)
        view.open("/")
        page = view.page
        expect(page.locator("#today-electricity")).to_have_text(f"{expected['electricity']:,} kWh")
        expect(page.locator("#today-electricity1")).to_have_text(f"{expected['electricity1']} kWh")
        expect(page.locator("#today-electricity2")).to_have_text(f"{expected['electricity2']} kWh")
        expect(page.locator("#today-returned")).to_have_text(f"{expected['electricity_returned']} kWh")
        expect(page.locator("#today-net")).to_have_text(f"{expected['net']} kWh")
        expect(page.locator("#today-gas")).to_have_text(f"{expected['gas']} m³")
        expect(page.locator("#today-costs")).to_have_text(money(expected["total_cost"]))
        expect(page.locator("#today-electricity-cost")).to_have_text(money(expected["electricity_cost"]))
        expect(page.locator("#today-gas-cost")).to_have_text(money(expected["gas_cost"]))
        expect(page.locator("#today-fixed-cost")).to_have_text(money(expected["fixed_cost"]))
        expect(page.locator("#today-compensation")).to_have_text(money(expected["compensation"]))
        expect(page.locator("#typical-text")).to_have_text(re.compile(r"^\d+ % more than a typical Tuesday"))
        assert page.locator("#self-consumption").is_visible()
        assert page.locator("#stale-banner").is_hidden()
        assert page.locator("#no-contract").is_hidden()
        expect(page.locator("#projection-total_cost")).to_have_text(re.compile(r"^€\s?[\d,]+\.\d\d$"))

        # today's hours: 12 bars per tariff, the running hour (the last) drawn lighter
        assert _chart(page, "hours", "c.data.labels.length") == 12
        colours = _chart(page, "hours", "c.data.datasets[0].backgroundColor")
        assert colours[-1] != colours[0] and len(set(colours[:-1])) == 1
        gas = _chart(page, "gas", "c.data.datasets[0].backgroundColor")
        assert gas[-1] != gas[0]
        assert page.locator("#gas-running-note").is_visible()
        # a unit in every tooltip
        for name, value, text in (
            ("power", 400, "400 W"),
            ("hours", 0.4, "0.400 kWh"),
            ("gas", 0.05, "0.050 m³"),
        ):
            label = _chart(
                page,
                name,
                "c.options.plugins.tooltip.callbacks.label("
                f"{{dataset: {{label: 'x'}}, parsed: {{y: {value}}}}})",
            )
            assert label == f"x: {text}", name
        # colours of text come from the shared defaults (app.js), not from the dashboard
        assert _chart(page, "hours", "c.options.scales.x.ticks.color") == page.evaluate(
            "Chart.defaults.color"
        )
        if view.name.startswith("phone"):
            assert view.fits_width()
        view.screenshot(f"dashboard-today-{view.name}")
    assert view.errors == []


@pytest.mark.parametrize("view", [VIEWS[0], VIEWS[3]], indirect=True, ids=["desktop-light", "phone-dark"])
def test_data_going_old_while_the_page_is_open_gets_the_banner(view):
    with time_machine.travel(NOW, tick=True) as traveller:
        readings_store(today=TUESDAY, last_local=LAST, days_before=1)
        page = view.page
        page.clock.install()
        view.open("/")
        expect(page.locator("#latest-info")).to_have_text(
            re.compile(r"^Latest reading at 11:30:10, \d+ seconds ago$")
        )
        assert page.locator("#stale-banner").is_hidden()
        assert "stale" not in (page.locator("#dashboard").get_attribute("class") or "")

        traveller.shift(timedelta(hours=2))  # no new reading for two hours
        page.clock.run_for(5_000)  # the next poll

        expect(page.locator("#stale-banner")).to_be_visible()
        expect(page.locator("#stale-age")).to_have_text("2 hours ago")
        expect(page.locator("#stale-banner")).to_contain_text("This data is not current.")
        expect(page.locator("#dashboard")).to_have_class(re.compile(r"\bstale\b"))
        expect(page.locator("#latest-info")).to_have_text("Latest reading at 11:30:10, 2 hours ago")
        assert page.locator("#today .stale-mark").is_visible()
        view.screenshot(f"dashboard-stale-{view.name}")
    assert view.errors == []


@pytest.mark.parametrize("view", [VIEWS[1], VIEWS[2]], indirect=True, ids=["desktop-dark", "phone-light"])
def test_no_contract_is_said_not_priced_at_zero(view):
    with time_machine.travel(NOW, tick=True):
        readings_store(today=TUESDAY, last_local=LAST, days_before=3, contract=False)
        view.open("/")
        page = view.page
        expect(page.locator("#today-costs")).to_have_text("no contract")
        expect(page.locator("#month-total_cost")).to_have_text("no contract")
        expect(page.locator("#today-compensation")).to_have_text("no contract")
        assert page.locator("#no-contract").is_visible()
        assert "€" not in page.locator("#today").inner_text()
        view.screenshot(f"dashboard-no-contract-{view.name}")
    assert view.errors == []
