"""Reading market prices: the rows a dynamic contract prices a period with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dsmrhub.spotprices.models import Commodity, MarketPrice


@dataclass(frozen=True, slots=True)
class MarketPriceRow:
    """One stored price: ``price`` (€ per kWh or m³, before the contract's formula) holds in [start, end)."""

    commodity: str
    start: datetime
    end: datetime
    price: Decimal
    source: str


def market_prices(*, commodity: str, start: datetime, end: datetime) -> list[MarketPriceRow]:
    """The stored prices of ``commodity`` whose period overlaps [start, end), in time order.

    Periods without a price are simply absent (a gap): callers must treat them as missing, never as zero.
    ``start``/``end`` must be aware datetimes.
    """
    if commodity not in Commodity.values:
        raise ValueError(f"unknown commodity {commodity!r}; expected one of {', '.join(Commodity.values)}")
    rows = (
        MarketPrice.objects.filter(commodity=commodity, start__lt=end, end__gt=start)
        .order_by("start")
        .values_list("commodity", "start", "end", "price", "source")
    )
    return [MarketPriceRow(*row) for row in rows]
