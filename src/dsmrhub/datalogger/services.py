"""The datalogger: a reader thread turns the source into telegrams on an on-disk buffer; the main
thread stores them through the ingest service, in order, whenever the database accepts writes.

Reading never waits for the database (a serial port's kernel buffer holds only a few seconds), and
a telegram is removed from the buffer only after its transaction committed. A restart, a locked or
unreachable database, or ``kill -9`` therefore loses nothing that was read; re-storing the last
telegram after a crash is harmless because a reading is unique by its meter timestamp.

When the buffer itself cannot be written (held lock, I/O error, full disk), reading goes on and the
telegrams wait in memory (bounded) until it can; the problem shows in the state. If the reader thread
fails anyway, ``run()`` raises ``ReaderFailed`` so the process ends and its supervisor restarts it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    close_old_connections,
    connections,
    transaction,
)
from django.utils import timezone

from dsmrhub.backoff import RETRY_MAX, Backoff
from dsmrhub.datalogger.demo import DemoMeter
from dsmrhub.datalogger.models import DataloggerSettings, DataloggerState
from dsmrhub.datalogger.pump import LiveState, Pump, PumpConfig
from dsmrhub.datalogger.sources import DemoSource, source_describe, source_from_url
from dsmrhub.datalogger.spool import DEFAULT_MAX_ITEMS, Spool, SpoolError, SpoolItem, SpoolWriter
from dsmrhub.datalogger.stream import Received, StreamSettings
from dsmrhub.readings.bulk import readings_ingest_bulk
from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.services import (
    ReadingRejected,
    meter_statistics_count_rejection,
    reading_ingest_telegram,
)
from dsmrhub.telegram import Discarded

logger = logging.getLogger(__name__)

SOURCE_ENV = "DSMRHUB_SOURCE"  # the source when the command line names none (Docker, systemd)
NO_SOURCE = (
    "no meter source configured: set one with `dsmrhub datalogger-settings --source serial:///dev/ttyUSB0` "
    "(or socket://HOST:PORT), on the settings page, or with the DSMRHUB_SOURCE environment variable "
    "(`--source demo`: the demo meter)"
)
SETTINGS_POLL = 5.0  # seconds between reading the settings again
BATCH = 1000  # at most this many telegrams stored per transaction when catching up
STATE_EVERY = 2.0  # seconds between state heartbeats
STOP_GRACE = 5.0  # seconds to finish storing what was read after a stop request
SET_ASIDE = "datalogger-set-aside.txt"  # telegrams that could not be stored, beside the buffer


# Settings -----------------------------------------------------------------------------------------


def datalogger_settings_get() -> DataloggerSettings:
    return DataloggerSettings.load()


def datalogger_settings_update(
    *,
    source: str | None = None,
    decryption_key: str | None = None,
    authentication_key: str | None = None,
    min_interval: float | None = None,
) -> DataloggerSettings:
    """Change the given settings (``None``: unchanged); raises ``ValidationError`` for bad values."""
    current = datalogger_settings_get()
    changes = {
        "source": source.strip() if source is not None else None,
        "decryption_key": decryption_key.strip().lower() if decryption_key is not None else None,
        "authentication_key": authentication_key.strip().lower() if authentication_key is not None else None,
        "min_interval": min_interval,
    }
    for name, value in changes.items():
        if value is not None:
            setattr(current, name, value)
    current.full_clean()
    current.save()
    return current


@dataclass(frozen=True, slots=True)
class ConfigOverrides:
    """Settings given on the command line; they win over the database's."""

    source: str | None = None
    decryption_key: str | None = None
    min_interval: float | None = None


class NoSourceConfigured(ValueError):
    """Neither the command line nor the settings name a source: there is nothing to read (never demo data)."""


def datalogger_config_resolve(*, overrides: ConfigOverrides) -> PumpConfig:
    stored = datalogger_settings_get()
    source_url = overrides.source or stored.source
    if not source_url:
        raise NoSourceConfigured(NO_SOURCE)
    key = stored.decryption_key if overrides.decryption_key is None else overrides.decryption_key
    interval = stored.min_interval if overrides.min_interval is None else overrides.min_interval
    return PumpConfig(
        source=source_from_url(source_url),
        stream=StreamSettings(
            decryption_key=key, authentication_key=stored.authentication_key, min_interval=interval
        ),
    )


