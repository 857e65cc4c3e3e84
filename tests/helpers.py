"""Telegram builders for tests that need valid telegrams without the shared corpus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dsmrhub.datalogger.demo import DemoMeter
from dsmrhub.telegram import crc16_arc

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def demo_telegrams(count: int, *, start: datetime | None = None, step: timedelta = timedelta(seconds=10)):
    """``count`` consecutive CRC-valid DSMR 5 telegrams from the demo meter, with their UTC moments."""
    meter = DemoMeter(tz=AMSTERDAM, seed=42)
    start = start or datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    return [(start + step * n, meter.telegram_at(start + step * n)) for n in range(count)]


def with_crc(body_through_bang: str) -> str:
    """Append the right CRC (and CRLF) to a telegram written from '/' through '!'."""
    return f"{body_through_bang}{crc16_arc(body_through_bang.encode('latin-1')):04X}\r\n"


def replace_line(telegram: str, obis: str, new_line: str) -> str:
    """Swap one register line and recompute the CRC."""
    body = telegram[: telegram.index("!") + 1]
    lines = [new_line if line.startswith(obis + "(") else line for line in body.split("\r\n")]
    return with_crc("\r\n".join(lines))
