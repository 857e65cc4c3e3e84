"""Log lines for where they go: a person at a terminal, or systemd's journal.

The journal stamps every line itself and reads a syslog priority from a ``<N>`` prefix (``journalctl -p
warning`` filters on it), so there each line is ``<N>LEVEL logger: message`` without a timestamp of ours.
systemd says stderr is the journal by ``JOURNAL_STREAM=DEVICE:INODE`` of that stream; ``dsmrhub run`` passes
the choice to its parts in ``DSMRHUB_LOG_FORMAT`` (their stderr is a pipe to it), which can also force it.
"""

from __future__ import annotations

import logging
import os
import sys

FORMAT_ENV = "DSMRHUB_LOG_FORMAT"  # "journal" or "human"; unset: journal when stderr is JOURNAL_STREAM
HUMAN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL = "%(levelname)s %(name)s: %(message)s"
# syslog(3) priorities, as sd-daemon(3)'s SD_ERR, SD_WARNING, …
PRIORITIES = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


def stderr_is_journal(*, environ: dict[str, str] | None = None, stream=None) -> bool:
    """Whether ``stream`` (stderr) is the journal stream systemd named in ``JOURNAL_STREAM``."""
    environ = os.environ if environ is None else environ
    named = environ.get("JOURNAL_STREAM", "")
    device, _, inode = named.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        found = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):  # closed, or not a real file (a test's capture)
        return False
    return (found.st_dev, found.st_ino) == (int(device), int(inode))


def log_format_journal(*, environ: dict[str, str] | None = None, stream=None) -> bool:
    """Whether log lines are for the journal: ``DSMRHUB_LOG_FORMAT`` when set, else stderr decides."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(FORMAT_ENV, "").strip().lower()
    if chosen in ("journal", "human"):
        return chosen == "journal"
    return stderr_is_journal(environ=environ, stream=stream)


def priority(levelno: int) -> int:
    """The syslog priority of a logging level (a level between two takes the more severe one's)."""
    for level in sorted(PRIORITIES, reverse=True):
        if levelno >= level:
            return PRIORITIES[level]
    return PRIORITIES[logging.DEBUG]


class LogFormatter(logging.Formatter):
    """``LOGGING``'s formatter: human lines with a timestamp, or journal lines with a priority prefix on every
    line (a traceback's lines too: the journal keeps each line as an entry of its own)."""

    def __init__(self, *args, journal: bool | None = None, **kwargs) -> None:
        self.journal = log_format_journal() if journal is None else journal
        super().__init__(JOURNAL if self.journal else HUMAN)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.journal:
            return text
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in text.split("\n"))