def datalogger_wait_for_source(*, overrides: ConfigOverrides, stop: threading.Event, poll: float) -> bool:
    """Wait until a source is configured (True) or ``stop`` (False). Meanwhile say how to set one: once in
    the log, and on the status page through the state's heartbeat and error."""
    logged = False
    while not stop.is_set():
        try:
            if overrides.source or datalogger_settings_get().source:
                return True
            now = timezone.now()
            DataloggerState.store(
                source="", connected=False, updated_at=now, last_error=NO_SOURCE, last_error_at=now
            )
        except DatabaseError:
            connections.close_all()
        if not logged:
            logger.warning(NO_SOURCE)
            logged = True
        stop.wait(poll)
    return False


# Demo meter ---------------------------------------------------------------------------------------


def demo_backfill(*, meter: DemoMeter, since: datetime, until: datetime, step: timedelta) -> int:
    """Store demo readings from ``since`` to ``until`` so charts have a history at once."""
    stored = 0
    moment = since
    while moment < until:
        result = reading_ingest_telegram(telegram=meter.telegram_at(moment))
        stored += result.created
        moment += step
    return stored


def demo_meter_prepare(*, backfill: timedelta = timedelta(0)) -> DemoMeter:
    """A demo meter that carries on from the stored readings (it never runs backwards), after
    storing up to ``backfill`` of history."""
    meter = DemoMeter(tz=ZoneInfo(settings.TIME_ZONE))
    now = timezone.now().replace(microsecond=0)
    since = now - backfill
    latest = DsmrReading.objects.order_by("-timestamp").first()
    if latest is not None:
        meter.delivered = [latest.electricity_delivered_1, latest.electricity_delivered_2]
        meter.returned = [latest.electricity_returned_1, latest.electricity_returned_2]
        meter.gas = latest.extra_device_delivered or meter.gas
        meter.telegram_at(latest.timestamp)
        since = max(since, latest.timestamp + timedelta(minutes=1))
    if since < now:
        count = demo_backfill(meter=meter, since=since, until=now, step=timedelta(minutes=1))
        logger.info("demo meter: stored %d readings of history", count)
    return meter


# The loop -----------------------------------------------------------------------------------------


class ReaderFailed(Exception):
    """The reader thread died; the datalogger stops so that it is started again."""


@dataclass
class DataloggerSummary:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    buffered: int = 0


