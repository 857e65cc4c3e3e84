"""A bounded, ordered on-disk queue (one SQLite file) between a reader and a slower consumer.

The datalogger writes every telegram here before storing it, and the forwarder keeps one per
target. An item is removed only after it was handled, so a crash (even ``kill -9``) loses nothing
that was appended; the consumer may see the last items twice, which the unique meter timestamp
makes harmless. When full, the oldest items are dropped (and logged): the disk never fills up.

How durable an append is, is the owner's choice (``synchronous``): ``NORMAL`` (the default, the
forwarder's queues) is SQLite's WAL mode with a sync at every checkpoint; ``OFF`` writes to the operating
system and never waits for the disk, for a buffer whose items reach a durable store within seconds (the
datalogger's group commit): it still survives ``kill -9``, and appending a telegram then rewrites the same
few pages of the page cache instead of adding new WAL pages (SD-card wear). ``durable()`` switches a buffer
to ``FULL`` (every append on disk) for as long as its items have nowhere else to go. A buffer file found
damaged at start (after a power cut while ``OFF``) is moved aside and a new one begun.

Every failure of the file (held lock, I/O error, full disk, read-only file system) is a ``SpoolError``
with a readable reason; the spool stays usable and the next call tries again. A lock held by another
connection is waited for only ``busy_timeout`` seconds, so the reading thread is never held up long.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dsmrhub.backoff import RETRY_MAX, Backoff

logger = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 100_000  # about 100 MB; a day at one telegram per second
BUSY_TIMEOUT = 1.0  # seconds to wait for a lock held by another connection (a backup, the sqlite3 shell)


class SpoolError(Exception):
    """The buffer file cannot be read or written now; nothing was changed."""


@dataclass(frozen=True, slots=True)
class SpoolItem:
    id: int
    kind: str  # "telegram", or "discard" for bytes the framer skipped (payload: the reason)
    payload: bytes
    received_at: datetime


SYNCHRONOUS = ("OFF", "NORMAL", "FULL")
SMALL_WAL = 16  # pages: with synchronous=OFF the log is checkpointed and begun again this often


class Spool:
    def __init__(
        self,
        path: Path,
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        busy_timeout: float = BUSY_TIMEOUT,
        synchronous: str = "NORMAL",
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        self.path = path
        self.max_items = max_items
        self.dropped = 0
        self.synchronous = synchronous
        self._lock = threading.Lock()
        self._size = 0
        self._recount = False  # after a failed write the count is read again from the file
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open(path, busy_timeout)
                damaged = synchronous == "OFF" and not self._intact()
            except sqlite3.DatabaseError as error:  # "file is not a database"; a held lock is no damage
                if synchronous != "OFF" or isinstance(error, sqlite3.OperationalError):
                    raise
                damaged = True
            if damaged:
                with contextlib.suppress(AttributeError, sqlite3.Error):
                    self._db.close()
                aside = path.with_name(f"{path.name}.damaged-{int(time.time())}")
                for suffix in ("", "-wal", "-shm"):
                    source = Path(f"{path}{suffix}")
                    if source.exists():
                        source.rename(f"{aside}{suffix}")
                logger.error("buffer %s was damaged (a power cut?): moved aside to %s", path.name, aside.name)
                self._db = self._open(path, busy_timeout)
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            if synchronous == "OFF":
                self._db.execute(f"PRAGMA wal_autocheckpoint={SMALL_WAL}")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " kind TEXT NOT NULL, payload BLOB NOT NULL, received_at REAL NOT NULL)"
            )
            self._size = self._db.execute("SELECT count(*) FROM items").fetchone()[0]
        except (sqlite3.Error, OSError) as error:
            raise SpoolError(f"cannot open the buffer {path}: {_reason(error)}") from None

    @staticmethod
    def _open(path: Path, busy_timeout: float) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def _intact(self) -> bool:
        return self._db.execute("PRAGMA quick_check").fetchone()[0] == "ok"

    def durable(self, on: bool) -> None:
        """``on``: every append is on disk from now (FULL), and what the buffer holds is synced now;
        off: back to the ``synchronous`` it was opened with. SpoolError when the file fails."""
        level = "FULL" if on else self.synchronous
        with self._lock:
            try:
                self._db.execute(f"PRAGMA synchronous={level}")
                if on:  # a checkpoint under FULL syncs the log and then the file
                    self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.OperationalError as error:
                raise SpoolError(f"cannot sync the buffer {self.path.name}: {_reason(error)}") from None

    def __len__(self) -> int:
        return self._size

    def append(self, kind: str, payload: bytes, received_at: datetime) -> None:
        self.append_many([(kind, payload, received_at)])

    def append_many(self, items: list[tuple[str, bytes, datetime]]) -> None:
        """Append (kind, payload, received_at) items in order, in one transaction: all or none."""
        if not items:
            return
        rows = [(kind, payload, received_at.timestamp()) for kind, payload, received_at in items]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    if self._recount:
                        self._size = self._db.execute("SELECT count(*) FROM items").fetchone()[0]
                    self._db.executemany(
                        "INSERT INTO items (kind, payload, received_at) VALUES (?, ?, ?)", rows
                    )
                    excess = self._size + len(rows) - self.max_items
                    if excess > 0:
                        self._db.execute(
                            "DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT ?)",
                            (excess,),
                        )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise
            except sqlite3.OperationalError as error:  # locked, I/O error, disk full, read-only
                self._recount = True
                raise SpoolError(f"cannot write the buffer {self.path.name}: {_reason(error)}") from None
            self._recount = False
            self._size += len(rows)
            if excess > 0:
                self._size -= excess
                self.dropped += excess
                if self.dropped == excess or self.dropped // 1000 != (self.dropped - excess) // 1000:
                    logger.warning(
                        "buffer %s full (%d items): dropped the oldest; %d dropped so far",
                        self.path.name,
                        self.max_items,
                        self.dropped,
                    )

    def peek(self, limit: int = 100) -> list[SpoolItem]:
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT id, kind, payload, received_at FROM items ORDER BY id LIMIT ?", (limit,)
                ).fetchall()
            except sqlite3.OperationalError as error:
                raise SpoolError(f"cannot read the buffer {self.path.name}: {_reason(error)}") from None
        return [SpoolItem(row[0], row[1], bytes(row[2]), datetime.fromtimestamp(row[3], UTC)) for row in rows]

    def remove_through(self, item_id: int) -> None:
        """Remove every item up to and including ``item_id`` (they were handled)."""
        with self._lock:
            try:
                removed = self._db.execute("DELETE FROM items WHERE id <= ?", (item_id,)).rowcount
            except sqlite3.OperationalError as error:
                self._recount = True
                raise SpoolError(f"cannot write the buffer {self.path.name}: {_reason(error)}") from None
            self._size = max(0, self._size - removed)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rollback(self) -> None:
        # A failed COMMIT (disk full, I/O error) may have ended the transaction already.
        if self._db.in_transaction:  # a failing ROLLBACK leaves the file as before the transaction too
            with contextlib.suppress(sqlite3.OperationalError):
                self._db.execute("ROLLBACK")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


MEMORY_MAX = 10_000  # items held in memory while the file cannot be written: ~10 MB, ~3 h at 1 per second


class SpoolWriter:
    """Appends to a spool for a thread that must not fail or wait: what cannot be written now (held
    lock, I/O error, full disk, read-only file system) waits in memory, in order, at most ``memory_max``
    items (beyond that the oldest are dropped and counted), and is written first on the next try,
    after a pause that doubles up to ``retry_max``. A problem is logged when it starts or changes and
    when it is over, never once per try; ``on_change`` gets the problem ("" when it is over).

    Not thread-safe: one thread calls ``put`` and ``retry``.
    """

    def __init__(
        self,
        spool: Spool,
        *,
        memory_max: int = MEMORY_MAX,
        retry_max: float = RETRY_MAX,
        on_change: Callable[[str], None] = lambda problem: None,
    ) -> None:
        self.spool = spool
        self.memory_max = memory_max
        self.retry_max = retry_max
        self.on_change = on_change
        self.problem = ""
        self.dropped = 0  # held items dropped because memory was full
        self._held: deque[tuple[str, bytes, datetime]] = deque()
        self._backoff = Backoff(cap=retry_max)
        self._retry_at = 0.0

    @property
    def held(self) -> int:
        return len(self._held)

    def put(self, items: list[tuple[str, bytes, datetime]]) -> None:
        """Write ``items`` after anything held; keep them in memory when the file fails."""
        self._held.extend(items)
        excess = len(self._held) - self.memory_max
        if excess > 0:
            for _ in range(excess):
                self._held.popleft()
            self.dropped += excess
            if self.dropped == excess or self.dropped // 1000 != (self.dropped - excess) // 1000:
                logger.error(
                    "%s: %d items held in memory, the most it keeps: dropped the oldest; %d dropped so far",
                    self.spool.path.name,
                    self.memory_max,
                    self.dropped,
                )
        self.retry()

    def retry(self, *, now: bool = False) -> bool:
        """Write what is held if a try is due (or ``now``); True when nothing is held any more."""
        if not self._held:
            return True
        if not now and time.monotonic() < self._retry_at:
            return False
        try:
            self.spool.append_many(list(self._held))
        except SpoolError as error:
            self._failed(str(error))
            return False
        count = len(self._held)
        self._held.clear()
        self._backoff.reset()
        if self.problem:
            logger.info("%s writable again; wrote %d items held in memory", self.spool.path.name, count)
            self.problem = ""
            self.on_change("")
        return True

    def _failed(self, problem: str) -> None:
        self._retry_at = time.monotonic() + self._backoff.next()
        if problem != self.problem:
            logger.warning("%s; holding %d items in memory until it works again", problem, len(self._held))
            self.problem = problem
            self.on_change(problem)
