"""The datalogger: a reader thread turns the source into telegrams on an on-disk buffer; the main
thread stores them through the ingest service, in order, whenever the database accepts writes.

Reading never waits for the database (a serial port's kernel buffer holds only a few seconds), and
a telegram is removed from the buffer only after its transaction committed. A restart, a locked or
unreachable database, or ``kill -9`` therefore loses nothing that was read; re-storing the last
telegram after a crash is harmless because a reading is unique by its meter timestamp.

When the buffer itself cannot be written (held lock, I/O error, full disk), reading goes on and the
telegrams wait in memory (bounded) until it can; the problem shows in the state. If the reader thread
fails anyway, ``run()`` raises ``ReaderFailed`` so the process ends and its supervisor restarts it.

Group commit (``commit_every`` seconds, ``DSMRHUB_COMMIT_INTERVAL``; `dsmrhub run` uses
``RUN_COMMIT_INTERVAL``), for an SD card's sake: a telegram then waits in memory, and at most once per
interval all that arrived are stored in one transaction together with the state heartbeat, after which the
database's log is synced to disk. That commit is the acknowledgement: an acknowledged telegram survives a
crash, ``kill -9`` of any process and a power cut; what was read in the interval before (at most
``commit_every`` seconds and the commit's own duration) is lost by ``kill -9`` of the datalogger or a
power cut. When the database does not take a group, it goes to the buffer, synced at every append
(``durable``), and so do the telegrams read after it, until the buffer is stored and empty again. With an
interval of 0 every telegram goes through the buffer and is stored as soon as it is read (the standalone
command's default).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
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
from dsmrhub.db.durability import database_sync
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
COMMIT_INTERVAL_ENV = "DSMRHUB_COMMIT_INTERVAL"  # seconds between group commits (default 0: each at once)
RUN_COMMIT_INTERVAL = 20.0  # `dsmrhub run`'s datalogger: the power-cut window, see above
PENDING_MAX = 5 * BATCH  # group commit: a reader this far ahead of storing (a fast replay) waits
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


def commit_interval_from_environment(environ: dict[str, str] | None = None) -> float:
    """Seconds between the datalogger's group commits from ``DSMRHUB_COMMIT_INTERVAL`` (0 when unset);
    ValueError for a value that is not a number from 0 to 60."""
    text = (os.environ if environ is None else environ).get(COMMIT_INTERVAL_ENV, "").strip()
    if not text:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{COMMIT_INTERVAL_ENV} must be a number of seconds, not {text!r}") from None
    if not 0 <= seconds <= 60:
        raise ValueError(f"{COMMIT_INTERVAL_ENV} must be from 0 to 60 seconds, not {text}")
    return seconds


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
        commit_every: float | None = None,
    ) -> None:
        self.overrides = overrides
        self.stop = stop
        self.commit_every = commit_interval_from_environment() if commit_every is None else commit_every
        self.spool = Spool(
            spool_path or settings.DATA_DIR / "datalogger-buffer.sqlite3",
            max_items=buffer_max,
            synchronous="OFF" if self.commit_every > 0 else "NORMAL",
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
        self._stored_at = 0.0  # monotonic time of the last group commit
        self._durable = False  # the buffer is synced at every append (the database does not take them)
        self._pending: deque[SpoolItem] = deque()  # group commit: read, not stored yet (memory)
        self._route = threading.Lock()  # guards _pending and _durable against the reader thread
        self._drained = threading.Event()  # a group was stored: room in _pending
        self._state_due = False  # the heartbeat goes with the next group commit
        self._state_saved_at: float | None = None  # monotonic time a group commit saved the heartbeat
        self._started_at = timezone.now()

    # main thread
    def run(self) -> DataloggerSummary:
        self.config = self._resolve_config()
        if isinstance(self.config.source, DemoSource):
            self._demo_meter = demo_meter_prepare(backfill=self.backfill)
        state = DataloggerState.row().first()
        self._rejected_base = state.rejected_telegrams if state else 0
        started_at = self._started_at = timezone.now()
        if len(self.spool):
            logger.info("%d telegrams in the buffer from before; storing them first", len(self.spool))
            with self._route:  # what is read meanwhile goes behind them
                self._buffer_durable(True)
        pump = Pump(
            get_config=lambda: self.config,
            sink=self._keep,
            stop=self.stop,
            live=self.live,
            retry_max=self.retry_max,
            demo_meter=lambda: self._demo_meter,
            tick=self._tick,
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
                self._tick()
            items = self._next_items()
            wait = self._until_commit(items, reader_alive=reader.is_alive())
            if wait > 0 and stop_deadline is None:  # a group commit: let the interval's telegrams gather
                close_old_connections()
                self.stop.wait(min(wait, 0.5))
            elif items and (stop_deadline is None or time.monotonic() < stop_deadline):
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
            if self._state_saved_at is not None:  # carried by a group commit
                next_state, self._state_saved_at = self._state_saved_at + self._state_every(), None
            if now >= next_state or self.live.dirty:
                if self.commit_every > 0 and items and not self.live.dirty:
                    self._state_due = True  # the heartbeat goes with the telegrams' commit, due shortly
                else:
                    self._save_state(started_at)
                    next_state = now + self._state_every()
            if now >= next_settings:
                self._reload_settings()
                next_settings = now + self.settings_poll
        self._stop_reading(reader, started_at)
        return self.summary

    def _state_every(self) -> float:
        return max(STATE_EVERY, self.commit_every)

    def _until_commit(self, items: list[SpoolItem] | None, *, reader_alive: bool) -> float:
        """Seconds to wait before storing ``items`` (0: now): a group commit waits until ``commit_every``
        has passed since the last one, unless a batch is full, the reader is done, or nothing is waiting."""
        if not items or self.commit_every <= 0 or len(items) >= BATCH or not reader_alive:
            return 0.0
        if self._durable:  # catching up after an outage: store at once
            return 0.0
        return max(0.0, self._stored_at + self.commit_every - time.monotonic())

    def _buffer_durable(self, on: bool) -> None:
        """Group commit (under ``_route``): while the database does not take telegrams they go to the
        buffer, synced at every append; afterwards to memory again."""
        if self.commit_every <= 0 or self._durable == on:
            return
        self._durable = on
        try:
            self.spool.durable(on)
        except SpoolError as error:  # the next append tries again (SpoolWriter holds them meanwhile)
            self.live.error(str(error))

    def _tick(self) -> None:
        """Reader thread: a group the database did not take goes to the buffer; retry what is held."""
        with self._route:
            if self._durable and self._pending:
                self.writer.put([(item.kind, item.payload, item.received_at) for item in self._pending])
                self._pending.clear()
        self.writer.retry()

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
        """The oldest items not stored yet (of the group in memory, else of the buffer); None when the
        buffer cannot be read now."""
        with self._route:
            if self._pending and not self._durable:
                return list(self._pending)[:BATCH]
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
        """Store ``items`` in one transaction; False (and nothing removed) when the database failed:
        a group in memory then goes to the buffer.

        A telegram that makes storing fail for a reason of its own (a value the database refuses, a bug)
        is set aside so that it cannot stop the datalogger: a batch that fails that way is stored again
        item by item to find it, and the culprit is appended to ``SET_ASIDE`` beside the buffer (raw, so
        ``dsmrhub import`` can load it after a fix), logged and counted as rejected.
        """
        stored = self._store_items(items)
        if items[0].id < 0:  # the group in memory
            with self._route:
                if stored:
                    for _ in items:
                        self._pending.popleft()
                    self._drained.set()
                else:  # the reader moves it to the buffer, ahead of what it reads next
                    self._buffer_durable(True)
        return stored

    def _store_items(self, items: list[SpoolItem]) -> bool:
        try:
            return self._store_batch(items)
        except Exception as error:  # everything the database being away is not: see _store_batch
            if len(items) > 1:
                return all(self._store_items([item]) for item in items)
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
        if item.id >= 0:
            self._handled_through = item.id
        self.summary.rejected += 1

    def _store_batch(self, items: list[SpoolItem]) -> bool:
        stored = duplicates = rejected = 0
        telegrams = [(item.payload, item.received_at) for item in items if item.kind == "telegram"]
        with_state = self.commit_every > 0 and self._state_due
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
                if with_state:  # one commit for the telegrams and the heartbeat
                    values = self._state_values(self._started_at)
                    from_buffer = len(items) if items[-1].id >= 0 else 0
                    values["buffered_telegrams"] = max(0, len(self.spool) - from_buffer)
                    values["rejected_telegrams"] += rejected
                    DataloggerState.store(**values)
            if self.commit_every > 0:
                database_sync()  # the acknowledgement: on disk from here (see the module's docstring)
                logger.debug("group commit: %d items stored and synced", len(items))
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
        except OSError as error:  # the commit is in, but the log could not be synced: as if unavailable
            message = f"database unavailable: cannot sync it: {error}"
            if message != self._database_error:
                logger.warning("%s; %d telegrams kept in the buffer", message, len(self.spool))
            self._database_error = message
            self.live.error(message)
            return False
        self._stored_at = time.monotonic()
        if with_state:
            self._state_due, self._state_saved_at = False, self._stored_at
        if items[-1].id >= 0:
            self._handled_through = items[-1].id  # removed before the next peek (retried if that fails)
            with self._route:
                if self._durable and not self.writer.held and len(items) >= len(self.spool):
                    self._buffer_durable(False)  # the buffer is stored (removed next): memory again
        if self._database_error:
            logger.info("database available again; storing the buffer")
            self._database_error = ""
        self.summary.stored += stored
        self.summary.duplicates += duplicates
        self.summary.rejected += rejected
        return True

    def _save_state(self, started_at: datetime, *, running: bool = True) -> None:
        values = self._state_values(started_at, running=running)
        try:
            DataloggerState.store(**values)
        except DatabaseError:
            connections.close_all()  # reported by _store; the state waits for the database too

    def _state_values(self, started_at: datetime, *, running: bool = True) -> dict:
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
        return values

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
        rows = [
            ("telegram", item.telegram, item.received_at)
            if isinstance(item, Received)
            else ("discard", item.reason.encode(), now)
            for item in items
        ]
        while self.commit_every > 0 and not self.stop.is_set():  # a fast source waits for storing
            with self._route:
                if self._durable or len(self._pending) < PENDING_MAX:
                    break
            self._wake.set()
            self._drained.wait(0.5)
            self._drained.clear()
        with self._route:
            if self.commit_every > 0 and not self._durable:
                self._pending.extend(SpoolItem(-1, *row) for row in rows)
                rows = []
        if rows:
            self._tick()
            self.writer.put(rows)  # one transaction per chunk read, not one per telegram
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
    commit_every: float | None = None,
) -> DataloggerSummary:
    """Read the configured source and store its telegrams until ``stop`` (or the end of a replay);
    ``commit_every``: seconds between group commits (None: ``DSMRHUB_COMMIT_INTERVAL``, else 0)."""
    return Datalogger(
        overrides=overrides,
        stop=stop,
        spool_path=spool_path,
        buffer_max=buffer_max,
        retry_max=retry_max,
        settings_poll=settings_poll,
        backfill=backfill,
        commit_every=commit_every,
    ).run()
