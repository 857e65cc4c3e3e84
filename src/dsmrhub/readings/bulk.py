"""Many telegrams at once: the one ingest check (``readings.check``), with set-based storage.

Used where telegrams arrive in bulk (``dsmrhub import``, a datalogger catching up on its buffer). Each
telegram is checked by ``reading_check_telegram``, as in the ingest service, so a telegram is stored,
recognised as a duplicate or rejected for the same reason either way. The difference is only in the
writing: one insert for a batch of readings, one for their M-Bus rows, one meter statistics update from
the newest telegram and one counter update for the rejections.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from dsmrhub.readings.check import READING_COLUMNS, Checked, reading_check_telegram, reading_check_values
from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics
from dsmrhub.readings.services import meter_statistics_get, meter_statistics_store

logger = logging.getLogger(__name__)

_TIMESTAMP = READING_COLUMNS.index("timestamp")
_COLUMNS = ", ".join(
    connection.ops.quote_name(DsmrReading._meta.get_field(name).column) for name in READING_COLUMNS
)


@dataclass
class BulkResult:
    stored: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> count

    def add(self, other: BulkResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected.update(other.rejected)


def readings_check_many(
    telegrams: Iterable[tuple[str | bytes, datetime | None]], *, keep_parsed: bool = True
) -> list[Checked | str]:
    """``reading_check_telegram`` for many (telegram, received_at) pairs, looking settings up once; a
    pair without its received_at is stamped now if its meter clock was never set. With
    ``keep_parsed=False`` only the newest telegram keeps its parsed form (all storing needs of it)."""
    tz = settings.TIME_ZONE
    now = timezone.now()
    checked = [reading_check_telegram(text, received_at=at or now, tz=tz, now=now) for text, at in telegrams]
    if not keep_parsed:
        newest = None
        for index, item in enumerate(checked):
            if not isinstance(item, str) and (newest is None or item.timestamp > checked[newest].timestamp):
                newest = index
        for index, item in enumerate(checked):
            if index != newest and not isinstance(item, str):
                checked[index] = Checked(item.timestamp, item.row, item.mbus, None)
    return checked


def readings_check_values_many(values: Iterable[dict]) -> list[Checked | str]:
    """``reading_check_values`` for many readings given as values (an import from another program's
    database), judged at one moment; store the result with ``readings_store_checked``."""
    now = timezone.now()
    return [reading_check_values(item, now=now) for item in values]


def readings_ingest_bulk(
    *, telegrams: Iterable[tuple[str | bytes, datetime | None]], log_rejections: bool = False
) -> BulkResult:
    """Check and store (telegram, received_at) pairs in one transaction; the first of a timestamp wins."""
    return readings_store_checked(checked=readings_check_many(telegrams), log_rejections=log_rejections)


def readings_store_checked(*, checked: list[Checked | str], log_rejections: bool = False) -> BulkResult:
    """Store already checked telegrams (from ``readings_check_many``) in one transaction."""
    result = BulkResult()
    fresh: dict[int, Checked] = {}  # by the timestamp column (Unix seconds), the reading's unique key
    for item in checked:
        if isinstance(item, str):
            result.rejected[item] += 1
            if log_rejections:
                logger.warning("telegram rejected: %s", item)
        elif (seconds := item.row[_TIMESTAMP]) in fresh:
            result.duplicates += 1
        else:
            fresh[seconds] = item
    with transaction.atomic():
        if fresh:
            existing = _stored_seconds(list(fresh))
            result.duplicates += len(existing)
            new = [item for seconds, item in fresh.items() if seconds not in existing]
            result.stored = _insert_readings(new)
            _insert_mbus(new)
            newest = fresh[max(fresh)]
            if newest.parsed is not None:
                meter_statistics_store(parsed=newest.parsed, timestamp=newest.timestamp)
        rejected = sum(result.rejected.values())
        if rejected:
            meter_statistics_get()
            MeterStatistics.row().update(rejected_telegrams=F("rejected_telegrams") + rejected)
    return result


def _stored_seconds(seconds: list[int]) -> set[int]:
    """Which of the timestamp column values ``seconds`` are stored already."""
    quote = connection.ops.quote_name
    table = quote(DsmrReading._meta.db_table)
    column = quote(DsmrReading._meta.get_field("timestamp").column)
    found: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(seconds), 500):  # well below every backend's parameter limit
            part = seconds[start : start + 500]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", part)
            found.update(row[0] for row in cursor.fetchall())
    return found


def _insert_readings(items: list[Checked]) -> int:
    if not items:
        return 0
    table = connection.ops.quote_name(DsmrReading._meta.db_table)
    marks = ", ".join(["%s"] * len(READING_COLUMNS))
    with connection.cursor() as cursor:
        # A concurrent writer may have stored one of them since the check: skip it, as the service would.
        cursor.executemany(
            f"INSERT INTO {table} ({_COLUMNS}) VALUES ({marks}) ON CONFLICT DO NOTHING",
            [item.row for item in items],
        )
    return len(items)


_MBUS_FIELDS = [
    MBusReading._meta.get_field(name)
    for name in ("channel", "device_type", "equipment_identifier", "timestamp", "value", "unit", "reading")
]


def _insert_mbus(items: list[Checked]) -> None:
    """The M-Bus values of new readings, each (channel, meter timestamp) once: a gas value repeats in
    hundreds of telegrams, and the first one that carries it owns it, as in the ingest service."""
    rows: dict[tuple[int, datetime], tuple] = {}
    for item in items:
        for channel, device_type, identifier, timestamp, value, unit in item.mbus:
            key = (channel, timestamp or item.timestamp)
            if key not in rows:
                rows[key] = (channel, device_type, identifier, key[1], value, unit, item.timestamp)
    if not rows:
        return
    params = [
        [f.get_db_prep_save(value, connection) for f, value in zip(_MBUS_FIELDS, row, strict=True)]
        for row in rows.values()
    ]
    quote = connection.ops.quote_name
    table = quote(MBusReading._meta.db_table)
    columns = ", ".join(quote(f.column) for f in _MBUS_FIELDS)
    marks = ", ".join(["%s"] * len(_MBUS_FIELDS))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", params)
