"""Reading market prices: the rows a dynamic contract prices a period with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from dsmrhub.spotprices.models import Commodity, MarketPrice, PriceFetchSettings

PUBLISHED_AFTER = time(13, 15)  # local time: day-ahead prices appear ~12:45–13:00 CET; fetch after that


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


def day_bounds(*, day: date) -> tuple[datetime, datetime]:
    """Local ``day`` (settings.TIME_ZONE) as aware UTC [start, end): 23 or 25 hours on DST days.
    The same cut as ``processing.periods.day_start``/``day_end``, which sit above this app."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def prices_missing_for(
    *, day: date, commodity: str = Commodity.ELECTRICITY_DELIVERED
) -> list[tuple[datetime, datetime]]:
    """The parts of local ``day`` without a stored ``commodity`` price, as [start, end) ranges
    (empty: complete)."""
    start, end = day_bounds(day=day)
    gaps = []
    cursor = start
    for row in market_prices(commodity=commodity, start=start, end=end):
        if row.start > cursor:
            gaps.append((cursor, row.start))
        cursor = max(cursor, row.end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


@dataclass(frozen=True, slots=True)
class SpotPriceStatus:
    enabled: bool
    provider: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    today: date
    today_missing: bool  # some of today's electricity prices are missing
    tomorrow: date
    tomorrow_due: bool  # tomorrow's prices are normally published by now
    tomorrow_missing: bool


def spot_price_status(*, now: datetime) -> SpotPriceStatus:
    """Market prices for the status page: today's and the coming day's electricity prices complete or not."""
    config = PriceFetchSettings.peek()
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    today = local.date()
    tomorrow = today + timedelta(days=1)
    return SpotPriceStatus(
        enabled=config.enabled,
        provider=config.provider,
        last_attempt_at=config.last_attempt_at,
        last_success_at=config.last_success_at,
        last_error=config.last_error,
        today=today,
        today_missing=bool(prices_missing_for(day=today)),
        tomorrow=tomorrow,
        tomorrow_due=local.time() >= PUBLISHED_AFTER,
        tomorrow_missing=bool(prices_missing_for(day=tomorrow)),
    )


def spot_price_problems(*, now: datetime) -> list[dict[str, Any]]:
    """Status-page problems: market prices missing for today or (once published) the coming day, while
    fetching is on or a dynamic series is in use (prices stored for today or earlier)."""
    status = spot_price_status(now=now)
    in_use = status.enabled or MarketPrice.objects.filter(commodity=Commodity.ELECTRICITY_DELIVERED).exists()
    if not in_use:
        return []
    missing = [day for day, gap in ((status.today, status.today_missing),) if gap]
    if status.tomorrow_due and status.tomorrow_missing:
        missing.append(status.tomorrow)
    if not missing:
        return []
    days = ", ".join(day.isoformat() for day in missing)
    if status.last_error:
        text = _("Market prices are missing for %(days)s; the last fetch failed: %(error)s") % {
            "days": days,
            "error": status.last_error,
        }
    elif status.enabled:
        text = _("Market prices are missing for %(days)s; they will be fetched again soon.") % {"days": days}
    else:
        text = _(
            "Market prices are missing for %(days)s: import them (dsmrhub prices import) or enable fetching."
        ) % {"days": days}
    return [{"problem": text, "since": status.last_attempt_at}]
