"""The one retry rule: pauses that double after each failure, up to a cap, and start over after a success.

Dependency-free: the datalogger, the forwarder, the MQTT publisher, the buffer writer and the run
supervisor all pace their retries with it.
"""

from __future__ import annotations

FIRST_RETRY = 0.5  # seconds: the first pause after a failure, unless a caller has reason for another
RETRY_MAX = 30.0  # seconds: the longest pause (the datalogger's and the MQTT publisher's default)


class Backoff:
    """Pauses that double from ``initial`` up to ``cap``; ``reset()`` after a success."""

    def __init__(self, *, cap: float = RETRY_MAX, initial: float = FIRST_RETRY) -> None:
        self.initial = min(initial, cap)
        self.cap = cap
        self._next = self.initial

    def next(self) -> float:
        """The pause before the next try; the one after it doubles (up to ``cap``)."""
        pause = self._next
        self._next = min(self._next * 2, self.cap)
        return pause

    def reset(self) -> None:
        self._next = self.initial
