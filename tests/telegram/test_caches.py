"""The bounded caches of the hot paths: a cache forgets everything when full, and one call empties all."""

from __future__ import annotations

from dsmrhub.telegram import parse_telegram
from dsmrhub.telegram.caches import BoundedCache, caches_all, caches_clear
from tests.conftest import FIXTURES


def test_a_full_cache_forgets_everything_before_the_next_entry():
    cache = BoundedCache(3)
    for key in "abc":
        assert cache.put(key, key.upper()) == key.upper()
    assert len(cache) == 3 and [cache.get(key) for key in "abc"] == ["A", "B", "C"]
    assert cache.put("d", "D") == "D"
    assert len(cache) == 1 and "d" in cache and "a" not in cache
    assert cache.get("a", "missing") == "missing"


def test_a_key_put_again_does_not_grow_the_cache():
    cache = BoundedCache(2)
    cache.put("a", 1)
    cache.put("a", 2)
    assert len(cache) == 1 and cache.get("a") == 2


def test_caches_clear_empties_every_cache_and_parsing_fills_them_again():
    mine = BoundedCache(10)
    mine.put("key", "value")
    data = (FIXTURES / "telegrams" / "dsmrparser-fluvius-gas-water-1.txt").read_bytes()
    before = parse_telegram(data, tz="Europe/Brussels")
    assert mine in caches_all()
    assert any(cache is not mine and len(cache) for cache in caches_all())
    caches_clear()
    assert all(len(cache) == 0 for cache in caches_all())
    assert parse_telegram(data, tz="Europe/Brussels") == before
    assert any(len(cache) for cache in caches_all())
