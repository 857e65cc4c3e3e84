"""Fetching day-ahead prices from the configured provider, and the schedule ``dsmrhub run`` keeps.

A fetch asks every request of the provider first and stores only when all answers are good and complete
(one ``market_prices_store`` transaction): an unreachable provider, a malformed answer or a day with only
some of its periods stores nothing and is retried later with the project's backoff.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from dsmrhub.backoff import Backoff
from dsmrhub.spotprices.models import Commodity, PriceFetchSettings
from dsmrhub.spotprices.providers import PROVIDERS, ProviderError, http_get
from dsmrhub.spotprices.selectors import PUBLISHED_AFTER, day_bounds, prices_missing_for
from dsmrhub.spotprices.services import PriceInputError, PricePeriod, PricesStored, market_prices_store

logger = logging.getLogger(__name__)

RETRY_FIRST = 60.0  # seconds: the first pause after a failed fetch, doubling…
RETRY_MAX = 1800.0  # …up to half an hour
IDLE = 600.0  # seconds between looks when nothing is due (or fetching is off)
URL_VARIABLE = "DSMRHUB_PRICES_URL"  # a provider's base URL instead of its public one (a mirror, tests)
COMPLETE_CHECKED = (Commodity.ELECTRICITY_DELIVERED,)  # gas days run 06:00–06:00: stored as answered


class PriceFetchError(Exception):
    """A fetch that stored nothing, with a one-line reason."""


@dataclass(frozen=True, slots=True)
class PricesFetched:
    stored: PricesStored
    days: tuple[date, ...]
    not_published: tuple[date, ...] = field(default=())  # future days the provider has no prices for yet


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _coverage(periods: list[PricePeriod], *, day: date) -> timedelta:
    start, end = day_bounds(day=day)
    covered = timedelta()
    for period in periods:
        if period.commodity in COMPLETE_CHECKED:
            covered += max(timedelta(), min(period.end, end) - max(period.start, start))
    return covered


def prices_fetch(
    *, days: list[date], now: datetime | None = None, base_url: str | None = None, replace: bool = False
) -> PricesFetched:
    """Fetch the configured provider's prices for the local ``days`` and store them (all or nothing).

    A day in the future for which the provider answers no prices at all is "not published yet" (not an
    error); a day with some but not all of its electricity periods is an error. The outcome is recorded
    on ``PriceFetchSettings`` for the status page. Raises ``PriceFetchError``.
    """
    now = now or timezone.now()
    config = PriceFetchSettings.load()
    PriceFetchSettings.row().update(last_attempt_at=now)
    try:
        result = _fetch(config=config, days=sorted(set(days)), now=now, base_url=base_url, replace=replace)
    except PriceFetchError as error:
        PriceFetchSettings.row().update(last_error=str(error)[:500])
        raise
    PriceFetchSettings.row().update(last_success_at=now, last_error="")
    return result


def _fetch(
    *, config: PriceFetchSettings, days: list[date], now: datetime, base_url: str | None, replace: bool
) -> PricesFetched:
    provider = PROVIDERS.get(config.provider)
    if provider is None:
        raise PriceFetchError(f"unknown price provider {config.provider!r}")
    if provider.needs_token and not config.token:
        raise PriceFetchError(
            f"{provider.key} needs a security token (dsmrhub prices settings --token, or the admin)"
        )
    if not days:
        raise PriceFetchError("no days to fetch")
    start = day_bounds(day=days[0])[0]
    end = day_bounds(day=days[-1])[1]
    base = base_url or os.environ.get(URL_VARIABLE) or provider.base_url
    periods: list[PricePeriod] = []
    try:
        for request in provider.requests(base, config.token, config.zone, start, end):
            answer = provider.parse(http_get(request.url), request.commodity)
            periods += [period for period in answer if start <= period.start and period.end <= end]
    except (ProviderError, PriceInputError) as error:
        raise PriceFetchError(f"{provider.key}: {error}") from None
    today = now.astimezone(_zone()).date()
    wanted, not_published = [], []
    for day in days:
        day_start, day_end = day_bounds(day=day)
        covered = _coverage(periods, day=day)
        if covered == day_end - day_start:
            wanted.append(day)
        elif not covered and day > today:
            not_published.append(day)
        else:
            raise PriceFetchError(
                f"{provider.key}: prices for {day} cover {covered} of {day_end - day_start} "
                "(a partial answer); nothing stored"
            )
    if not wanted:
        raise PriceFetchError(f"{provider.key}: no prices for {', '.join(map(str, days))} yet")
    by_day = defaultdict(list)
    for period in periods:
        by_day[period.start.astimezone(_zone()).date()].append(period)
    keep = [period for day in wanted for period in by_day[day]]
    try:
        stored = market_prices_store(periods=keep, source=provider.key, replace=replace, now=now)
    except PriceInputError as error:
        raise PriceFetchError(f"{provider.key}: {error}") from None
    return PricesFetched(stored=stored, days=tuple(wanted), not_published=tuple(not_published))


def prices_fetch_due(*, now: datetime) -> list[date]:
    """The local days the schedule should fetch now: today while any of its prices the provider gives
    is missing (gas too: a gas day starts at 06:00, so its hours arrive over two fetches), and tomorrow
    once prices are published (after ``PUBLISHED_AFTER``) while its electricity prices are missing."""
    local = now.astimezone(_zone())
    today = local.date()
    provider = PROVIDERS.get(PriceFetchSettings.peek().provider)
    commodities = provider.commodities if provider else COMPLETE_CHECKED
    days = []
    if any(prices_missing_for(day=today, commodity=commodity) for commodity in commodities):
        days.append(today)
    tomorrow = today + timedelta(days=1)
    if local.time() >= PUBLISHED_AFTER and prices_missing_for(day=tomorrow):
        days.append(tomorrow)
    return days


def prices_schedule_step(*, now: datetime, backoff: Backoff) -> float:
    """One turn of the schedule: fetch what is due; the seconds to wait before the next turn."""
    config = PriceFetchSettings.peek()
    if not config.enabled:
        backoff.reset()
        return IDLE
    due = prices_fetch_due(now=now)
    if not due:
        backoff.reset()
        return IDLE
    try:
        result = prices_fetch(days=due, now=now)
    except PriceFetchError as error:
        pause = backoff.next()
        logger.warning("market prices: %s; next try in %.0f s", error, pause)
        return pause
    logger.info("market prices for %s: %s", ", ".join(map(str, result.days)), result.stored.summary())
    if result.not_published:
        return backoff.next()  # tomorrow's prices are late: ask again soon, then less often
    backoff.reset()
    return IDLE


def schedule_backoff() -> Backoff:
    return Backoff(initial=RETRY_FIRST, cap=RETRY_MAX)


ZONE_LENGTH = 16  # an EIC code


def price_fetch_settings_update(
    *,
    enabled: bool | None = None,
    provider: str | None = None,
    token: str | None = None,
    zone: str | None = None,
) -> PriceFetchSettings:
    """Change the given settings (None: keep); the admin form applies the same checks.
    Raises ``PriceInputError`` for an unknown provider, a bad zone, or ENTSO-E enabled without a token."""
    config = PriceFetchSettings.load()
    changes = {
        name: value
        for name, value in (("enabled", enabled), ("provider", provider), ("token", token), ("zone", zone))
        if value is not None
    }
    merged = {**{name: getattr(config, name) for name in ("enabled", "provider", "token", "zone")}, **changes}
    problems = price_fetch_settings_problems(**merged)
    if problems:
        raise PriceInputError("; ".join(reason for _, reason in problems))
    return PriceFetchSettings.store(**changes) if changes else config


def price_fetch_settings_problems(
    *, enabled: bool, provider: str, token: str, zone: str
) -> list[tuple[str, str]]:
    """What is wrong with these settings, as (field, reason) pairs; empty when they are fine."""
    chosen = PROVIDERS.get(provider)
    if chosen is None:
        return [("provider", f"unknown provider {provider!r} (one of {', '.join(sorted(PROVIDERS))})")]
    problems = []
    if enabled and chosen.needs_token and not token:
        problems.append(("token", f"{chosen.key} needs a security token"))
    if chosen.needs_token and len(zone.strip()) != ZONE_LENGTH:
        problems.append(("zone", "a bidding zone is a 16-character EIC code, e.g. 10YNL----------L"))
    return problems
