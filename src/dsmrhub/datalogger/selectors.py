"""Read-only views of the datalogger for the status page and API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dsmrhub.datalogger.models import DataloggerState
from dsmrhub.datalogger.services import NO_SOURCE

ALIVE_WITHIN = timedelta(seconds=30)  # the datalogger writes a heartbeat every few seconds


def datalogger_status(*, now: datetime | None = None) -> dict[str, Any]:
    """The datalogger as last reported; datetimes are aware (UTC) or None.

    ``running`` says whether a heartbeat arrived within 30 s; ``connected`` whether the source was
    open at that moment (False when not running).
    """
    now = now or timezone.now()
    state = DataloggerState.peek()
    running = state.updated_at is not None and now - state.updated_at <= ALIVE_WITHIN
    return {
        "running": running,
        "source": state.source,
        "connected": running and state.connected,
        "last_telegram_at": state.last_telegram_at,
        "telegrams_per_minute": state.telegrams_per_minute if running else 0.0,
        "received_telegrams": state.received_telegrams,
        "rejected_telegrams": state.rejected_telegrams,
        "buffered_telegrams": state.buffered_telegrams,
        "buffer_error": state.buffer_error if running else "",
        "held_telegrams": state.held_telegrams if running else 0,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "started_at": state.started_at,
        "updated_at": state.updated_at,
    }


def datalogger_problems(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """The datalogger's problems in plain words (none when it never ran here, e.g. with a remote logger)."""
    status = datalogger_status(now=now)
    if status["updated_at"] is None:
        return []
    if not status["running"]:
        return [
            {
                "problem": _("The datalogger stopped reporting: is `dsmrhub run` (or `datalogger`) running?"),
                "since": status["updated_at"],
            }
        ]
    problems = []
    if status["buffer_error"]:
        problems.append(
            {
                "problem": _(
                    "The datalogger cannot write its buffer (%(error)s): %(count)d telegrams wait in memory"
                )
                % {"error": status["buffer_error"], "count": status["held_telegrams"]},
                "since": status["last_error_at"],
            }
        )
    if not status["connected"]:
        if status["last_error"] == NO_SOURCE:  # waiting for a source to be set (never demo data by itself)
            problem = _(
                "No meter source is configured, so nothing is read. Set one on the settings page, with "
                "`dsmrhub datalogger-settings --source serial:///dev/ttyUSB0` (or socket://HOST:PORT), or "
                "with the DSMRHUB_SOURCE environment variable."
            )
        elif status["last_error"]:
            problem = _("The datalogger cannot read %(source)s: %(error)s") % {
                "source": status["source"],
                "error": status["last_error"],
            }
        else:
            problem = _("The datalogger cannot read %(source)s") % {"source": status["source"]}
        problems.append({"problem": problem, "since": status["last_error_at"]})
    return problems
