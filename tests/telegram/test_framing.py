"""TelegramFramer and EncryptedFramer: reads split anywhere, resynchronisation, garbage, limits."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsmrhub.telegram import (
    Discarded,
    EncryptedFramer,
    Frame,
    TelegramError,
    TelegramFramer,
    crc16_arc,
    parse_telegram,
)
from dsmrhub.telegram.framing import find_line_start

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegrams"


def telegram(body: str, *, crc: bool = True, end: str = "\r\n") -> bytes:
    """A telegram from '/' .. '!' with its CRC (or a bare '!') and line end."""
    raw = body.replace("\n", "\r\n").encode("latin-1") + b"!"
    if crc:
        raw += b"%04X" % crc16_arc(raw)
    return raw + end.encode()


ONE = telegram("/ISK5\\2M550T-1012\n\n1-3:0.2.8(50)\n0-0:1.0.0(190324150541W)\n1-0:1.8.1(003432.829*kWh)\n")
TWO = telegram("/KFM5KAIFA-METER\n\n1-3:0.2.8(42)\n1-0:1.8.1(001073.079*kWh)\n0-0:96.13.0(test-/-test)\n")
DSMR22 = telegram("/ISk5\\2MT382-1003\n\n1-0:1.8.1(01234.784*kWh)\n", crc=False, end="\r\n")


def run(framer, chunks) -> list:
    out = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out + framer.flush()


def frames(items) -> list[bytes]:
    return [item.data for item in items if isinstance(item, Frame)]


def test_whole_stream_in_one_read():
    items = run(TelegramFramer(), [ONE + TWO + DSMR22])
    assert items == [Frame(ONE), Frame(TWO), Frame(DSMR22)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_reads_of_any_size(size):
    stream = b"garbage\r\n" + ONE + b"\r\n" + TWO + b"\x00\xff junk\n" + DSMR22
    chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
    items = run(TelegramFramer(), chunks)
    assert frames(items) == [ONE, TWO, DSMR22]
    assert [item.size for item in items if isinstance(item, Discarded)] == [9, 8]


def test_every_split_point_including_inside_crlf_and_crc():
    stream = ONE + TWO
    for cut in range(len(stream) + 1):
        assert frames(run(TelegramFramer(), [stream[:cut], stream[cut:]])) == [ONE, TWO], cut


def test_crc_line_without_line_end_at_end_of_stream_needs_flush():
    last = ONE.rstrip(b"\r\n")  # '...!1BB8' and nothing more
    framer = TelegramFramer()
    assert framer.feed(last) == []
    assert framer.flush() == [Frame(last)]
    assert parse_telegram(last).crc == last[-4:].decode()


def test_crc_line_with_bare_lf_and_a_bare_bang():
    lf = ONE[:-2] + b"\n"
    bare = DSMR22.rstrip(b"\r\n")  # DSMR 2.2 '!' without anything
    assert frames(run(TelegramFramer(), [lf + bare + b"/" + TWO[1:]])) == [lf, bare, TWO]
    assert frames(run(TelegramFramer(), [bare])) == [bare]


def test_unpadded_crc():
    raw = b"/XMX5LGF\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!"
    crc = crc16_arc(raw)
    short = raw + f"{crc:X}".encode() + b"\r\n"
    assert frames(run(TelegramFramer(), [short])) == [short]


def test_new_header_discards_the_unfinished_telegram():
    cut = ONE[: ONE.index(b"1-0:1.8.1") + 12] + b"\r\n"
    items = run(TelegramFramer(), [cut + TWO])
    assert items == [
        Discarded("incomplete telegram: a new header started before its '!' line", len(cut)),
        Frame(TWO),
    ]


def test_slash_inside_a_line_is_no_header():
    """0-0:96.13.0(test-/-test) starts no telegram; '...kWh)/ISK5' may, but the first header whose CRC
    holds wins, so a telegram with a header-like text inside comes out whole."""
    assert frames(run(TelegramFramer(), [TWO])) == [TWO]
    body = ONE[: ONE.index(b"!")].decode("latin-1").replace("\r\n", "\n")
    glued = telegram(body.replace("(003432.829*kWh)\n", "(003432.829*kWh)/ISK5\\2M550T-1012\n"))
    assert frames(run(TelegramFramer(), [glued])) == [glued]


def test_a_header_glued_to_noise_is_found():
    """Line noise without a line end before a header (the loss seen on ser2net streams)."""
    for noise in (b"\x00\xff~~", b"xx/yy", b"/", b"/AB", b"!", b"\r\n!", b"\r\n/ABC junk"):
        items = run(TelegramFramer(), [ONE + noise + TWO + noise + ONE])
        assert frames(items) == [ONE, TWO, ONE], noise
        reported = len(noise) - 2 if noise.startswith(b"\r\n/") else len(noise)  # a blank-only run is not
        assert [item.size for item in items if isinstance(item, Discarded)] == [reported] * 2, noise


def test_a_telegram_cut_mid_line_before_a_glued_header():
    cut = ONE[: ONE.index(b"1-0:1.8.1") + 12]  # '1-0:1.8.1(003' and the next header right after it
    items = run(TelegramFramer(), [cut + TWO + cut + DSMR22])
    assert items == [
        Discarded("incomplete telegram: a new header started before its '!' line", len(cut)),
        Frame(TWO),
        Discarded("incomplete telegram: a new header started before its '!' line", len(cut)),
        Frame(DSMR22),
    ]


def test_a_cut_telegram_whose_crc_is_zero_does_not_swallow_the_next():
    """CRC-16/ARC starts from 0: bytes whose CRC is 0 before a telegram leave its CRC as it is, so the
    frame from the cut one's header passes the check too. The latest header that gives the CRC wins."""
    prefix = b"/ISK5\\2M550T-1012\r\n\r\n1-0:1.8.1(0034"
    cut = prefix + crc16_arc(prefix).to_bytes(2, "little")  # found by the property tests in a real one
    assert crc16_arc(cut) == 0
    assert crc16_arc(cut + ONE[: ONE.index(b"!") + 1]) == int(ONE[-6:-2], 16)
    assert run(TelegramFramer(), [cut + ONE]) == [
        Discarded("incomplete telegram: a new header started before its '!' line", len(cut)),
        Frame(ONE),
    ]


