"""What is a problem: the one list the status page, the API and the alerts show.

Each owning app says what is wrong in its part (``*_problems`` selectors); this module gathers them in a
fixed order with their source and a key that stays the same while the problem lasts, so that an alert is
sent when a problem appears and when it clears, not each time its figures change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from dsmrhub.backup.selectors import backup_problems, disk_problems
from dsmrhub.datalogger.selectors import datalogger_problems
from dsmrhub.processing.selectors import application_problems
from dsmrhub.spotprices.selectors import spot_price_problems

_FIGURES = re.compile(r"\d+")

PROBLEM_SOURCES: tuple[tuple[str, Callable[..., list[dict[str, Any]]]], ...] = (
    ("dsmrhub.datalogger", datalogger_problems),
    ("dsmrhub.processing", application_problems),
    ("dsmrhub.spotprices", spot_price_problems),
    ("dsmrhub.backup", backup_problems),
    ("dsmrhub.backup", lambda *, now: disk_problems()),
)


@dataclass(frozen=True, slots=True)
class Problem:
    source: str  # the package that reports it
    key: str  # the same while the problem lasts (its text without the figures, unless it names a key)
    text: str  # plain words; a command in `backticks`
    since: datetime | None


def problems_current(*, now: datetime | None = None) -> list[Problem]:
    """Every problem now, in the active language."""
    now = now or timezone.now()
    found = []
    for source, problems_of in PROBLEM_SOURCES:
        for item in problems_of(now=now):
            text = str(item["problem"])
            key = item.get("key") or _FIGURES.sub("#", text)
            found.append(
                Problem(source=source, key=f"{source}:{key}"[:300], text=text, since=item.get("since"))
            )
    return found
