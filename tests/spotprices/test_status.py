"""Missing prices: prices_missing_for on 23/24/25-hour days, the status selector and the status page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dsmrhub.spotprices.models import PriceFetchSettings
from dsmrhub.spotprices.selectors import (
    day_bounds,
    prices_missing_for,
    spot_price_problems,
    spot_price_status,
)
from dsmrhub.spotprices.services import PricePeriod, market_prices_store

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def hours(
    day: date, *, skip: tuple[int, ...] = (), commodity: str = "electricity_delivered"
) -> list[PricePeriod]:
    start, end = day_bounds(day=day)
    count = int((end - start) / H)
    return [
        PricePeriod(commodity, start + n * H, start + (n + 1) * H, Decimal("0.1"))
        for n in range(count)
        if n not in skip
    ]


@pytest.mark.parametrize(
    ("day", "utc_start", "length"),
    [
        (date(2026, 3, 29), datetime(2026, 3, 28, 23, tzinfo=UTC), 23),  # CET → CEST
        (date(2026, 10, 25), datetime(2026, 10, 24, 22, tzinfo=UTC), 25),  # CEST → CET
        (date(2026, 12, 4), datetime(2026, 12, 3, 23, tzinfo=UTC), 24),
    ],
)
def test_day_bounds_and_gaps(day, utc_start, length):
    assert day_bounds(day=day) == (utc_start, utc_start + length * H)
    assert prices_missing_for(day=day) == [(utc_start, utc_start + length * H)]
    market_prices_store(periods=hours(day, skip=(0, 5, 6, length - 1)), source="test")
    assert prices_missing_for(day=day) == [
        (utc_start, utc_start + H),
        (utc_start + 5 * H, utc_start + 7 * H),
        (utc_start + (length - 1) * H, utc_start + length * H),
    ]
    assert prices_missing_for(day=day, commodity="gas") == [(utc_start, utc_start + length * H)]
    market_prices_store(periods=hours(day), source="test")
    assert prices_missing_for(day=day) == []


def test_status_and_problems():
    now = datetime(2026, 12, 4, 11, tzinfo=UTC)  # 12:00 local: tomorrow's prices are not due yet
    assert spot_price_problems(now=now) == []  # not in use: no prices, fetching off
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    (problem,) = spot_price_problems(now=now)
    assert problem["problem"] == "Market prices are missing for 2026-12-04; they will be fetched again soon."

    market_prices_store(periods=hours(date(2026, 12, 4)), source="energyzero")
    status = spot_price_status(now=now)
    assert (status.today, status.today_missing, status.tomorrow_due, status.tomorrow_missing) == (
        date(2026, 12, 4), False, False, True
    )  # fmt: skip
    assert spot_price_problems(now=now) == []

    later = datetime(2026, 12, 4, 12, 15, tzinfo=UTC)  # 13:15 local: tomorrow's prices are due
    PriceFetchSettings.row().update(
        last_error="energyzero: cannot reach https://api.energyzero.nl/v1/energyprices"
    )
    (problem,) = spot_price_problems(now=later)
    assert problem["problem"] == (
        "Market prices are missing for 2026-12-05; the last fetch failed: "
        "energyzero: cannot reach https://api.energyzero.nl/v1/energyprices"
    )
    # imported prices without fetching: the hint names the import command
    PriceFetchSettings.store(enabled=False, last_error="")
    (problem,) = spot_price_problems(now=later)
    assert "dsmrhub prices import" in problem["problem"]


def test_status_page_shows_missing_prices(client):
    PriceFetchSettings.store(enabled=True, provider="energyzero", last_error="energyzero: answered HTTP 503")
    market_prices_store(periods=hours(date(2026, 12, 4)), source="energyzero")
    with time_machine.travel(datetime(2026, 12, 4, 15, tzinfo=UTC), tick=False):
        html = client.get("/status/").content.decode()
    match = re.search(r'id="problems"[^>]*>(.*?)</(div|article)>', html, re.S)
    assert match
    text = " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())
    assert (
        "Market prices are missing for 2026-12-05; the last fetch failed: energyzero: answered HTTP 503"
        in text
    )
