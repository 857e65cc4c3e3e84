"""DSMR timestamps ``YYMMDDhhmmssX`` -> aware UTC datetimes.

The digits are wall time in the configured zone. X (``S``/``W``, either case) only says which of
the two occurrences of the repeated autumn hour is meant; 12-digit DSMR 2.2/3.0 stamps have no X.
An impossible stamp (``632525252525W``, ``000000000000W``) gives ``None``, as does a year of 70 or
more: the 2-digit year is 20YY, and ``70…`` stamps are meter firmware's 1970 epoch placeholder
(``700101010000W``), never a real reading in 2070+. Malformed text raises ``ValueError``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .caches import BoundedCache

_SECONDS = {f"{second:02d}": timedelta(seconds=second) for second in range(60)}
_MISSING = object()
_CACHE_LIMIT = 20_000
_caches: dict[ZoneInfo, BoundedCache[str, datetime | None]] = {}
_zones: dict[str, ZoneInfo] = {}
_LAST_YEAR = 69  # 20YY for YY <= 69; see module docstring


def resolve_zone(tz: str | ZoneInfo) -> ZoneInfo:
    """``ZoneInfo`` for a name (cached); raises ``ValueError`` for an unknown zone."""
    if isinstance(tz, ZoneInfo):
        return tz
    zone = _zones.get(tz)
    if zone is None:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(f"unknown time zone {tz!r}") from error
        _zones[tz] = zone
    return zone


def zone_cache(zone: ZoneInfo) -> BoundedCache[str, datetime | None]:
    """The per-zone cache used by ``to_utc``: minute key -> UTC start of that minute (or None)."""
    cache = _caches.get(zone)
    if cache is None:
        cache = _caches[zone] = BoundedCache(_CACHE_LIMIT)
    return cache


def _minute_start(text: str, zone: ZoneInfo) -> datetime | None:
    if not text[:10].isdigit() or not text[:10].isascii():
        raise ValueError(text)
    year = int(text[0:2])
    if year > _LAST_YEAR:
        return None
    try:
        local = datetime(
            2000 + year, int(text[2:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), tzinfo=zone
        )
    except ValueError:
        return None  # month 25, hour 25, day 0 ...
    if len(text) == 13:
        summer = text[12] in "Ss"
        if bool(local.dst()) != summer:
            other = local.replace(fold=1)
            if bool(other.dst()) == summer:
                local = other
    return local.astimezone(UTC)


def to_utc(text: str, zone: ZoneInfo, cache: BoundedCache[str, datetime | None]) -> datetime | None:
    """Convert one DSMR timestamp; ``cache`` comes from ``zone_cache(zone)``."""
    if len(text) == 13:
        if text[12] not in "SWsw":
            raise ValueError(text)
        key = text[:10] + text[12]
    elif len(text) == 12:
        key = text[:10]
    else:
        raise ValueError(text)
    start = cache.get(key, _MISSING)
    if start is _MISSING:
        start = cache.put(key, _minute_start(text, zone))
    second = _SECONDS.get(text[10:12])
    if second is None:
        if not (text[10:12].isdigit() and text[10:12].isascii()):
            raise ValueError(text)
        return None  # second 60..99
    if start is None:
        return None
    return start + second


def parse_timestamp(text: str, tz: str | ZoneInfo = "Europe/Amsterdam") -> datetime | None:
    """Convenience wrapper: one DSMR timestamp to an aware UTC datetime (None if impossible)."""
    zone = resolve_zone(tz)
    return to_utc(text, zone, zone_cache(zone))
