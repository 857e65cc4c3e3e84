"""Telegram streams for the transport tests, with the exact outcome each should have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import demo_telegrams

START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def telegrams(
    count: int, *, first: int = 0, step: timedelta = timedelta(seconds=10)
) -> list[tuple[int, bytes]]:
    """Telegrams ``first`` .. ``first + count - 1`` of one demo meter: (Unix timestamp, bytes)."""
    pairs = demo_telegrams(first + count, start=START, step=step)[first:]
    return [(int(moment.timestamp()), text.encode()) for moment, text in pairs]


def bad_crc(telegram: bytes) -> bytes:
    body, _, crc = telegram.rpartition(b"!")
    wrong = b"0000" if not crc.startswith(b"0000") else b"FFFF"
    return body + b"!" + wrong + b"\r\n"


def garbled_stream(items: list[tuple[int, bytes]]) -> tuple[bytes, list[int], int]:
    """A stream over ``items`` with line noise, a bad CRC and a telegram cut off by the next header.

    Returns (bytes, timestamps that must be stored, rejections it must count).
    """
    assert len(items) >= 8
    stream = bytearray(b"\x00\xfe noise \x81\r\n")  # garbage before the first telegram: 1 rejection
    stored = []
    for index, (stamp, telegram) in enumerate(items):
        if index == 3:
            stream += bad_crc(telegram)  # 1 rejection
        elif index == 5:
            cut = telegram.index(b"\r\n", len(telegram) // 2) + 2
            stream += telegram[:cut]  # cut off after a line by the next header: 1 rejection
        else:
            if index == 7:
                stream += b"\r\nATZ\r\n~~~\r\n"  # noise between telegrams: 1 rejection
            stream += telegram
            stored.append(stamp)
    return bytes(stream), stored, 4
