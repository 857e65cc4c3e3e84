"""CRC-16/ARC (poly 0xA001 reflected, init 0, no final XOR) as used by DSMR 4+ telegrams.

A byte-at-a-time table loop costs ~0.1 µs per byte in CPython, i.e. most of the time it takes to
parse a telegram. Because this CRC is linear over GF(2) and starts from 0, each of the 16 result
bits is the parity of (message bits AND a fixed mask), where the mask depends only on each bit's
distance from the end of the message. With the message as one big int, that is 16 ANDs and 16
popcounts done in C: about 8x faster than the table loop for a 1 kB telegram.
``binascii.crc_hqx`` is CRC-16/CCITT (another polynomial) and cannot be used.

``crc16_arc`` is the ``fastcrc`` package's compiled CRC-16/ARC when it is installed (a dependency, with
wheels for x86-64, aarch64 and armv7): about 0.3 µs for a 1 kB telegram against 20 µs for the masks.
The pure-Python ``crc16_arc_python`` below stays as the fallback and as the reference in the tests.
"""

from __future__ import annotations

import threading

_TABLE: list[int] = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0xA001 if _crc & 1 else _crc >> 1
    _TABLE.append(_crc)
del _byte, _crc

_MASK_LIMIT = 16384  # longer inputs (never a real telegram) use the plain table loop
_SHORT = 24  # below this the table loop is quicker than the masks

# Bit k of row i (16 bytes per row, row = byte position counted from the end of the message)
# says which bits of that byte feed CRC bit k. Grown on demand.
_rows = bytearray()
_state = [_TABLE[1 << bit] for bit in range(8)]  # CRC contribution of each bit of the current row
_SPREAD = [sum(1 << (8 * k) for k in range(8) if value >> k & 1) for value in range(256)]
_masks: tuple[int, list[int]] = (0, [])  # (bytes covered, 16 masks), replaced as one object
_lock = threading.Lock()


def _grow(length: int) -> tuple[int, list[int]]:
    global _masks
    with _lock:
        if _masks[0] >= length:
            return _masks
        size = max(1024, 1 << (length - 1).bit_length())
        spread, table, state = _SPREAD, _TABLE, _state
        for _ in range(len(_rows) // 16, size):
            row = 0
            for bit in range(8):
                value = state[bit]
                row |= (spread[value & 0xFF] | spread[value >> 8] << 64) << bit
            _rows.extend(row.to_bytes(16, "little"))
            for bit in range(8):
                value = state[bit]
                state[bit] = (value >> 8) ^ table[value & 0xFF]
        _masks = (size, [int.from_bytes(_rows[k::16], "little") for k in range(16)])
        return _masks


def _crc_loop(data: bytes) -> int:
    table = _TABLE
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc16_arc_python(data: bytes) -> int:
    """CRC-16/ARC of ``data`` (for a telegram: the bytes from '/' through '!' inclusive), pure Python."""
    length = len(data)
    if length < _SHORT or length > _MASK_LIMIT:
        return _crc_loop(data)
    covered, masks = _masks
    if length > covered:
        covered, masks = _grow(length)
    message = int.from_bytes(data, "big")  # last byte lowest: bit 8*i+j = bit j of the i-th byte from the end
    m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15 = masks
    return (
        ((message & m0).bit_count() & 1)
        | ((message & m1).bit_count() & 1) << 1
        | ((message & m2).bit_count() & 1) << 2
        | ((message & m3).bit_count() & 1) << 3
        | ((message & m4).bit_count() & 1) << 4
        | ((message & m5).bit_count() & 1) << 5
        | ((message & m6).bit_count() & 1) << 6
        | ((message & m7).bit_count() & 1) << 7
        | ((message & m8).bit_count() & 1) << 8
        | ((message & m9).bit_count() & 1) << 9
        | ((message & m10).bit_count() & 1) << 10
        | ((message & m11).bit_count() & 1) << 11
        | ((message & m12).bit_count() & 1) << 12
        | ((message & m13).bit_count() & 1) << 13
        | ((message & m14).bit_count() & 1) << 14
        | ((message & m15).bit_count() & 1) << 15
    )


try:  # the compiled CRC-16/ARC (same parameters: poly 0x8005 reflected, init 0, no final XOR)
    from fastcrc.crc16 import arc as crc16_arc
except ImportError:  # pragma: no cover - fastcrc is a dependency; this keeps a broken install working
    crc16_arc = crc16_arc_python
