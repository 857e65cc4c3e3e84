"""market_prices: the stored rows overlapping a range, in time order; gaps stay gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.spotprices.models import MarketPrice
from dsmrhub.spotprices.selectors import MarketPriceRow, market_prices

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def store(commodity: str, start: datetime, price: str, *, length: timedelta = HOUR) -> None:
    MarketPrice.objects.create(
        commodity=commodity,
        start=start,
        end=start + length,
        price=Decimal(price),
        source="test",
        fetched_at=T0,
    )


def test_rows_overlapping_the_range_in_order_with_gaps_left_out():
    store("electricity_delivered", T0 + 2 * HOUR, "-0.012345")
    store("electricity_delivered", T0, "0.101000")
    store("electricity_delivered", T0 + 3 * HOUR, "0.2")  # hour 1 has no price: a gap
    store("electricity_returned", T0, "0.05")
    store("gas", T0, "0.9")

    rows = market_prices(
        commodity="electricity_delivered", start=T0 + timedelta(minutes=30), end=T0 + 3 * HOUR
    )

    # [00:30, 03:00) overlaps hour 0 and hour 2; hour 3 starts at the range's (exclusive) end
    assert rows == [
        MarketPriceRow("electricity_delivered", T0, T0 + HOUR, Decimal("0.101"), "test"),
        MarketPriceRow("electricity_delivered", T0 + 2 * HOUR, T0 + 3 * HOUR, Decimal("-0.012345"), "test"),
    ]
    assert all(isinstance(row.price, Decimal) and row.start.tzinfo is not None for row in rows)


def test_unknown_commodity_is_an_error():
    with pytest.raises(ValueError, match="unknown commodity 'power'"):
        market_prices(commodity="power", start=T0, end=T0 + HOUR)
