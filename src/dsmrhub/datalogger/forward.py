"""The remote datalogger: read a source and POST every telegram to one or more dsmrhub (or DSMR-reader)
instances through API v1, each target with its own on-disk queue, in order, retried until accepted.

Needs no database: the queues are SQLite files in the data dir. A target that is down keeps its
queue (bounded) and gets every telegram, in order, when it is back; the others are not held up.
Sending one telegram twice (a crash between the answer and the queue update) is harmless: the
server stores a meter timestamp once.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from dsmrhub.datalogger.pump import Backoff, LiveState, Pump, PumpConfig
from dsmrhub.datalogger.sources import Source
from dsmrhub.datalogger.spool import DEFAULT_MAX_ITEMS, Spool
from dsmrhub.datalogger.stream import Received, StreamSettings
from dsmrhub.telegram import Discarded

logger = logging.getLogger(__name__)

API_V1_PATH = "/api/v1/datalogger/dsmrreading"
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class ForwardTarget:
    url: str  # base URL of the instance, e.g. https://dsmr.example.org
    key: str  # its API key

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"target must be an http(s) URL, got {self.url!r}")
        if not self.key:
            raise ValueError(f"no API key for {self.url}")

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + API_V1_PATH


def forward_queue_path(*, directory: Path, target: ForwardTarget) -> Path:
    """One queue file per target URL, named so a user can tell which is which."""
    readable = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(target.url).netloc)[:60]
    digest = hashlib.sha256(target.url.rstrip("/").encode()).hexdigest()[:10]
    return directory / f"{readable}-{digest}.sqlite3"


class RejectedByTarget(Exception):
    """The target answered that this telegram will never be accepted (HTTP 400)."""


class _Poster:
    """A keep-alive HTTP connection to one target."""

    def __init__(self, target: ForwardTarget) -> None:
        self.target = target
        parts = urlsplit(target.endpoint)
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._path = parts.path
        self._connection: http.client.HTTPConnection | None = None

    def post(self, telegram: bytes) -> None:
        """Deliver one telegram; raises ``RejectedByTarget`` (drop it) or ``OSError`` (retry later)."""
        body = urlencode({"telegram": telegram.decode("latin-1")})
        headers = {
            "Authorization": f"Token {self.target.key}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if self._connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._connection = kind(self._host, self._port, timeout=REQUEST_TIMEOUT)
        try:
            self._connection.request("POST", self._path, body=body, headers=headers)
            response = self._connection.getresponse()
            text = response.read(500).decode("utf-8", "replace").strip()
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise OSError(f"{type(error).__name__}: {error}") from None
        if response.status in (200, 201):
            return
        if response.status == 400:
            raise RejectedByTarget(text or "400 Bad Request")
        raise OSError(f"HTTP {response.status}: {text[:200]}")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Sender:
    """Empties one target's queue, oldest first, one telegram at a time."""

    def __init__(self, target: ForwardTarget, queue: Spool, stop: threading.Event, retry_max: float) -> None:
        self.target = target
        self.queue = queue
        self.stop = stop
        self.wake = threading.Event()
        self.poster = _Poster(target)
        self.backoff = Backoff(0.5, retry_max)
        self.sent = 0
        self.rejected = 0
        self._failing = False

    def run(self) -> None:
        while not self.stop.is_set():
            items = self.queue.peek(50)
            if not items:
                self.wake.wait(0.5)
                self.wake.clear()
                continue
            for item in items:
                if self.stop.is_set():
                    break
                try:
                    self.poster.post(item.payload)
                    self.sent += 1
                except RejectedByTarget as reason:
                    logger.warning("%s rejected a telegram (dropped): %s", self.target.url, reason)
                    self.rejected += 1
                except OSError as error:
                    if not self._failing:
                        logger.warning("%s unreachable (%s); keeping its queue", self.target.url, error)
                    self._failing = True
                    self.stop.wait(self.backoff.next())
                    break
                if self._failing:
                    logger.info(
                        "%s reachable again; sending %d queued telegrams", self.target.url, len(self.queue)
                    )
                    self._failing = False
                self.backoff.reset()
                self.queue.remove_through(item.id)
        self.poster.close()


@dataclass
class ForwardSummary:
    received: int = 0
    sent: dict[str, int] | None = None
    queued: dict[str, int] | None = None


def forward_run(
    *,
    source: Source,
    targets: list[ForwardTarget],
    stop: threading.Event,
    queue_dir: Path,
    stream: StreamSettings | None = None,
    queue_max: int = DEFAULT_MAX_ITEMS,
    retry_max: float = 60.0,
    exit_when_sent: bool = True,
) -> ForwardSummary:
    """Forward until ``stop`` (or, for a replay, until it is read and, with ``exit_when_sent``, all sent)."""
    if not targets:
        raise ValueError("no targets")
    config = PumpConfig(source=source, stream=stream or StreamSettings())
    queues = [Spool(forward_queue_path(directory=queue_dir, target=t), max_items=queue_max) for t in targets]
    senders = [_Sender(t, q, stop, retry_max) for t, q in zip(targets, queues, strict=True)]
    for sender in senders:
        if len(sender.queue):
            logger.info("%s: %d telegrams queued from before", sender.target.url, len(sender.queue))

    def sink(items: list[Received | Discarded]) -> None:
        telegrams = [("telegram", i.telegram, i.received_at) for i in items if isinstance(i, Received)]
        for queue in queues:
            queue.append_many(telegrams)  # one transaction per chunk read
        for sender in senders:
            sender.wake.set()

    live = LiveState()
    threads = [
        threading.Thread(target=s.run, name=f"forward-{i}", daemon=True) for i, s in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    pump = Pump(get_config=lambda: config, sink=sink, stop=stop, live=live, retry_max=retry_max)
    pump.run()  # returns on stop, or at the end of a replay
    while exit_when_sent and not stop.is_set() and any(len(q) for q in queues):
        stop.wait(0.2)
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    summary = ForwardSummary(
        received=live.received,
        sent={s.target.url: s.sent for s in senders},
        queued={s.target.url: len(s.queue) for s in senders},
    )
    for queue in queues:
        queue.close()
    return summary
