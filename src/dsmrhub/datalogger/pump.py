"""The reading half shared by the datalogger and the forwarder: open the source (again and again,
with capped backoff), frame what arrives, and hand telegrams and discards to a sink.

The pump never touches the database; it follows ``get_config()`` while running: a changed source
is reopened, a changed key gets a new framer, a changed minimum interval applies at once. ``tick`` is
called after every read (at least twice a second) and while waiting to reopen the source: the owner
retries there what its sink could not write.

Started as a thread, a pump that fails (an unexpected exception) records it in ``failure``; the owner
must then stop the process, so that it is restarted instead of living on without reading.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from dsmrhub.backoff import RETRY_MAX, Backoff
from dsmrhub.datalogger.demo import DemoMeter
from dsmrhub.datalogger.sources import Source, SourceEnded, SourceError, source_open
from dsmrhub.datalogger.stream import Received, StreamSettings, TelegramStream
from dsmrhub.telegram import Discarded

logger = logging.getLogger(__name__)

TICK = 0.5  # seconds between tick() calls while pausing before a reopen


@dataclass(frozen=True, slots=True)
class PumpConfig:
    source: Source
    stream: StreamSettings


@dataclass
class LiveState:
    """What the pump reports (guarded by ``lock``); state changes are logged once."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    source: str = ""
    connected: bool = False
    last_error: str = ""
    last_error_at: datetime | None = None
    received: int = 0
    receipts: deque = field(default_factory=lambda: deque(maxlen=10_000))
    ended: bool = False
    buffer_error: str = ""  # the buffer cannot be written now; telegrams wait in memory
    dirty: bool = True  # a change worth saving now

    def opened(self, description: str) -> None:
        with self.lock:
            if not self.connected or self.source != description:
                logger.info("reading %s", description)
            self.source, self.connected, self.dirty = description, True, True

    def failed(self, message: str) -> None:
        with self.lock:
            if self.connected or message != self.last_error:
                logger.warning("%s", message)
            self.connected, self.dirty = False, True
            self.last_error, self.last_error_at = message, datetime.now(UTC)

    def error(self, message: str) -> None:
        with self.lock:
            self.last_error, self.last_error_at, self.dirty = message, datetime.now(UTC), True

    def buffer_problem(self, problem: str) -> None:
        """The buffer's problem now ("" when it is over); also kept as the last error."""
        with self.lock:
            self.buffer_error, self.dirty = problem, True
            if problem:
                self.last_error, self.last_error_at = problem, datetime.now(UTC)

    def telegram(self) -> None:
        with self.lock:
            self.received += 1
            self.receipts.append(time.monotonic())

    def per_minute(self) -> float:
        with self.lock:
            since = time.monotonic() - 60
            return float(sum(1 for moment in self.receipts if moment >= since))

    def last_receipt_age(self) -> float | None:
        with self.lock:
            return time.monotonic() - self.receipts[-1] if self.receipts else None


class Pump:
    def __init__(
        self,
        *,
        get_config: Callable[[], PumpConfig],
        sink: Callable[[list[Received | Discarded]], None],
        stop: threading.Event,
        live: LiveState,
        retry_max: float = RETRY_MAX,
        demo_meter: Callable[[], DemoMeter | None] = lambda: None,
        tick: Callable[[], object] = lambda: None,
    ) -> None:
        self.get_config = get_config
        self.sink = sink
        self.stop = stop
        self.live = live
        self.retry_max = retry_max
        self.demo_meter = demo_meter
        self.tick = tick
        self.failure: BaseException | None = None

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run_recording_failure, name="source-reader", daemon=True)
        thread.start()
        return thread

    def _run_recording_failure(self) -> None:
        try:
            self.run()
        except BaseException as error:
            logger.exception("the reading thread failed")
            self.failure = error

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.wait(min(TICK, max(0.0, deadline - time.monotonic()))):
            self.tick()
            if time.monotonic() >= deadline:
                return

    def run(self) -> None:
        backoff = Backoff(cap=self.retry_max)
        preferred: str | None = None
        while not self.stop.is_set():
            config = self.get_config()
            try:
                reader, description = source_open(
                    config.source,
                    demo_meter=self.demo_meter(),
                    preferred_preset=preferred,
                    stop=self.stop.is_set,
                )
            except SourceError as error:
                self.live.failed(str(error))
                self._pause(backoff.next())
                continue
            if description.endswith(")"):  # serial auto: next time try the preset that worked first
                preferred = description.rpartition("(")[2].rstrip(")")
            self.live.opened(description)
            stream = TelegramStream(config.stream)
            try:
                while not self.stop.is_set():
                    data = reader.read()
                    # Settings are looked at after the read, so bytes that arrive after a change are
                    # handled by the new settings even when the read was already waiting before it.
                    current = self.get_config()
                    if current.source != config.source:
                        self._deliver(stream.feed(data))  # sent by the old source before the switch
                        break
                    if current.stream != stream.settings:
                        if replace(current.stream, min_interval=0) != replace(
                            stream.settings, min_interval=0
                        ):
                            self._deliver(stream.flush())
                            stream = TelegramStream(current.stream)
                        stream.settings = current.stream
                    if self._deliver(stream.feed(data)):
                        backoff.reset()
                    self.tick()
            except SourceEnded:
                self._deliver(stream.flush())
                logger.info("end of %s", description)
                self.live.ended = True
                return
            except SourceError as error:
                self._deliver(stream.flush())
                self.live.failed(f"{description}: {error}")
                self._pause(backoff.next())
            finally:
                reader.close()

    def _deliver(self, items: list[Received | Discarded]) -> bool:
        """Hand items to the sink; True if a telegram was among them."""
        if not items:
            return False
        telegrams = False
        for item in items:
            if isinstance(item, Received):
                self.live.telegram()
                telegrams = True
            else:
                logger.warning("skipped %d bytes: %s", item.size, item.reason)
        self.sink(items)
        return telegrams
