"""decrypt_frame: DLMS general-global-cipher (AES-128-GCM) frames."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dsmrhub.telegram import TelegramError, decrypt_frame, parse_telegram

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegrams"
WITH_AAD = (FIXTURES / "nodedsmr-smarty-lu-spec-encrypted-1.bin").read_bytes()
WITHOUT_AAD = (FIXTURES / "nodedsmr-smarty-lu-spec-encrypted-2.bin").read_bytes()
PLAIN = (FIXTURES / "nodedsmr-smarty-lu-spec-1.txt").read_bytes()
KEY = bytes.fromhex("0123456789abcdef0123456789abcdef")
AUTH = bytes.fromhex("ffeeddccbbaa99887766554433221100")


def encrypt(plaintext: bytes, *, key: bytes, auth_key: bytes | None, counter: int = 1) -> bytes:
    """Build a frame the way a meter does (12-byte tag), to test layouts the fixtures lack."""
    title, security = b"TESTMETR", 0x30
    iv = title + counter.to_bytes(4, "big")
    aad = b"" if auth_key is None else bytes([security]) + auth_key
    sealed = AESGCM(key).encrypt(iv, plaintext, aad)
    body = bytes([security]) + counter.to_bytes(4, "big") + sealed[:-16] + sealed[-16:-4]
    return b"\xdb\x08" + title + b"\x82" + len(body).to_bytes(2, "big") + body


def test_with_authentication_key():
    assert decrypt_frame(WITH_AAD, key=KEY, auth_key=AUTH) == PLAIN


def test_tag_over_empty_aad_without_authentication_key():
    assert decrypt_frame(WITHOUT_AAD, key=KEY) == PLAIN


def test_unknown_authentication_key_falls_back_to_the_telegram_crc():
    """The meter's authentication key is unknown: decrypt without the tag; the result must be a telegram."""
    assert decrypt_frame(WITH_AAD, key=KEY) == PLAIN


def test_keys_as_hex_text():
    assert decrypt_frame(WITH_AAD, key=KEY.hex(), auth_key=AUTH.hex().upper()) == PLAIN


def test_wrong_keys():
    with pytest.raises(TelegramError, match=r"^decryption failed: authentication tag does not match"):
        decrypt_frame(WITH_AAD, key=KEY, auth_key=bytes(16))
    with pytest.raises(TelegramError, match=r"^decryption failed: authentication tag does not match"):
        decrypt_frame(WITH_AAD, key=bytes(16), auth_key=AUTH)
    with pytest.raises(TelegramError, match=r"^decryption failed: wrong key"):
        decrypt_frame(WITHOUT_AAD, key=bytes(16))


@pytest.mark.parametrize(
    ("frame", "key", "message"),
    [
        (WITH_AAD[:100], KEY, "frame truncated"),
        (b"\xdb\x08abc", KEY, "frame too short"),
        (b"/ISK5" + WITH_AAD, KEY, "not a general-global-cipher frame"),
        (WITH_AAD, KEY[:8], "key must be 16 bytes"),
        (WITH_AAD, "not hex", "key is not hex"),
        (WITH_AAD[:10] + b"\x83" + WITH_AAD[11:], KEY, "bad length byte 0x83"),
    ],
)
def test_malformed(frame, key, message):
    with pytest.raises(TelegramError) as caught:
        decrypt_frame(frame, key=key)
    assert caught.value.reason.startswith("decryption failed: ") and message in caught.value.reason


def test_a_frame_built_here_round_trips():
    telegram = b"/XYZ5\r\n\r\n1-3:0.2.8(50)\r\n1-0:1.8.0(000001.000*kWh)\r\n!"
    frame = encrypt(telegram, key=KEY, auth_key=AUTH, counter=7)
    assert decrypt_frame(frame, key=KEY, auth_key=AUTH) == telegram
    assert (
        parse_telegram(decrypt_frame(frame, key=KEY), check_crc=False).electricity_delivered_total is not None
    )
    tampered = frame[:-20] + bytes([frame[-20] ^ 1]) + frame[-19:]
    with pytest.raises(TelegramError, match="authentication tag"):
        decrypt_frame(tampered, key=KEY, auth_key=AUTH)
