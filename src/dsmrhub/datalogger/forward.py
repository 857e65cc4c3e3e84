"""The remote datalogger: read a source and POST every telegram to one or more dsmrhub (or DSMR-reader)
instances through API v1, each target with its own on-disk queue, in order, retried until accepted.

Needs no database: the queues are SQLite files in the data dir. A target that is down keeps its
queue (bounded) and gets every telegram, in order, when it is back; the others are not held up.
Sending one telegram twice (a crash between the answer and the queue update) is harmless: the
server stores a meter timestamp once.

A telegram is dropped only when the target says the telegram itself is bad (API v1's
``400 telegram rejected: …``). Any other answer (a 400 from a proxy or Django's host check, 401/403
for a wrong key or a disabled API, 5xx, no answer at all) is a problem of the target: the queue is
kept and retried with backoff, or after the target's ``Retry-After`` (at most the retry maximum),
and the problem is logged when it starts or changes, not on every retry.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from dsmrhub.backoff import Backoff
from dsmrhub.datalogger.pump import LiveState, Pump, PumpConfig
from dsmrhub.datalogger.sources import Source
from dsmrhub.datalogger.spool import DEFAULT_MAX_ITEMS, Spool, SpoolError, SpoolWriter
from dsmrhub.datalogger.stream import Received, StreamSettings
from dsmrhub.telegram import Discarded

logger = logging.getLogger(__name__)

API_V1_PATH = "/api/v1/datalogger/dsmrreading"
REQUEST_TIMEOUT = 10.0
REJECTED_PREFIX = "telegram rejected:"  # API v1's answer for a telegram that will never be stored
MAX_BODY = 64 * 1024  # bytes of an answer read; a longer one ends the connection


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
    """The target answered that this telegram itself will never be accepted: drop it."""


class TargetProblem(Exception):
    """The target cannot take telegrams now: keep the queue and retry (after ``retry_after`` seconds
    when the target said so)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """An HTTP ``Retry-After`` value (seconds, or an HTTP date) as seconds from now; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _summary(text: str) -> str:
    """An answer's body on one line, short enough for a log line (proxies answer with HTML pages)."""
    return " ".join(re.sub(r"<[^>]*>", " ", text).split())[:200]


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
        """Deliver one telegram; raises ``RejectedByTarget`` (drop it) or ``TargetProblem`` (retry later)."""
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
            raw = response.read(MAX_BODY)
            if response.will_close or not response.isclosed():  # not read to its end: start afresh
                self.close()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise TargetProblem(f"unreachable ({type(error).__name__}: {error})") from None
        status = response.status
        if 200 <= status < 300:
            return
        text = raw.decode("utf-8", "replace").strip()
        if status == 400 and text.startswith(REJECTED_PREFIX):
            raise RejectedByTarget(text)
        detail = _summary(text) or response.reason
        if status in (401, 403):
            raise TargetProblem(
                f"refused the telegram (HTTP {status}: {detail}): check the API key given with --key "
                "and that the API is enabled there"
            )
        raise TargetProblem(
            f"cannot take telegrams (HTTP {status}: {detail})",
            retry_after=retry_after_seconds(response.getheader("Retry-After")),
        )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Sender:
    """Empties one target's queue, oldest first, one telegram at a time. An unexpected failure is kept
    in ``failure`` and stops the forwarder, which then exits so that it is started again."""

    def __init__(self, target: ForwardTarget, queue: Spool, stop: threading.Event, retry_max: float) -> None:
        self.target = target
        self.queue = queue
        self.stop = stop
        self.retry_max = retry_max
        self.wake = threading.Event()
        self.poster = _Poster(target)
        self.backoff = Backoff(cap=retry_max)
        self.sent = 0
        self.rejected = 0
        self.failure: BaseException | None = None
        self._problem = ""
        self._done_through: int | None = None  # answered, not yet removed from the queue

    def run(self) -> None:
        try:
            self._run()
        except BaseException as error:
            logger.exception("%s: the sending thread failed", self.target.url)
            self.failure = error
            self.stop.set()
        finally:
            self.poster.close()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self._remove_done()
                items = self.queue.peek(50)
            except SpoolError as error:
                self._trouble(str(error))
                self.stop.wait(self.backoff.next())
                continue
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
                except TargetProblem as problem:
                    self._trouble(f"{self.target.url} {problem}")
                    pause = self.backoff.next() if problem.retry_after is None else problem.retry_after
                    self.stop.wait(min(pause, self.retry_max))
                    break
                self._done_through = item.id
                if self._problem:
                    logger.info(
                        "%s takes telegrams again; sending %d queued telegrams",
                        self.target.url,
                        len(self.queue),
                    )
                    self._problem = ""
                self.backoff.reset()
                try:
                    self._remove_done()
                except SpoolError as error:
                    self._trouble(str(error))
                    break

    def _remove_done(self) -> None:
        if self._done_through is not None:
            self.queue.remove_through(self._done_through)
            self._done_through = None

    def _trouble(self, problem: str) -> None:
        """Log a problem when it starts or changes, not on every retry."""
        if problem != self._problem:
            logger.warning("%s; keeping %d telegrams queued", problem, len(self.queue))
        self._problem = problem


class ForwarderFailed(Exception):
    """A part of the forwarder failed unexpectedly; it stops so that it is started again."""


@dataclass
class ForwardSummary:
    received: int = 0
    sent: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    queued: dict[str, int] = field(default_factory=dict)


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
    writers = [SpoolWriter(queue, retry_max=retry_max) for queue in queues]
    senders = [_Sender(t, q, stop, retry_max) for t, q in zip(targets, queues, strict=True)]
    for sender in senders:
        if len(sender.queue):
            logger.info("%s: %d telegrams queued from before", sender.target.url, len(sender.queue))

    def sink(items: list[Received | Discarded]) -> None:
        telegrams = [("telegram", i.telegram, i.received_at) for i in items if isinstance(i, Received)]
        for writer in writers:
            writer.put(telegrams)  # one transaction per chunk read; held in memory while that fails
        for sender in senders:
            sender.wake.set()

    def retry_held() -> bool:
        return all([writer.retry() for writer in writers])

    live = LiveState()
    threads = [
        threading.Thread(target=s.run, name=f"forward-{i}", daemon=True) for i, s in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    pump = Pump(
        get_config=lambda: config, sink=sink, stop=stop, live=live, retry_max=retry_max, tick=retry_held
    )
    pump.run()  # returns on stop, or at the end of a replay
    while exit_when_sent and not stop.is_set() and (not retry_held() or any(len(q) for q in queues)):
        stop.wait(0.2)
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    for writer in writers:
        if not writer.retry(now=True):
            logger.error("%d telegrams held in memory are lost: %s", writer.held, writer.problem)
    summary = ForwardSummary(
        received=live.received,
        sent={s.target.url: s.sent for s in senders},
        rejected={s.target.url: s.rejected for s in senders},
        queued={s.target.url: len(s.queue) for s in senders},
    )
    for queue in queues:
        queue.close()
    failed = [sender for sender in senders if sender.failure is not None]
    if failed:
        raise ForwarderFailed(f"sending to {failed[0].target.url} failed: {failed[0].failure!r}")
    return summary
