"""The bounded memo caches of the hot paths (parser, timestamps, the bulk ingest check).

Each maps a key to a value that is a pure function of it, so forgetting costs only the work of filling
the cache again. When full, a cache forgets everything at once rather than its least recently used
entry: a hit stays a plain dict lookup, and a miss pays one size check. Pure Python, so that the
telegram package keeps importing nothing else; other packages use it from here.
"""

from __future__ import annotations

import weakref
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_caches: weakref.WeakSet[BoundedCache] = weakref.WeakSet()


class BoundedCache(Generic[K, V]):
    """At most ``limit`` entries, looked up with ``get`` and filled through ``put``; cleared when full.

    It wraps a plain dict rather than being one: ``get`` is that dict's own method, as fast as a dict's
    (a lookup on a dict subclass costs measurably more on the parser's path)."""

    __slots__ = ("limit", "get", "_data", "__weakref__")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data: dict[K, V] = {}
        self.get = self._data.get
        _caches.add(self)

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` (forgetting everything first when full); returns ``value``."""
        data = self._data
        if len(data) >= self.limit:
            data.clear()
        data[key] = value
        return value

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data


def caches_all() -> list[BoundedCache]:
    """Every bounded cache in use (for tests and diagnostics)."""
    return list(_caches)


def caches_clear() -> None:
    """Empty every bounded cache: the next lookups compute afresh."""
    for cache in list(_caches):
        cache.clear()
