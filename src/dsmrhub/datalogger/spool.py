"""A bounded, ordered on-disk queue (one SQLite file) between a reader and a slower consumer.

The datalogger writes every telegram here before storing it, and the forwarder keeps one per
target. An item is removed only after it was handled, so a crash (even ``kill -9``) loses nothing
that was appended; the consumer may see the last items twice, which the unique meter timestamp
makes harmless. When full, the oldest items are dropped (and logged): the disk never fills up.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 100_000  # about 100 MB; a day at one telegram per second


@dataclass(frozen=True, slots=True)
class SpoolItem:
    id: int
    kind: str  # "telegram", or "discard" for bytes the framer skipped (payload: the reason)
    payload: bytes
    received_at: datetime


class Spool:
    def __init__(self, path: Path, *, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_items = max_items
        self.dropped = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "PRAGMA synchronous=NORMAL"
        )  # survives a killed process; power loss may cost the tail
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " kind TEXT NOT NULL, payload BLOB NOT NULL, received_at REAL NOT NULL)"
        )
        self._size = self._db.execute("SELECT count(*) FROM items").fetchone()[0]

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
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT INTO items (kind, payload, received_at) VALUES (?, ?, ?)", rows)
                excess = self._size + len(rows) - self.max_items
                if excess > 0:
                    self._db.execute(
                        "DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT ?)", (excess,)
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
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
            rows = self._db.execute(
                "SELECT id, kind, payload, received_at FROM items ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [SpoolItem(row[0], row[1], bytes(row[2]), datetime.fromtimestamp(row[3], UTC)) for row in rows]

    def remove_through(self, item_id: int) -> None:
        """Remove every item up to and including ``item_id`` (they were handled)."""
        with self._lock:
            removed = self._db.execute("DELETE FROM items WHERE id <= ?", (item_id,)).rowcount
            self._size = max(0, self._size - removed)

    def close(self) -> None:
        with self._lock:
            self._db.close()