def test_a_frame_failing_its_crc_is_discarded_with_the_parsers_reason():
    bad = ONE.replace(b"003432.829", b"003432.830")
    items = run(TelegramFramer(), [bad + TWO])
    computed = crc16_arc(bad[: bad.index(b"!") + 1])
    reason = f"CRC mismatch: telegram says {ONE[-6:-2].decode()}, content gives {computed:04X}"
    assert items == [Discarded(reason, len(bad)), Frame(TWO)]
    with pytest.raises(TelegramError) as caught:
        parse_telegram(bad)
    assert caught.value.reason == reason


def test_noise_inside_a_telegram_loses_only_that_telegram():
    middle = ONE.index(b"1-0:1.8.1")
    for noise in (b"x", b"/ABC", b"\r\n/KFM5", b"!"):
        damaged = ONE[:middle] + noise + ONE[middle:]
        assert frames(run(TelegramFramer(), [TWO + damaged + TWO])) == [TWO, TWO], noise


def test_truncated_at_end_of_stream():
    items = run(TelegramFramer(), [ONE + TWO[:50]])
    assert items == [Frame(ONE), Discarded("truncated: stream ended before the '!' line", 50)]


def test_blank_lines_between_telegrams_are_not_reported():
    assert run(TelegramFramer(), [b"\r\n" + ONE + b"\r\n\r\n" + TWO + b"\n"]) == [Frame(ONE), Frame(TWO)]


def test_runaway_telegram_is_discarded_and_the_framer_recovers():
    framer = TelegramFramer(max_size=256)
    huge = b"/HEADER\r\n" + b"1-0:1.8.1(000001.000*kWh)\r\n" * 40
    items = run(framer, [huge[i : i + 100] for i in range(0, len(huge), 100)] + [b"\r\n" + ONE])
    assert frames(items) == [ONE]
    assert any(isinstance(item, Discarded) and item.reason.startswith("runaway") for item in items)


def test_a_megabyte_of_garbage_keeps_memory_bounded():
    framer = TelegramFramer()
    garbage = bytes(range(256)).replace(b"/", b"x").replace(b"!", b"x") * 4096  # 1 MiB
    tracemalloc.start()
    items = []
    for offset in range(0, len(garbage), 4096):
        items += framer.feed(garbage[offset : offset + 4096])
        assert len(framer._buffer) <= 4096 + framer.max_size
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    items += framer.feed(b"\n" + ONE) + framer.flush()
    assert peak < 1_000_000
    discarded = [item for item in items if isinstance(item, Discarded)]
    assert discarded and sum(item.size for item in discarded) == len(garbage)  # the "\n" alone is blank
    assert frames(items) == [ONE]


def test_one_huge_read_of_garbage():
    items = run(TelegramFramer(), [b"\xff" * 1_000_000])
    assert items == [Discarded("garbage between telegrams", 1_000_000)]


def test_max_size_must_be_sensible():
    with pytest.raises(ValueError):
        TelegramFramer(max_size=1)


# Encrypted frames ------------------------------------------------------------------------------
LU_FRAME = (FIXTURES / "nodedsmr-smarty-lu-spec-encrypted-1.bin").read_bytes()
AT_FRAME = (FIXTURES / "esphomelibs-sagemcom-t210dr-encrypted-1.bin").read_bytes()
LU_KEY = bytes.fromhex("0123456789abcdef0123456789abcdef")
LU_AUTH = bytes.fromhex("ffeeddccbbaa99887766554433221100")


@pytest.mark.parametrize("size", [1, 5, 100, 10_000])
def test_encrypted_frames_in_a_stream(size):
    stream = b"\x00\xdb" + LU_FRAME + b"noise\xdb\x08" + AT_FRAME + LU_FRAME
    chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
    items = run(EncryptedFramer(), chunks)
    assert frames(items) == [LU_FRAME, AT_FRAME, LU_FRAME]
    assert sum(item.size for item in items if isinstance(item, Discarded)) == 2 + 7


def test_encrypted_framer_decrypts_with_a_key():
    items = run(EncryptedFramer(key=LU_KEY, auth_key=LU_AUTH), [LU_FRAME + AT_FRAME])
    assert items[0] == Frame((FIXTURES / "nodedsmr-smarty-lu-spec-1.txt").read_bytes())
    assert isinstance(items[1], Discarded) and items[1].reason.startswith("decryption failed")


def test_encrypted_framer_reports_a_truncated_frame():
    items = run(EncryptedFramer(), [LU_FRAME[:200]])
    assert items == [Discarded("truncated encrypted frame at end of stream", 200)]


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from(b"\n!/a\r"), max_size=24).map(bytes),
    mark=st.sampled_from([b"!", b"/"]),
    bounds=st.tuples(st.integers(0, 26), st.integers(0, 26)),
)
def test_find_line_start_is_find_of_line_end_and_mark(data, mark, bounds):
    start, end = bounds
    expected = data.find(b"\n" + mark, start, end)
    assert find_line_start(data, mark, start, end) == expected
    assert find_line_start(data.decode("latin-1"), mark.decode(), start, end) == expected
