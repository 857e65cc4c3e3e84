"""From byte chunks to telegrams: framing (plain or encrypted), and the optional minimum interval."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dsmrhub.datalogger.sources import meter_moment
from dsmrhub.telegram import Discarded, EncryptedFramer, Frame, TelegramFramer

# Without a meter clock (DSMR 2.2) the interval is measured on receipt; allow for jitter.
RECEIPT_TOLERANCE = 0.5


@dataclass(frozen=True, slots=True)
class Received:
    telegram: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StreamSettings:
    decryption_key: str = ""  # 32 hex digits for encrypted meters, "" for plain P1
    authentication_key: str = ""
    min_interval: float = 0.0  # seconds between kept telegrams; 0 keeps all


class TelegramStream:
    """Feeds chunks to the right framer and yields ``Received`` telegrams and ``Discarded`` bytes.

    Telegrams closer than ``min_interval`` to the last kept one are dropped silently (counted in
    ``skipped``); they are not errors. Changing ``settings.min_interval`` needs no new stream.
    """

    def __init__(self, settings: StreamSettings) -> None:
        self.settings = settings
        key = settings.decryption_key
        self._framer = (
            EncryptedFramer(key=key, auth_key=settings.authentication_key or None)
            if key
            else TelegramFramer()
        )
        self._last_moment: datetime | None = None
        self._last_receipt: float | None = None
        self.skipped = 0

    def feed(self, chunk: bytes) -> list[Received | Discarded]:
        return self._keep(self._framer.feed(chunk)) if chunk else []

    def flush(self) -> list[Received | Discarded]:
        return self._keep(self._framer.flush())

    def _keep(self, items: list[Frame | Discarded]) -> list[Received | Discarded]:
        out: list[Received | Discarded] = []
        now = datetime.now(UTC)
        for item in items:
            if isinstance(item, Discarded):
                out.append(item)
            elif self._due(item.data):
                out.append(Received(item.data, now))
            else:
                self.skipped += 1
        return out

    def _due(self, telegram: bytes) -> bool:
        interval = self.settings.min_interval
        moment = meter_moment(telegram) if interval > 0 else None
        receipt = time.monotonic()
        if interval <= 0:
            return True
        if moment is not None:
            if self._last_moment is not None and timedelta(0) <= moment - self._last_moment < timedelta(
                seconds=interval
            ):
                return False
            self._last_moment = moment
            return True
        if self._last_receipt is not None and receipt - self._last_receipt < interval - RECEIPT_TOLERANCE:
            return False
        self._last_receipt = receipt
        return True
