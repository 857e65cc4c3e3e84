"""The framer on a noisy line: real telegrams (corpus and fixtures) between and beside garbage of any
bytes, cut-off and damaged telegrams, fed in reads of any size. Every intact telegram comes out exactly
once and in order; nothing else comes out as a telegram that passes."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsmrhub.telegram import Discarded, Frame, TelegramError, TelegramFramer, parse_telegram
from tests.conftest import FIXTURES
from tests.noise import chunked, noisy_stream
from tests.telegram.corpus import corpus_dir, manifest

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_SIZE = 8192


@cache
def pool() -> tuple[bytes, ...]:
    """Every distinct telegram of the corpus and fixtures that parses (with its CRC, where it has one),
    as the framer cuts it from its file, ending in a line end."""
    paths = sorted((FIXTURES / "telegrams").glob("*.txt"))
    paths += [corpus_dir() / entry["file"] for entry in manifest() or [] if entry["kind"] == "telegram"]
    found: dict[bytes, None] = {}
    for path in paths:
        framer = TelegramFramer()
        for item in framer.feed(path.read_bytes()) + framer.flush():
            if isinstance(item, Frame):
                try:
                    parse_telegram(item.data)
                except TelegramError:
                    continue
                data = item.data if item.data.endswith(b"\n") else item.data + b"\r\n"
                found[data] = None
    return tuple(found)


def has_crc(telegram: bytes) -> bool:
    return parse_telegram(telegram).crc is not None


@cache
def with_crc() -> tuple[bytes, ...]:
    """Telegrams whose CRC the framer checks, of variants that require one: cut short, they cannot pass."""
    return tuple(t for t in pool() if has_crc(t) and parse_telegram(t).variant != "ie")


def core(telegram: bytes) -> bytes:
    """'/' through the CRC digits: what must not appear whole in the noise."""
    return telegram.rstrip(b"\r\n")


def test_the_pool_covers_the_variants():
    variants = {parse_telegram(t).variant for t in pool()}
    assert {"dsmr22", "dsmr4", "dsmr5", "be", "lu"} <= variants or manifest() is None
    assert len(with_crc()) >= 5 and any(not has_crc(t) for t in pool())


@st.composite
def garbage(draw, crc_only: bool) -> bytes:
    """One piece of noise: any bytes, marker-heavy bytes, a telegram cut short, a telegram's tail, a
    telegram's middle, or a telegram with noise inside."""
    markers = st.lists(
        st.sampled_from(
            [b"/", b"!", b"\r\n", b"\n", b"\r", b"/ISK5", b"/ABC", b"!1A2B", b"(", b")", b"\x00", b"\xff"]
        ),
        max_size=10,
    ).map(b"".join)
    telegram = draw(st.sampled_from(with_crc() if crc_only else pool()))
    bang = telegram.rindex(b"!")
    kind = draw(st.sampled_from(["bytes", "markers", "cut", "tail", "middle", "inside"]))
    if kind == "bytes":
        return draw(st.binary(max_size=60))
    if kind == "markers":
        return draw(markers)
    if kind == "cut":  # cut off before its CRC is complete
        return telegram[: draw(st.integers(1, len(core(telegram)) - 1))]
    if kind == "tail":
        return telegram[draw(st.integers(1, len(telegram) - 1)) :]
    if kind == "middle":
        start = draw(st.integers(1, bang))
        return telegram[start : draw(st.integers(start, bang))]
    at = draw(st.integers(1, bang))
    return telegram[:at] + draw(st.binary(min_size=1, max_size=6) | markers.filter(bool)) + telegram[at:]


@st.composite
def streams(draw, crc_only: bool):
    """(intact telegrams in order, the reads of a stream holding them among noise); ``crc_only``: only
    telegrams whose CRC the framer checks, intact and in the noise."""
    telegrams = with_crc() if crc_only else pool()
    intact = draw(st.lists(st.sampled_from(telegrams), min_size=1, max_size=5))
    gaps = [b"".join(draw(st.lists(garbage(crc_only), max_size=3))) for _ in range(len(intact) + 1)]
    # The noise must not happen to hold a whole telegram (a cut one and its own tail, say).
    assume(not any(core(t) in gap for gap in gaps for t in pool()))
    stream = b"".join(gap + telegram for gap, telegram in zip(gaps, intact + [b""], strict=True))
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    chunks = [stream[start:end] for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    return intact, chunks


def framed(chunks: list[bytes]) -> list[Frame | Discarded]:
    framer = TelegramFramer(max_size=MAX_SIZE)
    items: list[Frame | Discarded] = []
    for chunk in chunks:
        items += framer.feed(chunk)
        assert len(framer._buffer) <= MAX_SIZE + len(chunk)  # memory stays bounded
    return items + framer.flush()


def check_accounting(items: list[Frame | Discarded], stream: bytes) -> None:
    """Every byte is in at most one item; only runs of blanks go unreported."""
    covered = sum(len(item.data) if isinstance(item, Frame) else item.size for item in items)
    blanks = sum(stream.count(byte) for byte in b" \t\r\n\x00")
    assert len(stream) - blanks <= covered <= len(stream)
    assert all(item.reason and item.size > 0 for item in items if isinstance(item, Discarded))


@SETTINGS
@given(st.data())
def test_every_intact_telegram_with_a_crc_comes_out_and_nothing_else_passes(data):
    intact, chunks = data.draw(streams(crc_only=True))
    items = framed(chunks)
    frames = [item.data for item in items if isinstance(item, Frame)]
    assert [frame for frame in frames if frame in intact] == intact
    for frame in frames:
        if frame in intact:
            continue
        # Only a frame without CRC can come from noise (the framer checks every CRC); it must not pass
        # as a telegram: rejected, or without a single meter position (which the ingest requires).
        assert not core(frame).rpartition(b"!")[2], frame
        try:
            tel = parse_telegram(frame)
        except TelegramError:
            continue
        assert tel.electricity_delivered_1 is None and tel.electricity_delivered_total is None, frame
    check_accounting(items, b"".join(chunks))


@SETTINGS
@given(st.data())
def test_every_intact_telegram_comes_out_also_without_crc(data):
    """DSMR 2.2/3.0 and EasyMeter telegrams have no CRC: the framer cannot check them, but it still finds
    each of them (its last header before the '!' line) however the noise around them looks."""
    intact, chunks = data.draw(streams(crc_only=False))
    items = framed(chunks)
    frames = [item.data for item in items if isinstance(item, Frame)]
    assert [frame for frame in frames if frame in intact] == intact
    assert all(frame in intact for frame in frames if core(frame).rpartition(b"!")[2])  # a CRC: checked
    check_accounting(items, b"".join(chunks))


@settings(SETTINGS, max_examples=30)
@given(st.integers(0, 2**32), st.integers(1, 2000))
def test_a_long_noisy_capture_loses_no_intact_telegram(seed, largest_read):
    """The generated captures of the import test and the benchmark, at harsher rates."""
    stream = noisy_stream(list(with_crc()) * 2, seed=seed, noise_between=0.6, cut=0.15, noise_inside=0.1)
    items = framed(chunked(stream.data, seed=seed, largest=largest_read))
    frames = [item.data for item in items if isinstance(item, Frame)]
    assert [frame for frame in frames if frame in stream.intact] == stream.intact
    passing = []
    for frame in frames:
        try:
            passing.append(parse_telegram(frame))
        except TelegramError:
            continue
    assert sum(tel.crc is not None for tel in passing) == len(stream.intact)
