"""Every telegram of the shared corpus parses to the values its sources assert (../shared/telegrams)."""

from __future__ import annotations

import pytest

from dsmrhub.telegram import TelegramError, TelegramFramer, decrypt_frame, parse_telegram

from . import corpus
from .corpus import entries, require

NO_END_LINE = "nodedsmr-iskra-mt382-no-end-1.txt"  # rejected on purpose: see test_telegram_without_end_line


def _is_single(entry: dict) -> bool:
    return entry["kind"] == "telegram" and entry["file"] != NO_END_LINE


@pytest.mark.parametrize("entry", entries(_is_single))
def test_expected_values(entry):
    entry = require(entry)
    tel = corpus.parse_entry(entry)
    given = corpus.telegram_given(entry)
    checked = 0
    for key, expected in (entry.get("expected") or {}).items():
        if key in corpus.NOT_FROM_TELEGRAM:
            continue
        if (entry["file"], key) in corpus.DEVIATIONS:
            _check_deviation(tel, entry, key, expected)
            checked += 1
            continue
        if key in given:  # the source's own interpretation (e.g. whole amperes): check the telegram's value
            expected = given[key]
        corpus.check_value(tel, key, expected, entry)
        checked += 1
    assert checked or not entry.get("expected")


@pytest.mark.parametrize("entry", entries(lambda entry: "from_telegram" in entry and _is_single(entry)))
def test_values_read_from_the_telegram(entry):
    entry = require(entry)
    tel = corpus.parse_entry(entry)
    corpus.check_from_telegram(tel, entry["from_telegram"]["values"], entry)


def _check_deviation(tel, entry, key, expected):
    """A documented difference must stay exactly as documented (and not silently change)."""
    if key == "timestamp_naive_local":
        assert tel.timestamp is None and expected is not None
    elif key == "gas_equipment_identifier":
        assert tel.gas is None and tel.other["0-0:96.1.0"] == f"({expected})"
    elif key == "mbus":
        corpus.check_mbus_map(tel, expected, entry)
    else:  # pragma: no cover
        raise AssertionError(key)


@pytest.mark.parametrize(
    "entry", entries(lambda entry: _is_single(entry) and entry["crc"].get("valid") is False)
)
def test_bad_crc_is_rejected_with_both_values(entry):
    entry = require(entry)
    data = corpus.read(entry)
    crc = entry["crc"]
    if crc.get("valid_when_unpadded_crc_allowed"):
        assert parse_telegram(data).crc == crc["given"].upper()  # '!B9F' is accepted
        return
    with pytest.raises(TelegramError) as caught:
        parse_telegram(data)
    assert (
        caught.value.reason == f"CRC mismatch: telegram says {crc['given']}, content gives {crc['computed']}"
    )
    parse_telegram(data, check_crc=False)


@pytest.mark.parametrize("entry", entries(lambda entry: _is_single(entry) and entry["crc"].get("valid")))
def test_valid_crc_is_accepted(entry):
    entry = require(entry)
    tel = parse_telegram(corpus.read(entry))
    assert tel.crc == entry["crc"]["given"].upper()


def test_telegram_without_end_line():
    """node-dsmr-parser accepts a telegram without '!'; we reject it, and with the line it parses right."""
    entry = require(next((e for e in corpus.manifest() or [] if e["file"] == NO_END_LINE), None))
    data = corpus.read(entry)
    with pytest.raises(TelegramError, match="truncated: no '!' end line"):
        parse_telegram(data)
    tel = parse_telegram(data + b"!\r\n")
    for key, expected in entry["expected"].items():
        corpus.check_value(tel, key, expected, entry)
    corpus.check_from_telegram(tel, entry["from_telegram"]["values"], entry)
    assert tel.text_message == "test-/-test"


@pytest.mark.parametrize("entry", entries(lambda entry: entry["kind"] == "stream"))
def test_streams_through_the_framer(entry):
    entry = require(entry)
    data = corpus.read(entry)
    framer = TelegramFramer()
    items = framer.feed(data) + framer.flush()
    frames = [item for item in items if hasattr(item, "data")]
    final = entry["crc"]["last_telegram_in_stream"]
    if not final["valid"]:
        # dsmr5 'overflow': no header before its '!67B1' line gives that CRC, so nothing comes out; the
        # bytes up to its last header are an incomplete telegram, the rest fails its CRC.
        assert not frames
        *before, last = items
        assert sum(item.size for item in before) == final["starts_at_byte"]
        assert (
            last.reason == f"CRC mismatch: telegram says {final['given']}, content gives {final['computed']}"
        )
        assert (
            data[final["starts_at_byte"] :].rstrip() == data[final["starts_at_byte"] :][: last.size].rstrip()
        )
        return
    assert frames, entry["file"]
    last = frames[-1].data
    assert data[final["starts_at_byte"] :].startswith(last)
    tel = parse_telegram(last)
    for key, expected in (entry.get("expected") or {}).items():
        if key == "crc_valid":  # dsmr-tools treats the whole stream as one telegram: its CRC fails
            with pytest.raises(TelegramError, match="CRC mismatch"):
                parse_telegram(data.lstrip())
            continue
        corpus.check_value(tel, key, expected, entry)


@pytest.mark.parametrize("entry", entries(lambda entry: entry["kind"] == "encrypted"))
def test_encrypted_frames_decrypt_to_their_plaintext(entry):
    entry = require(entry)
    crypto = entry["encryption"]
    plaintext = decrypt_frame(
        corpus.read(entry), key=crypto["encryption_key"], auth_key=crypto["authentication_key"]
    )
    assert plaintext == (corpus.corpus_dir() / crypto["plaintext_file"]).read_bytes()
    tel = parse_telegram(plaintext, check_crc=crypto["verified"]["plaintext_crc"]["valid"])
    assert tel.electricity_delivered_total is not None
