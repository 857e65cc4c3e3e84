"""The one exception the telegram package raises."""

from __future__ import annotations

CRC_MISMATCH = "CRC mismatch"  # how every CRC rejection starts, from the framer or the parser


class TelegramError(ValueError):
    """A telegram (or frame) that cannot be used; ``reason`` says why, ``line`` where (1-based) if known."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def __reduce__(self):  # keep .line when pickled (e.g. across worker processes)
        return (_rebuild, (self.reason, self.line))


def _rebuild(reason: str, line: int | None) -> TelegramError:
    return TelegramError(reason, line=line)
