"""Pure-Python DSMR / P1 telegram handling: framing, CRC, decryption and one-pass parsing.

Imports nothing from Django. See ``specs`` for the supported variants.
"""

from .crc import crc16_arc
from .decrypt import decrypt_frame
from .errors import CRC_MISMATCH, TelegramError
from .framing import Discarded, EncryptedFramer, Frame, TelegramFramer
from .model import MBusReading, MonthlyPeak, PowerFailure, Telegram
from .parser import parse_telegram
from .specs import VARIANTS, detect_variant

__all__ = [
    "CRC_MISMATCH",
    "VARIANTS",
    "Discarded",
    "EncryptedFramer",
    "Frame",
    "MBusReading",
    "MonthlyPeak",
    "PowerFailure",
    "Telegram",
    "TelegramError",
    "TelegramFramer",
    "crc16_arc",
    "decrypt_frame",
    "detect_variant",
    "parse_telegram",
]