class Datalogger:
    """One running datalogger; ``run()`` returns when ``stop`` is set or a replay has been stored."""

    def __init__(
        self,
        *,
        overrides: ConfigOverrides,
        stop: threading.Event,
        spool_path: Path | None = None,
        buffer_max: int = DEFAULT_MAX_ITEMS,
        retry_max: float = RETRY_MAX,
        settings_poll: float = SETTINGS_POLL,
        backfill: timedelta = timedelta(0),
    ) -> None:
        self.overrides = overrides
        self.stop = stop
        self.spool = Spool(
            spool_path or settings.DATA_DIR / "datalogger-buffer.sqlite3", max_items=buffer_max
        )
        self.retry_max = retry_max
        self.settings_poll = settings_poll
        self.backfill = backfill
        self.live = LiveState()
        self.writer = SpoolWriter(self.spool, retry_max=retry_max, on_change=self.live.buffer_problem)
        self.summary = DataloggerSummary()
        self.config: PumpConfig | None = None
        self._demo_meter: DemoMeter | None = None
        self._reload_error = ""
        self._wake = threading.Event()
        self._database_error = ""
        self._buffer_read_error = ""
        self._handled_through: int | None = None  # stored, not yet removed from the buffer
        self._rejected_base = 0

    # main thread
    def run(self) -> DataloggerSummary:
        self.config = self._resolve_config()
        if isinstance(self.config.source, DemoSource):
            self._demo_meter = demo_meter_prepare(backfill=self.backfill)
        state = DataloggerState.row().first()
        self._rejected_base = state.rejected_telegrams if state else 0
        started_at = timezone.now()
        if len(self.spool):
            logger.info("%d telegrams in the buffer from before; storing them first", len(self.spool))
        pump = Pump(
            get_config=lambda: self.config,
            sink=self._keep,
            stop=self.stop,
            live=self.live,
            retry_max=self.retry_max,
            demo_meter=lambda: self._demo_meter,
            tick=self.writer.retry,
        )
        reader = pump.start()
        backoff = Backoff(cap=self.retry_max)
        next_state = next_settings = 0.0
        stop_deadline: float | None = None
        while True:
            if pump.failure is not None:
                self._stop_reading(reader, started_at)
                raise ReaderFailed(f"the reader thread failed: {pump.failure!r}")
            if self.stop.is_set() and stop_deadline is None:
                stop_deadline = time.monotonic() + STOP_GRACE
                reader.join(timeout=STOP_GRACE)
            if not reader.is_alive():  # the reader is done: its held telegrams are this thread's now
                self.writer.retry()
            items = self._next_items()
            if items and (stop_deadline is None or time.monotonic() < stop_deadline):
                if self._store(items):
                    backoff.reset()
                elif stop_deadline is None:
                    self.stop.wait(backoff.next())
                else:
                    break
            elif items is None and stop_deadline is None:
                self.stop.wait(backoff.next())
            elif stop_deadline is not None or (
                self.live.ended and not reader.is_alive() and not self.writer.held
            ):
                break
            else:
                close_old_connections()
                self._wake.wait(0.5)
                self._wake.clear()
            now = time.monotonic()
            if now >= next_state or self.live.dirty:
                self._save_state(started_at)
                next_state = now + STATE_EVERY
            if now >= next_settings:
                self._reload_settings()
                next_settings = now + self.settings_poll
        self._stop_reading(reader, started_at)
        return self.summary

    def _stop_reading(self, reader: threading.Thread, started_at: datetime) -> None:
        self.stop.set()
        reader.join(timeout=STOP_GRACE)
        if not reader.is_alive() and not self.writer.retry(now=True):
            logger.error("%d telegrams held in memory are lost: %s", self.writer.held, self.writer.problem)
        if self._handled_through is not None:
            with contextlib.suppress(SpoolError):  # else stored again next time: a duplicate, harmless
                self.spool.remove_through(self._handled_through)
        self.live.connected = False
        self._save_state(started_at, running=False)
        self.summary.received = self.live.received
        self.summary.buffered = len(self.spool)
        self.spool.close()

    def _resolve_config(self) -> PumpConfig:
        return datalogger_config_resolve(overrides=self.overrides)

    def _next_items(self) -> list[SpoolItem] | None:
        """The oldest items of the buffer not stored yet; None when the buffer cannot be read now."""
        try:
            if self._handled_through is not None:
                self.spool.remove_through(self._handled_through)
                self._handled_through = None
            items = self.spool.peek(BATCH)
        except SpoolError as error:
            if str(error) != self._buffer_read_error:
                logger.warning("%s; storing resumes when it can", error)
            self._buffer_read_error = str(error)
            self.live.error(str(error))
            return None
        if self._buffer_read_error:
            logger.info("buffer available again")
            self._buffer_read_error = ""
        return items

    def _store(self, items: list[SpoolItem]) -> bool:
        """Store ``items`` in one transaction; False (and nothing removed) when the database failed.

        A telegram that makes storing fail for a reason of its own (a value the database refuses, a bug)
        is set aside so that it cannot stop the datalogger: a batch that fails that way is stored again
        item by item to find it, and the culprit is appended to ``SET_ASIDE`` beside the buffer (raw, so
        ``dsmrhub import`` can load it after a fix), logged and counted as rejected.
        """
        try:
            return self._store_batch(items)
        except Exception as error:  # everything the database being away is not: see _store_batch
            if len(items) > 1:
                return all(self._store([item]) for item in items)
            self._set_aside(items[0], error)
            return True

    def _set_aside(self, item: SpoolItem, error: Exception) -> None:
        path = self.spool.path.with_name(SET_ASIDE)
        try:
            with open(path, "ab") as kept:
                kept.write(item.payload)
            where = f"kept in {path}"
        except OSError as write_error:
            where = f"not kept: {write_error}"
        logger.exception("telegram set aside, storing it failed (%s); %s", error, where)
        with contextlib.suppress(Exception):
            meter_statistics_count_rejection(reason=f"could not be stored: {error}")
        self._handled_through = item.id
        self.summary.rejected += 1

    def _store_batch(self, items: list[SpoolItem]) -> bool:
        stored = duplicates = rejected = 0
        telegrams = [(item.payload, item.received_at) for item in items if item.kind == "telegram"]
        try:
            with transaction.atomic():
                for item in items:
                    if item.kind == "discard":
                        meter_statistics_count_rejection(reason=item.payload.decode("utf-8", "replace"))
                        rejected += 1
                if len(telegrams) == 1:
                    try:
                        created = reading_ingest_telegram(
                            telegram=telegrams[0][0], received_at=telegrams[0][1]
                        ).created
                        stored, duplicates = int(created), int(not created)
                    except ReadingRejected:
                        rejected += 1
                elif telegrams:  # catching up: the same checks, stored set-based
                    result = readings_ingest_bulk(telegrams=telegrams, log_rejections=True)
                    stored, duplicates = result.stored, result.duplicates
                    rejected += sum(result.rejected.values())
        except (DataError, IntegrityError):
            raise  # the telegram's own fault: _store sets it aside
        except DatabaseError as error:
            message = f"database unavailable: {error}"
            if message != self._database_error:
                logger.warning("%s; %d telegrams kept in the buffer", message, len(self.spool))
            self._database_error = message
            self.live.error(message)
            connections.close_all()
            return False
        self._handled_through = items[-1].id  # removed before the next peek (retried if that fails)
        if self._database_error:
            logger.info("database available again; storing the buffer")
            self._database_error = ""
        self.summary.stored += stored
        self.summary.duplicates += duplicates
        self.summary.rejected += rejected
        return True

    def _save_state(self, started_at: datetime, *, running: bool = True) -> None:
        live = self.live
        with live.lock:
            values = {
                "source": live.source,
                "connected": live.connected,
                "last_error": live.last_error,
                "last_error_at": live.last_error_at,
                "received_telegrams": live.received,
            }
            buffer_error = live.buffer_error
            live.dirty = False
        values.update(
            buffer_error=buffer_error,
            held_telegrams=self.writer.held,
            started_at=started_at,
            updated_at=timezone.now() if running else None,
            telegrams_per_minute=live.per_minute(),
            rejected_telegrams=self._rejected_base + self.summary.rejected,
            buffered_telegrams=len(self.spool),
        )
        age = live.last_receipt_age()
        if age is not None:
            values["last_telegram_at"] = timezone.now() - timedelta(seconds=age)
        try:
            DataloggerState.store(**values)
        except DatabaseError:
            connections.close_all()  # reported by _store; the state waits for the database too

    def _reload_settings(self) -> None:
        try:
            config = self._resolve_config()
        except DatabaseError:
            connections.close_all()
            return
        except ValueError as error:  # a bad URL stored by hand, or the source removed: keep what runs
            if str(error) != self._reload_error:  # said once, not every poll
                logger.error(
                    "datalogger settings: %s; still reading %s", error, source_describe(self.config.source)
                )
                self._reload_error = str(error)
            return
        self._reload_error = ""
        if config == self.config:
            return
        if config.source != self.config.source:
            logger.info("source changed to %s", source_describe(config.source))
            if isinstance(config.source, DemoSource):
                try:
                    self._demo_meter = demo_meter_prepare()
                except DatabaseError:
                    connections.close_all()
                    return
        if config.stream != self.config.stream:
            logger.info("datalogger settings changed (decryption key, minimum interval)")
        self.config = config

    def _keep(self, items: list[Received | Discarded]) -> None:
        """The pump's sink (reader thread): everything goes to the buffer first."""
        now = datetime.now(UTC)
        self.writer.put(  # one transaction per chunk read, not one per telegram
            [
                ("telegram", item.telegram, item.received_at)
                if isinstance(item, Received)
                else ("discard", item.reason.encode(), now)
                for item in items
            ]
        )
        self._wake.set()


def datalogger_run(
    *,
    overrides: ConfigOverrides,
    stop: threading.Event,
    spool_path: Path | None = None,
    buffer_max: int = DEFAULT_MAX_ITEMS,
    retry_max: float = RETRY_MAX,
    settings_poll: float = SETTINGS_POLL,
    backfill: timedelta = timedelta(0),
) -> DataloggerSummary:
    """Read the configured source and store its telegrams until ``stop`` (or the end of a replay)."""
    return Datalogger(
        overrides=overrides,
        stop=stop,
        spool_path=spool_path,
        buffer_max=buffer_max,
        retry_max=retry_max,
        settings_poll=settings_poll,
        backfill=backfill,
    ).run()
