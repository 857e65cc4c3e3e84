"""The capacity-tariff page (Belgium): monthly peaks (the meter's own and ours where they differ), the
rolling 12-month average and the cost per month, equal to the cost engine's month periods."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine

from dsmrhub.processing.costs import costs_for_range
from dsmrhub.readings.models import DsmrReading, MeterMonthPeak
from dsmrhub.web.capacity import capacity_overview
from tests.processing.builders import utc
from tests.processing.test_costs_engine import quarter_readings, save

pytestmark = pytest.mark.django_db
D = Decimal
NOW = utc(2026, 3, 20, 12)
PRICE = D("50")


def R(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _belgian_history() -> None:
    """Our peaks: December 2025 3 kW (before the contract), January 4, February 2 (below the 2.5 kW
    minimum), March 6; the meter's own: January 4.120 (0-0:98.1.0), March 6.500 (the running 1-0:1.6.0)."""
    save({
        "description": "Fluvius", "start": "2026-01-01", "kind": "fixed",
        "electricity_delivered_1_price": "0.30", "capacity_price": str(PRICE), "capacity_minimum": "2.5",
    })  # fmt: skip
    for year, month, peak_kwh in (
        (2025, 12, "0.750"),
        (2026, 1, "1.000"),
        (2026, 2, "0.500"),
        (2026, 3, "1.500"),
    ):
        quarter_readings(utc(year, month, 10, 12), 3, d1="0.100", peaks={1: peak_kwh})
    MeterMonthPeak.objects.create(
        month=date(2026, 1, 1), value=D("4.120"), occurred_at=utc(2026, 1, 10, 12, 20)
    )
    DsmrReading.objects.filter(timestamp__gte=utc(2026, 3, 1)).update(
        maximum_demand_month=D("6.500"), maximum_demand_month_at=utc(2026, 3, 10, 12, 22)
    )


def test_peaks_average_and_cost_per_month_by_the_engines_rules():
    _belgian_history()
    overview = capacity_overview(now=NOW)
    rows = {row.month: row for row in overview.months}
    assert list(rows) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert [(r.meter_peak, r.our_peak, r.billed_peak) for r in rows.values()] == [
        (None, D("3.000"), D("3.000")),
        (D("4.120"), D("4.000"), D("4.120")),
        (None, D("2.000"), D("2.000")),
        (D("6.500"), D("6.000"), D("6.500")),
    ]
    assert [r.peaks_differ for r in rows.values()] == [False, True, False, True]
    december = rows[date(2025, 12, 1)]
    assert (december.cost, december.average) == (None, None)  # no contract with a capacity price yet
    # December's peak counts in the rolling window of the months after it; February is lifted to 2.5 kW
    windows = [[D(3), D("4.120")], [D(3), D("4.120"), D("2.5")], [D(3), D("4.120"), D("2.5"), D("6.500")]]
    averages = [sum(w) / len(w) for w in windows]
    billed = [rows[date(2026, m, 1)] for m in (1, 2, 3)]
    assert [r.average for r in billed] == [a.quantize(D("0.001")) for a in averages]
    assert [r.months_in_average for r in billed] == [2, 3, 4]
    assert [r.cost for r in billed] == [R(a * PRICE / 12) for a in averages]
    assert overview.has_contract
    # the same months and euros as the engine's month periods (which price every quarter)
    engine = costs_for_range(first=date(2026, 1, 1), last=date(2026, 3, 31), period="month", now=NOW)
    assert [(m.capacity_peak, m.capacity_cost) for m in engine] == [(r.billed_peak, r.cost) for r in billed]


def test_the_page_shows_peaks_average_and_euros(client):
    _belgian_history()
    with time_machine.travel(NOW, tick=False):
        page = client.get("/capacity/").content.decode()
    march = page[page.index('id="capacity-2026-03"') :].split("</tr>")[0]
    average = ((D(3) + D("4.120") + D("2.5") + D("6.500")) / 4).quantize(D("0.001"))
    assert "6.500" in march and "6.000" in march and f"{average} " in march
    assert (
        f"€\N{NO-BREAK SPACE}{R(average * PRICE / 12)}" in march  # units.money: one format on every page
        and 'class="differ"' in page[page.index('id="capacity-2026-03"') - 40 :]
    )
    assert '<th scope="row">March 2026</th>' in march  # units.month
    december = page[page.index('id="capacity-2025-12"') :].split("</tr>")[0]
    assert "3.000" in december and "€" not in december
    assert 'id="capacity-no-contract"' not in page
    assert '<a href="/contracts/" aria-current="page">' in page  # it belongs with the contracts
    assert 'id="capacity-link"' in client.get("/contracts/").content.decode()


def test_without_peaks_or_without_a_capacity_price(client):
    assert 'id="capacity-empty"' in client.get("/capacity/").content.decode()
    quarter_readings(utc(2026, 3, 10, 12), 3, d1="0.100", peaks={1: "1.000"})
    with time_machine.travel(NOW, tick=False):
        page = client.get("/capacity/").content.decode()
    assert 'id="capacity-no-contract"' in page and "4.000" in page


def test_the_compare_page_links_to_the_capacity_page(client):
    _belgian_history()
    query = {"start": "2026-01-01", "end": "2026-03-31"}
    with time_machine.travel(NOW, tick=False):
        page = client.get("/compare/", query).content.decode()
    assert 'id="capacity-table"' in page and 'href="/capacity/"' in page


@pytest.mark.django_db(transaction=True)
def test_the_capacity_page_fits_a_phone(phone_page):
    _belgian_history()
    phone_page.open("/capacity/")
    assert phone_page.page.locator("#capacity-months").is_visible()
    assert phone_page.fits_width()
    phone_page.screenshot("capacity-phone")
    assert phone_page.errors == []
