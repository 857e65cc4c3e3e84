"""DSMR timestamps: wall time in the configured zone, S/W only choosing the autumn fold."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dsmrhub.telegram.timestamps import parse_timestamp, resolve_zone, to_utc, zone_cache


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("101209113020W", utc(2010, 12, 9, 10, 30, 20)),
        ("150701190000S", utc(2015, 7, 1, 17, 0, 0)),
        ("150701190000s", utc(2015, 7, 1, 17, 0, 0)),  # lower case flag
        ("150701190000w", utc(2015, 7, 1, 17, 0, 0)),  # a wrong flag outside the fold changes nothing
        ("160410130000", utc(2016, 4, 10, 11, 0, 0)),  # DSMR 2.2: 12 digits, no flag
        ("160410130059", utc(2016, 4, 10, 11, 0, 59)),  # ... and the seconds are kept
        # the repeated hour on 2023-10-29 (02:00-03:00 exists twice in Amsterdam)
        ("231029023000S", utc(2023, 10, 29, 0, 30, 0)),
        ("231029023000W", utc(2023, 10, 29, 1, 30, 0)),
        ("231029023000", utc(2023, 10, 29, 0, 30, 0)),  # no flag: the first occurrence
        ("231029015959S", utc(2023, 10, 28, 23, 59, 59)),
        ("231029030000W", utc(2023, 10, 29, 2, 0, 0)),
        # the skipped hour on 2023-03-26 (02:xx does not exist): the offset before the switch
        ("230326023000W", utc(2023, 3, 26, 1, 30, 0)),
        ("000101000001W", utc(1999, 12, 31, 23, 0, 1)),  # the 'clock not set' entry is a real date
    ],
)
def test_conversion(stamp, expected):
    assert parse_timestamp(stamp) == expected


@pytest.mark.parametrize(
    "stamp",
    [
        "632525252525W",
        "000000000000W",
        "250000000000W",
        "230230120000W",
        "231029246000W",
        "231029120060W",
        "700101010000W",
    ],
)
def test_impossible_or_placeholder_is_none(stamp):
    assert parse_timestamp(stamp) is None


@pytest.mark.parametrize(
    "stamp", ["", "2310291200", "231029120000X", "23102912000aW", "2310291200²0W", "231029120000WW"]
)
def test_malformed_raises_value_error(stamp):
    with pytest.raises(ValueError):
        parse_timestamp(stamp)


def test_other_zones_and_the_cache():
    assert parse_timestamp("231029023000W", "UTC") == utc(2023, 10, 29, 2, 30)
    assert parse_timestamp("230702120000S", ZoneInfo("Europe/Dublin")) == utc(2023, 7, 2, 11, 0)
    zone = resolve_zone("Europe/Amsterdam")
    cache = zone_cache(zone)
    first = to_utc("240101120000W", zone, cache)
    assert "2401011200W" in cache and to_utc("240101120000W", zone, cache) == first
    with pytest.raises(ValueError):
        resolve_zone("Nowhere/Atlantis")
