"""The costs pages in Chromium at desktop (1280 px) and phone (390 px) widths, light and dark: the contract
compare page (stored and ad hoc contracts per month next to the one in force), the capacity page (monthly
peaks, the rolling 12-month average in kW and euros) and the contracts page. Expected figures are worked
out here from the readings and prices the tests store; screenshots go to test-artifacts/."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from dsmrhub.processing.contracts import contract_save
from dsmrhub.readings.models import DsmrReading, MeterMonthPeak
from tests.prices.days import GAS_PER_DAY, KWH_PER_DAY, MARCH_2, MARCH_3, two_days
from tests.processing.builders import utc
from tests.processing.test_costs_engine import quarter_readings, save
from tests.web.conftest import DESKTOP, PHONE, BrowserPage

D = Decimal
NBSP = "\N{NO-BREAK SPACE}"
VIEWS = [(width, scheme) for width in ("desktop", "phone") for scheme in ("light", "dark")]

pytestmark = pytest.mark.django_db(transaction=True)


def R(amount: Decimal) -> Decimal:
    """Half up to cents, written out here so the tests do not borrow the code under test."""
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(params=VIEWS, ids="-".join)
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
    wrapped.scheme = scheme
    yield wrapped
    context.close()


def _dark_background(view) -> bool:
    """The page's background is dark (luminance of body's computed background below one half)."""
    return view.page.evaluate(
        """(() => {
            const colour = (e) => getComputedStyle(e).backgroundColor.match(/[\\d.]+/g).map(Number);
            let rgba = colour(document.body);
            if (rgba.length === 4 && rgba[3] === 0) rgba = colour(document.documentElement);
            return (0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]) / 255 < 0.5;
        })()"""
    )


def _fits_or_scrolls(view, table: str) -> None:
    """The page fits the width; a table wider than the screen scrolls inside its own ``.table-scroll``."""
    assert view.fits_width()
    wide = view.page.evaluate(
        f"(() => {{ const t = document.querySelector('{table}'); "
        f"return t.scrollWidth > t.parentElement.clientWidth + 1; }})()"
    )
    if wide:
        assert view.page.locator(f".table-scroll > {table}").count() == 1


# ---------------------------------------------------------------- compare


def test_compare_page_prices_a_stored_and_an_ad_hoc_contract_per_month(view):
    two_days()  # local 2 and 3 March 2026: 1.8 kW on tariff 1 all day, 0.120 m³ gas an hour
    contract_save(  # in force: its column is "in force", it is not ticked
        description="Fixed 2026",
        start=date(2026, 1, 1),
        prices={
            "electricity_delivered_1_price": D("0.2345"),
            "gas_price": D("1.1"),
            "capacity_price": D("40"),
            "capacity_minimum": D("2.5"),
        },
    )
    other = contract_save(
        description="Cheap gas 2025",
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        prices={"electricity_delivered_1_price": D("0.31"), "gas_price": D("0.875")},
    ).contract
    spec = {"description": "Try me", "electricity_delivered_1_price": "0.1999", "gas_price": "1.2345"}
    kwh, gas = 2 * KWH_PER_DAY, 2 * GAS_PER_DAY
    capacity = R(D("2.5") * 40 / 12)  # the 1.8 kW peak is billed as the 2.5 kW minimum, one month of 12
    expected = {
        "in force": R(R(kwh * D("0.2345")) + R(gas * D("1.1")) + capacity),
        "Cheap gas 2025": R(R(kwh * D("0.31")) + R(gas * D("0.875"))),
        "Try me": R(R(kwh * D("0.1999")) + R(gas * D("1.2345"))),
    }
    page = view.page
    view.open("/compare/")
    page.fill("#compare-form input[name=start]", "2026-03-02")
    page.fill("#compare-form input[name=end]", "2026-03-03")
    page.check(f"#compare-form input[name=contract][value='{other.pk}']")
    page.fill("#compare-form textarea[name=spec]", json.dumps(spec))
    page.click("#compare-submit")
    table = page.locator("#compare-table")
    expect(table).to_be_visible()
    headers = table.locator("thead th[scope=col]")
    expect(headers).to_have_text(["Month", *expected])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("th")).to_have_text("March 2026")
    money = [f"€{NBSP}{amount}" for amount in expected.values()]
    expect(rows.nth(0).locator("td")).to_have_text(money)
    expect(table.locator("tfoot td")).to_have_text(money)  # one month: the total is that month
    peaks = page.locator("#capacity-table tbody tr td")  # the in-force column's peaks
    expect(peaks).to_have_text(["1.800", "–", "1.800", f"€{NBSP}{capacity}"])
    expect(page.locator("#capacity-link")).to_have_attribute("href", "/capacity/")
    assert _dark_background(view) == (view.scheme == "dark")
    _fits_or_scrolls(view, "#compare-table")
    _fits_or_scrolls(view, "#capacity-table")
    view.screenshot(f"compare-{view.name}")

    page.fill("#compare-form textarea[name=spec]", "{oops")
    page.click("#compare-submit")
    expect(page.locator("#compare-error")).to_contain_text("Not JSON")
    assert page.locator("#compare-table").count() == 0
    assert view.fits_width()
    view.screenshot(f"compare-error-{view.name}")
    assert [e for e in view.errors if "400" not in e] == []  # the bad request's own status only


# ---------------------------------------------------------------- capacity

CAPACITY_NOW = utc(2026, 3, 20, 12)
CAPACITY_PRICE = D("48.33")  # € per kW per year
MINIMUM = D("2.5")


def _peaks() -> dict[date, tuple[Decimal | None, Decimal]]:
    """Month → (the meter's own peak, ours) in kW, stored as quarter-hour readings and meter peaks:
    our peak is the biggest quarter's kWh × 4."""
    save({
        "description": "Fluvius", "start": "2026-01-01", "kind": "fixed",
        "electricity_delivered_1_price": "0.30", "capacity_price": str(CAPACITY_PRICE),
        "capacity_minimum": str(MINIMUM),
    })  # fmt: skip
    quarters = {date(2026, 1, 1): "1.250", date(2026, 2, 1): "0.500", date(2026, 3, 1): "1.750"}
    for month, kwh in quarters.items():
        quarter_readings(utc(month.year, month.month, 12, 9), 3, d1="0.050", peaks={2: kwh})
    MeterMonthPeak.objects.create(
        month=date(2026, 1, 1), value=D("5.250"), occurred_at=utc(2026, 1, 12, 9, 35)
    )
    DsmrReading.objects.filter(timestamp__gte=utc(2026, 3, 1)).update(
        maximum_demand_month=D("7.125"), maximum_demand_month_at=utc(2026, 3, 12, 9, 37)
    )
    return {
        date(2026, 1, 1): (D("5.250"), D(quarters[date(2026, 1, 1)]) * 4),
        date(2026, 2, 1): (None, D(quarters[date(2026, 2, 1)]) * 4),
        date(2026, 3, 1): (D("7.125"), D(quarters[date(2026, 3, 1)]) * 4),
    }


def _kw(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def test_capacity_page_shows_peaks_the_12_month_average_and_euros(view):
    page = view.page
    with time_machine.travel(CAPACITY_NOW, tick=True):
        peaks = _peaks()
        view.open("/capacity/")
        rows = page.locator("#capacity-months tbody tr")
        expect(rows).to_have_count(3)
        window: list[Decimal] = []
        for index, (month, (meter, ours)) in enumerate(peaks.items()):
            billed = meter if meter is not None else ours
            window.append(max(billed, MINIMUM))
            average = sum(window) / len(window)
            row = page.locator(f"#capacity-{month:%Y-%m}")
            expect(rows.nth(index)).to_have_id(f"capacity-{month:%Y-%m}")
            expect(row.locator("th")).to_have_text(f"{month:%B %Y}")
            expect(row.locator("td.meter")).to_have_text(_kw(meter))
            expect(row.locator("td.ours")).to_contain_text(_kw(ours))
            expect(row.locator("td.billed")).to_have_text(_kw(billed))
            months = f"({len(window)} month{'s' if len(window) > 1 else ''})"
            expect(row.locator("td.average")).to_have_text(f"{average.quantize(D('0.001'))} {months}")
            expect(row.locator("td.cost")).to_have_text(f"€{NBSP}{R(average * CAPACITY_PRICE / 12)}")
            differ = meter is not None and meter != ours
            assert ("differ" in (row.get_attribute("class") or "")) == differ
        # February's 2 kW counts as the 2.5 kW minimum; March averages 5.25, 2.5 and 7.125
        expect(page.locator("#capacity-2026-03 td.cost")).to_have_text(
            f"€{NBSP}{R((D('5.25') + D('2.5') + D('7.125')) / 3 * CAPACITY_PRICE / 12)}"
        )
        assert page.locator("#capacity-no-contract").count() == 0
        assert _dark_background(view) == (view.scheme == "dark")
        _fits_or_scrolls(view, "#capacity-months")
        view.screenshot(f"capacity-{view.name}")
    assert view.errors == []


# ---------------------------------------------------------------- contracts


def test_contracts_page_shows_prices_and_totals(view):
    two_days()
    contract_save(  # the two whole days (the readings begin an hour before them and end an hour after)
        description="Energy 2026",
        start=MARCH_2,
        end=MARCH_3,
        prices={
            "electricity_delivered_1_price": D("0.2345"),
            "gas_price": D("1.1"),
            "fixed_daily_cost": D("0.25"),
        },
    )
    days = 2
    electricity = R(days * KWH_PER_DAY * D("0.2345"))
    gas = R(days * GAS_PER_DAY * D("1.1"))
    fixed = days * D("0.25")
    page = view.page
    view.open("/contracts/")
    card = page.locator("article.contract")
    expect(card).to_have_count(1)
    expect(card.locator(".description")).to_have_text("Energy 2026")
    expect(card.locator(".period")).to_have_text("2 Mar 2026 – 3 Mar 2026")  # the day filter
    expect(card.locator("table.prices")).to_contain_text("€ 0.2345")
    totals = card.locator("table.totals")
    expect(totals.locator("tr").nth(0).locator("td")).to_have_text(f"{days * KWH_PER_DAY:.3f} kWh")
    expect(totals.locator("tr").nth(2).locator("td")).to_have_text(f"{days * GAS_PER_DAY:.3f} m³")
    expect(totals.locator("tr").nth(3).locator("td")).to_have_text(f"€{NBSP}{electricity}")
    expect(totals.locator("tr").nth(4).locator("td")).to_have_text(f"€{NBSP}{gas}")
    expect(totals.locator("tr").nth(5).locator("td")).to_have_text(f"€{NBSP}{fixed:.2f}")
    expect(card.locator(".total-cost")).to_have_text(f"€{NBSP}{electricity + gas + fixed}")
    expect(card.locator("h6").nth(1)).to_have_text(f"Totals over {days} days with data")
    assert page.locator("#contract-add").count() == 0  # a visitor does not edit
    expect(page.locator("#capacity-link")).to_have_attribute("href", "/capacity/")
    assert _dark_background(view) == (view.scheme == "dark")
    assert view.fits_width()
    view.screenshot(f"contracts-{view.name}")
    assert view.errors == []
