"""Everything the status page shows, gathered from the apps' selectors (small queries only)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dsmrhub import __version__
from dsmrhub.alerts.problems import problems_current
from dsmrhub.alerts.selectors import alerts_status
from dsmrhub.backup.selectors import backup_status
from dsmrhub.datalogger.selectors import datalogger_status
from dsmrhub.mqtt.selectors import mqtt_status
from dsmrhub.processing.models import MeterEpoch
from dsmrhub.processing.selectors import application_status
from dsmrhub.readings.models import MeterStatistics

REFRESH_SECONDS = 10  # the page fetches itself this often (static/web/status.js)


def database_size() -> int | None:
    """Bytes the database takes: the SQLite file (pages plus write-ahead log) or pg_database_size."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            size = int(pages) * int(cursor.fetchone()[0])
            name = str(connection.settings_dict.get("NAME") or "")
            wal = Path(f"{name}-wal")
            if name and ":memory:" not in name and "mode=memory" not in name and wal.is_file():
                size += wal.stat().st_size
            return size
    return None


def age_text(seconds: int | None) -> str:
    """How long ago, in words: "12 seconds", "5 minutes", "3 hours", "2 days"."""
    if seconds is None:
        return "–"
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = seconds // 60
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def problem_html(text: str) -> SafeString:
    """A problem's plain words as HTML: everything escaped, a command in `backticks` as <code>."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick: no markup at all
        return format_html("{}", text)
    return format_html_join(
        "",
        "{}",
        ((piece if i % 2 == 0 else format_html("<code>{}</code>", piece),) for i, piece in enumerate(pieces)),
    )


CAPABILITY_LABELS = {
    "electricity": _("Electricity"),
    "electricity_returned": _("Electricity returned"),
    "gas": _("Gas"),
    "multi_phases": _("Three phases"),
}


def status_gather(*, now: datetime | None = None) -> dict[str, Any]:
    """The application's, datalogger's and MQTT publisher's state, the problems and the database size."""
    now = now or timezone.now()
    application = application_status(now=now)
    capabilities = application["capabilities"]
    problems = [
        {"problem": problem_html(problem.text), "since": problem.since, "source": problem.source}
        for problem in problems_current(now=now)
    ]
    rejected = MeterStatistics.row().values_list("rejected_telegrams", flat=True).first()
    return {
        "now": now,
        "version": __version__,
        "application": application,
        "latest_reading_age": age_text(application["readings"]["seconds_since"]),
        "unprocessed_age": age_text(application["readings"]["unprocessed"]["seconds_since"]),
        "processing_lag": age_text(application["processing"]["lag_seconds"]),
        "last_run_age": age_text(application["processing"]["seconds_since_last_run"]),
        "rejected_telegrams": rejected or 0,
        "datalogger": datalogger_status(now=now),
        "mqtt": mqtt_status(now=now),
        "meter_epochs": application["meter_epochs"],
        "meter_epoch_count": MeterEpoch.objects.count(),
        "database": {"vendor": connection.vendor, "size": database_size()},
        "capabilities": [
            (str(label), bool(capabilities.get(name))) for name, label in CAPABILITY_LABELS.items()
        ],
        "problems": problems,
        "backup": backup_status(now=now),
        "alerts": alerts_status(),
        "refresh_seconds": REFRESH_SECONDS,
    }
