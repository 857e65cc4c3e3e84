"""Decrypt DLMS general-global-cipher frames (Luxembourg Smarty, Sagemcom T210-D-r, ...).

Frame: ``DB 08`` + 8-byte system title + length (``82 hi lo``) + security control byte +
4-byte frame counter + AES-128-GCM ciphertext + 12-byte tag. IV = system title + frame counter;
the tag covers AAD = security byte + authentication key.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import TelegramError

_TAG_SIZE = 12
_AUTHENTICATED = 0x10
_ENCRYPTED = 0x20


def frame_length(data: bytes | bytearray) -> tuple[int, int] | None:
    """(header size, body length) of a ``DB 08`` frame at data[0]; None while too short to tell.

    Raises ``ValueError`` for a length field this framing does not use.
    """
    if len(data) < 11:
        return None
    first = data[10]
    if first < 0x80:
        return 11, first
    if first == 0x81:
        return (12, data[11]) if len(data) >= 12 else None
    if first == 0x82:
        return (13, data[11] << 8 | data[12]) if len(data) >= 13 else None
    raise ValueError(f"bad length byte 0x{first:02X}")


def _key(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise TelegramError(f"decryption failed: {what} is not hex") from None
    if len(value) != 16:
        raise TelegramError(f"decryption failed: {what} must be 16 bytes (32 hex digits), got {len(value)}")
    return bytes(value)


def decrypt_frame(frame: bytes, *, key: bytes | str, auth_key: bytes | str | None = None) -> bytes:
    """Plaintext telegram of one encrypted frame. Raises ``TelegramError("decryption failed: ...")``.

    With ``auth_key`` the GCM tag is checked over AAD = security byte + authentication key. Without
    it the tag is checked over an empty AAD; if that does not match either (the meter's
    authentication key is unknown), the frame is decrypted without the tag and accepted only if
    the result looks like a telegram - its own CRC then guards the content.
    """
    key_bytes = _key(key, "key")
    auth_bytes = None if auth_key is None else _key(auth_key, "authentication key")
    if len(frame) < 2 or frame[0] != 0xDB or frame[1] != 0x08:
        raise TelegramError("decryption failed: not a general-global-cipher frame (no DB 08 start)")
    try:
        layout = frame_length(frame)
    except ValueError as error:
        raise TelegramError(f"decryption failed: {error}") from None
    if layout is None:
        raise TelegramError("decryption failed: frame too short")
    header, length = layout
    body = frame[header : header + length]
    if len(body) < length or length < 5:
        raise TelegramError(f"decryption failed: frame truncated ({len(body)} of {length} bytes)")
    security = body[0]
    if not security & _ENCRYPTED:
        raise TelegramError(f"decryption failed: security control byte 0x{security:02X} is not 'encrypted'")
    iv = bytes(frame[2:10]) + bytes(body[1:5])
    payload = bytes(body[5:])
    if not security & _AUTHENTICATED:
        return _checked(_ctr(key_bytes, iv, payload))
    if len(payload) < _TAG_SIZE:
        raise TelegramError("decryption failed: frame shorter than its authentication tag")
    ciphertext, tag = payload[:-_TAG_SIZE], payload[-_TAG_SIZE:]
    aad = b"" if auth_bytes is None else bytes([security]) + auth_bytes
    decryptor = Cipher(algorithms.AES(key_bytes), modes.GCM(iv, tag, min_tag_length=_TAG_SIZE)).decryptor()
    decryptor.authenticate_additional_data(aad)
    plaintext = decryptor.update(ciphertext)
    try:
        return plaintext + decryptor.finalize()
    except InvalidTag:
        if auth_bytes is not None:
            raise TelegramError(
                "decryption failed: authentication tag does not match (wrong key or authentication key)"
            ) from None
    return _checked(_ctr(key_bytes, iv, ciphertext))


def _ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    """GCM's keystream without the tag: AES-CTR from counter block IV || 00000002."""
    decryptor = Cipher(algorithms.AES(key), modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _checked(plaintext: bytes) -> bytes:
    if not plaintext.startswith(b"/") or b"\n!" not in plaintext:
        raise TelegramError("decryption failed: wrong key (the decrypted frame is not a telegram)")
    return plaintext
