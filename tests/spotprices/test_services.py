"""market_prices_store: the rules every import and fetch goes through, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.spotprices.models import MarketPrice
from dsmrhub.spotprices.services import PRICE_LIMIT, PriceInputError, PricePeriod, market_prices_store

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
Q = timedelta(minutes=15)
D = Decimal


def quarters(prices: list[str], *, start: datetime = T0, commodity: str = "electricity_delivered"):
    return [
        PricePeriod(commodity, start + n * Q, start + (n + 1) * Q, D(price)) for n, price in enumerate(prices)
    ]


def stored() -> list[tuple]:
    return list(
        MarketPrice.objects.order_by("commodity", "start").values_list(
            "commodity", "start", "end", "price", "source"
        )
    )


def test_store_then_same_source_replaces_and_reimport_is_idempotent():
    first = market_prices_store(periods=quarters(["0.1", "-0.02", "0.3"]), source="import")
    assert (first.added, first.replaced, first.unchanged, first.removed) == (3, 0, 0, 0)
    assert (first.first_start, first.last_end) == (T0, T0 + 3 * Q)
    rows = stored()
    assert [row[3] for row in rows] == [D("0.1"), D("-0.02"), D("0.3")]

    identity = list(MarketPrice.objects.order_by("start").values_list("id", "fetched_at"))
    later = datetime(2026, 10, 26, tzinfo=UTC)
    again = market_prices_store(periods=quarters(["0.1", "-0.02", "0.3"]), source="import", now=later)
    assert (again.added, again.replaced, again.unchanged, again.removed) == (0, 0, 3, 0)
    assert stored() == rows
    # repeated prices are left as they were: same rows, same fetch time (nothing for the cost engine to redo)
    assert list(MarketPrice.objects.order_by("start").values_list("id", "fetched_at")) == identity

    # the same source with a corrected second price and one hour period over quarters 3..6
    corrected = quarters(["0.1", "-0.025"]) + [
        PricePeriod("electricity_delivered", T0 + 2 * Q, T0 + 6 * Q, D("0.4"))
    ]
    result = market_prices_store(periods=corrected, source="import")
    # quarter 3 (0.3) is covered by the hour [2Q, 6Q) which starts at the same moment but ends later: replaced
    assert (result.added, result.replaced, result.unchanged, result.removed) == (1, 1, 1, 1)
    assert [(row[1], row[2], row[3]) for row in stored()] == [
        (T0, T0 + Q, D("0.1")),
        (T0 + Q, T0 + 2 * Q, D("-0.025")),
        (T0 + 2 * Q, T0 + 6 * Q, D("0.4")),
    ]


def test_another_sources_overlap_is_an_error_with_nothing_stored_unless_replace():
    market_prices_store(periods=quarters(["0.1", "0.2"]), source="entsoe")
    before = stored()
    batch = (
        quarters(["0.5"], start=T0 - Q) + quarters(["0.6"], start=T0 + Q) + quarters(["0.7"], commodity="gas")
    )
    with pytest.raises(PriceInputError, match="already has a price from 'entsoe'"):
        market_prices_store(periods=batch, source="import")
    assert stored() == before  # not even the gas price or the quarter before

    result = market_prices_store(periods=batch, source="import", replace=True)
    assert (result.added, result.replaced, result.unchanged) == (2, 1, 0)
    assert [(row[0], row[1], row[3], row[4]) for row in stored()] == [
        ("electricity_delivered", T0 - Q, D("0.5"), "import"),
        ("electricity_delivered", T0, D("0.1"), "entsoe"),  # not covered by the batch: kept
        ("electricity_delivered", T0 + Q, D("0.6"), "import"),
        ("gas", T0, D("0.7"), "import"),
    ]


def test_overlap_within_a_batch_is_an_error():
    hour = PricePeriod("electricity_delivered", T0, T0 + 4 * Q, D("0.1"))
    with pytest.raises(PriceInputError, match="overlaps"):
        market_prices_store(periods=[hour, *quarters(["0.2"], start=T0 + 3 * Q)], source="import")
    assert stored() == []
    # the same times for different commodities do not overlap
    market_prices_store(periods=[hour, PricePeriod("gas", T0, T0 + 4 * Q, D("0.9"))], source="import")
    assert len(stored()) == 2


@pytest.mark.parametrize(
    ("period", "says"),
    [
        (PricePeriod("electricity_delivered", T0, T0 + Q, PRICE_LIMIT + D("0.000001")), "beyond ±10"),
        (PricePeriod("gas", T0, T0 + Q, -PRICE_LIMIT - 1), "beyond ±10"),
        (PricePeriod("electricity_delivered", T0, T0, D("0.1")), "not after start"),
        (PricePeriod("electricity_delivered", T0.replace(tzinfo=None), T0 + Q, D("0.1")), "UTC offset"),
        (PricePeriod("power", T0, T0 + Q, D("0.1")), "unknown commodity"),
        (PricePeriod("gas", T0, T0 + Q, D("NaN")), "not a number"),
    ],
)
def test_bad_periods_store_nothing(period, says):
    good = quarters(["0.1"], start=T0 - Q)
    with pytest.raises(PriceInputError, match=says):
        market_prices_store(periods=[*good, period], source="import")
    assert stored() == []


def test_limits_and_rounding():
    limit = PRICE_LIMIT
    # exactly ±10 is allowed; more places than the column keeps are rounded half up (away from zero)
    periods = quarters([str(limit), str(-limit), "0.0000005", "-0.0000005", "0.1234564"])
    market_prices_store(periods=periods, source="import")
    assert [row[3] for row in stored()] == [limit, -limit, D("0.000001"), D("-0.000001"), D("0.123456")]
