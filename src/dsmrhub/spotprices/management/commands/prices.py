"""``dsmrhub prices import|fetch|schedule|status``: the CLI over ``dsmrhub.spotprices`` (thin)."""

from __future__ import annotations

import signal
import threading
from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from dsmrhub.spotprices.fetch import (
    PriceFetchError,
    price_fetch_settings_update,
    prices_fetch,
    prices_schedule_step,
    schedule_backoff,
)
from dsmrhub.spotprices.formats import prices_parse_file
from dsmrhub.spotprices.providers import PROVIDERS
from dsmrhub.spotprices.selectors import spot_price_status
from dsmrhub.spotprices.services import PriceInputError, market_prices_store

IMPORT_SOURCE = "import"
MAX_FILE = 64 * 1024 * 1024  # bytes: years of quarter-hour prices are a few MB


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "Market (day-ahead) prices: import a CSV or ENTSO-E XML file, fetch from the configured provider."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        imp = actions.add_parser("import", help="import prices from a CSV or ENTSO-E day-ahead XML file")
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--source",
            default=IMPORT_SOURCE,
            help=f"name of this series (default {IMPORT_SOURCE!r}); it replaces its own prices",
        )
        imp.add_argument(
            "--replace", action="store_true", help="also replace overlapping prices of other sources"
        )
        fetch = actions.add_parser("fetch", help="fetch day-ahead prices from the configured provider")
        fetch.add_argument(
            "--day",
            action="append",
            type=_date,
            help="local day to fetch (repeatable; default: today and tomorrow)",
        )
        fetch.add_argument("--url", help="the provider's base URL instead of its public one (a mirror)")
        fetch.add_argument(
            "--replace", action="store_true", help="also replace overlapping prices of other sources"
        )
        config = actions.add_parser("settings", help="show or change the price fetch settings")
        switch = config.add_mutually_exclusive_group()
        switch.add_argument("--enable", dest="enabled", action="store_true", default=None)
        switch.add_argument("--disable", dest="enabled", action="store_false")
        config.add_argument("--provider", choices=sorted(PROVIDERS))
        config.add_argument("--token", help="ENTSO-E security token")
        config.add_argument("--zone", help="ENTSO-E bidding zone (EIC code), e.g. 10YNL----------L")
        actions.add_parser("schedule", help="fetch day-ahead prices every day while fetching is enabled")
        actions.add_parser("status", help="show whether prices for today and tomorrow are complete")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _import(self, *, file: Path, source: str, replace: bool, **options) -> None:
        try:
            with file.open("rb") as handle:
                content = handle.read(MAX_FILE + 1)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror or error}") from None
        if len(content) > MAX_FILE:
            raise CommandError(f"{file}: larger than {MAX_FILE} bytes")
        try:
            kind, periods = prices_parse_file(content)
            stored = market_prices_store(periods=periods, source=source, replace=replace)
        except PriceInputError as error:
            raise CommandError(f"{file}: {error}; nothing stored") from None
        self.stdout.write(f"imported {kind} {file.name} as {source!r}: {stored.summary()}")

    def _fetch(self, *, day: list[date] | None, url: str | None, replace: bool, **options) -> None:
        if day:
            days = day
        else:
            today = timezone.localdate()
            days = [today, today + timedelta(days=1)]
        try:
            result = prices_fetch(days=days, base_url=url, replace=replace)
        except PriceFetchError as error:
            raise CommandError(f"{error}") from None
        self.stdout.write(f"fetched {', '.join(map(str, result.days))}: {result.stored.summary()}")
        for later in result.not_published:
            self.stdout.write(f"no prices for {later} yet (day-ahead prices appear after about 13:00 CET)")

    def _schedule(self, **options) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        backoff = schedule_backoff()
        self.stdout.write("market prices: fetching day-ahead prices while enabled (price fetch settings)")
        while not stop.is_set():
            close_old_connections()  # a connection idle for hours may have been dropped
            pause = prices_schedule_step(now=timezone.now(), backoff=backoff)
            stop.wait(pause)

    def _settings(
        self, *, enabled: bool | None, provider: str | None, token: str | None, zone: str | None, **options
    ):
        try:
            config = price_fetch_settings_update(enabled=enabled, provider=provider, token=token, zone=zone)
        except PriceInputError as error:
            raise CommandError(str(error)) from None
        token_state = "set" if config.token else "not set"
        self.stdout.write(
            f"fetching {'enabled' if config.enabled else 'disabled'}: provider {config.provider}, "
            f"zone {config.zone}, token {token_state}"
        )

    def _status(self, **options) -> None:
        status = spot_price_status(now=timezone.now())
        state = "enabled" if status.enabled else "disabled"
        self.stdout.write(f"fetching {state} (provider {status.provider})")
        for day, missing in (
            (status.today, status.today_missing),
            (status.tomorrow, status.tomorrow_missing),
        ):
            self.stdout.write(f"{day}: {'missing' if missing else 'complete'}")
        if status.last_error:
            self.stdout.write(f"last fetch failed: {status.last_error}")
