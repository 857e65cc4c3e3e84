"""CRC-16/ARC against a plain bit-by-bit reference implementation."""

from __future__ import annotations

import random

import pytest

from dsmrhub.telegram import crc16_arc
from dsmrhub.telegram.crc import crc16_arc_python


def reference(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def test_check_value():
    assert crc16_arc(b"123456789") == 0xBB3D  # the catalogue's check value for CRC-16/ARC
    assert crc16_arc(b"") == 0
    assert crc16_arc_python(b"123456789") == 0xBB3D
    assert crc16_arc_python(b"") == 0


@pytest.mark.parametrize(
    "length", [1, 23, 24, 25, 100, 1023, 1024, 1025, 2047, 3000, 8192, 16384, 16385, 40000]
)
def test_matches_the_reference(length):
    data = random.Random(length).randbytes(length)
    assert crc16_arc(data) == reference(data)
    assert crc16_arc(bytearray(data)) == crc16_arc(memoryview(data)) == reference(data)
    assert crc16_arc_python(data) == crc16_arc_python(bytearray(data)) == reference(data)


def test_telegram():
    raw = b"/KFM5KAIFA-METER\r\n\r\n1-3:0.2.8(42)\r\n!"
    assert crc16_arc(raw) == reference(raw)
