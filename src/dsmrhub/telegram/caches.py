"""The bounded memo caches of the hot paths (parser, timestamps, the bulk ingest check).

Each maps a key to a value that is a pure function of it, so forgetting costs only the work of filling
the cache again. When full, a cache forgets everything at once rather than its least recently used
entry: a hit stays a plain dict lookup, and a miss pays one size check. Pure Python, so that the
telegram package keeps importing nothing else; other packages use it from here.
"""

from __future__ import annotations

import weakref
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

_caches: weakref.WeakValueDictionary[int, BoundedCache] = (
    weakref.WeakValueDictionary()
)  # by id: dicts don't hash


class BoundedCache(dict[K, V]):
    """A dict of at most ``limit`` entries, filled through ``put``; cleared when full."""

    __slots__ = ("limit", "__weakref__")

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        _caches[id(self)] = self

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` (forgetting everything first when full); returns ``value``."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


def caches_all() -> list[BoundedCache]:
    """Every bounded cache in use (for tests and diagnostics)."""
    return list(_caches.values())


def caches_clear() -> None:
    """Empty every bounded cache: the next lookups compute afresh."""
    for cache in list(_caches.values()):
        cache.clear()
