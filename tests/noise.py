"""Noisy P1 streams, as a ser2net line delivers them: line noise between and inside telegrams, telegrams
cut off midway, headers glued to the noise before them. Shared by the framing tests, the import test
and ``bench/bench_noise.py``; seeded, so a stream and its expected outcome are reproducible."""

from __future__ import annotations

import random
from dataclasses import dataclass

# Bytes line noise is made of: the framer's markers and line ends much more often than chance would have
# them, header-like letters and hex digits (a fake CRC), and anything else.
NOISE_BYTES = b"/!\r\n" * 4 + b"ISKABCF0123456789()*:.-~\x00\xff"


@dataclass(frozen=True)
class NoisyStream:
    data: bytes
    intact: list[bytes]  # the telegrams that arrive whole, in order: exactly these must come out
    damaged: int  # telegrams cut off or hit by noise inside


def noise(rng: random.Random, size: int) -> bytes:
    """``size`` bytes of line noise; a quarter of the time arbitrary bytes, else mostly markers."""
    if rng.random() < 0.25:
        return rng.randbytes(size)
    return bytes(rng.choice(NOISE_BYTES) for _ in range(size))


def noisy_stream(
    telegrams: list[bytes],
    *,
    seed: int,
    noise_between: float = 0.5,
    cut: float = 0.05,
    noise_inside: float = 0.03,
) -> NoisyStream:
    """``telegrams`` (each from '/' through its CRC line and line end) with, at the given rates, noise
    before a telegram (never ending in a line end, so the header is glued to it), a telegram cut off at a
    random byte before its CRC is complete, and noise inserted inside one."""
    rng = random.Random(seed)
    out = bytearray()
    intact: list[bytes] = []
    damaged = 0
    for telegram in telegrams:
        if rng.random() < noise_between:
            junk = noise(rng, rng.randint(1, 40))
            out += junk.rstrip(b"\r\n") or b"~"
        crc_end = telegram.rindex(b"!") + 1
        while crc_end < len(telegram) and telegram[crc_end] not in b"\r\n":
            crc_end += 1
        roll = rng.random()
        if roll < cut:
            at = rng.randrange(1, crc_end)
            out += telegram[:at]
            if at > crc_end - 5:  # inside the CRC line: noise could supply the missing digits by chance
                out += b"~"
            damaged += 1
        elif roll < cut + noise_inside:
            # After the header line: noise ending in '/' before the rest of it would make it whole again.
            at = rng.randrange(telegram.index(b"\n") + 1, crc_end)
            out += telegram[:at] + noise(rng, rng.randint(1, 8)) + telegram[at:]
            damaged += 1
        else:
            out += telegram
            intact.append(telegram)
    return NoisyStream(bytes(out), intact, damaged)


def chunked(data: bytes, *, seed: int, largest: int = 300) -> list[bytes]:
    """``data`` in reads of random sizes from 1 to ``largest`` bytes."""
    rng = random.Random(seed)
    chunks, at = [], 0
    while at < len(data):
        size = rng.randint(1, largest)
        chunks.append(data[at : at + size])
        at += size
    return chunks
