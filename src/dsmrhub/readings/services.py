"""The one ingest service: telegram (or API values) in, stored reading out — or a counted rejection.

What is stored is decided by the one check (``readings.check``); this module writes one reading per
statement (``readings.bulk`` writes the same checked rows a batch at a time)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from django.db import transaction
from django.db.models import BigIntegerField, Count, F, Max, Min
from django.utils import timezone

from dsmrhub.db.singleton import SINGLETON_ID
from dsmrhub.readings.check import (
    READING_COLUMNS,
    Checked,
    ReadingRejected,
    fit_text,
    reading_check_telegram,
    reading_check_values,
    reading_from_columns,
)
from dsmrhub.readings.models import INT32_MAX, METER_COUNTER_FIELDS, DsmrReading, MBusReading, MeterStatistics
from dsmrhub.readings.peaks import meter_month_peaks_store
from dsmrhub.readings.sql import insert_columns_unless_present, insert_unless_present, upsert
from dsmrhub.telegram import Telegram

logger = logging.getLogger(__name__)

STATISTICS_FIELDS = ("dsmr_version", "electricity_tariff", *METER_COUNTER_FIELDS)


@dataclass(frozen=True, slots=True)
class IngestResult:
    checked: Checked  # what the check made of the telegram or values that were offered
    created: bool  # False: a reading with this meter timestamp was already stored

    @property
    def reading(self) -> DsmrReading:
        """The stored reading (the one stored before, for a duplicate). Built on demand: most callers
        only need ``created``."""
        if self.created:
            return reading_from_columns(self.checked.row)
        return DsmrReading.objects.get(timestamp=self.checked.timestamp)


def reading_ingest_telegram(
    *, telegram: str | bytes, received_at: datetime | None = None, check_crc: bool = True
) -> IngestResult:
    """Check (``readings.check``) and store one telegram in one transaction, or count and raise
    ``ReadingRejected``."""
    checked = reading_check_telegram(telegram, received_at=received_at, check_crc=check_crc)
    if isinstance(checked, str):
        _reject(checked)
    return IngestResult(checked=checked, created=_store(checked))


def reading_create(*, values: dict[str, Any]) -> IngestResult:
    """Store a reading given as values (API v2). Same checks as for telegrams; rejections are raised as
    ``ReadingRejected``, not counted."""
    checked = reading_check_values(values)
    if isinstance(checked, str):
        raise ReadingRejected(checked)
    return IngestResult(checked=checked, created=_store(checked))


def _store(checked: Checked) -> bool:
    """Write one checked reading with its M-Bus values and meter statistics; False (nothing written)
    when a reading with its meter timestamp is stored already."""
    with transaction.atomic():
        if not insert_columns_unless_present(DsmrReading, READING_COLUMNS, checked.row, conflict="timestamp"):
            logger.info("reading at %s already stored; not stored twice", checked.timestamp)
            return False
        if checked.parsed is not None:
            _store_mbus(checked)
            meter_statistics_store(parsed=checked.parsed, timestamp=checked.timestamp)
    return True


@dataclass(frozen=True, slots=True)
class ReadingsDeleted:
    count: int  # readings deleted (with ``dry_run``: that would be deleted)
    first: int | None  # the earliest and latest of them, in Unix seconds (a row may not even be a date)
    last: int | None


DELETE_CHUNK = 500  # ids per statement: well below every backend's parameter limit


def readings_delete(
    *,
    since: datetime | int | None = None,
    until: datetime | int | None = None,
    ids: Iterable[int] | None = None,
    dry_run: bool = False,
) -> ReadingsDeleted:
    """Delete the readings with ``since <= timestamp <= until`` (aware datetimes or Unix seconds) and, when
    given, an id (Unix seconds) in ``ids``. Their M-Bus values stay, unlinked. Processing follows by
    itself: the database triggers mark the minutes of every deleted reading (and of its gas value).

    At least one of the three must be given: deleting every reading takes a stated range."""
    if since is None and until is None and ids is None:
        raise ValueError("say which readings to delete: since, until or ids")
    rows = DsmrReading.objects.all()
    if since is not None:
        rows = rows.filter(timestamp__gte=since)
    if until is not None:
        rows = rows.filter(timestamp__lte=until)
    chunks = [rows]
    if ids is not None:
        unique = sorted(set(ids))
        chunks = [
            rows.filter(timestamp__in=unique[i : i + DELETE_CHUNK])
            for i in range(0, len(unique), DELETE_CHUNK)
        ]
    seconds = BigIntegerField()  # the stored integer as it is: a row written by hand may be no valid date
    count, first, last = 0, None, None
    with transaction.atomic():
        for chunk in chunks:
            found = chunk.aggregate(
                n=Count("pk"),
                first=Min("timestamp", output_field=seconds),
                last=Max("timestamp", output_field=seconds),
            )
            if not found["n"]:
                continue
            count += found["n"]
            first = found["first"] if first is None else min(first, found["first"])
            last = found["last"] if last is None else max(last, found["last"])
            if not dry_run:
                MBusReading.objects.filter(reading__in=chunk.values("pk")).update(reading=None)
                # No per-row collection: a month of readings is one statement (M-Bus links are cleared above).
                chunk._raw_delete(chunk.db)
    if count and not dry_run:
        # Forget the M-Bus values this process stored: they may come again with a telegram stored anew.
        transaction.on_commit(_last_mbus_stored.clear)
        logger.info("deleted %d readings (Unix seconds %s to %s)", count, first, last)
    return ReadingsDeleted(count=count, first=first, last=last)


def meter_statistics_get() -> MeterStatistics:
    return MeterStatistics.load(timestamp=timezone.now())


def meter_statistics_count_rejection(*, reason: str) -> None:
    """Count one rejected telegram and log its reason."""
    logger.warning("telegram rejected: %s", reason)
    updated = MeterStatistics.row().update(rejected_telegrams=F("rejected_telegrams") + 1)
    if not updated:
        meter_statistics_get()
        MeterStatistics.row().update(rejected_telegrams=F("rejected_telegrams") + 1)


def _reject(reason: str) -> NoReturn:
    meter_statistics_count_rejection(reason=reason)
    raise ReadingRejected(reason)


# Per channel, the (channel, timestamp) this process stored last and the newest reading that carried it: a
# gas value repeats in the ~300 telegrams until the meter's next gas reading, and its repeats are not
# inserted again. Only a reading newer than that one is a repeat: a telegram stored again (after its reading
# was deleted, or into a new database, as in tests) stores its M-Bus values again, and ``readings_delete``
# clears the memory.
_last_mbus_stored: dict[int, tuple[tuple[int, datetime], datetime]] = {}


def _store_mbus(checked: Checked) -> None:
    for channel, device_type, identifier, stamp, value, unit in checked.mbus:
        key = (channel, stamp or checked.timestamp)
        known = _last_mbus_stored.get(channel)
        if known is not None and known[0] == key and checked.timestamp > known[1]:
            _last_mbus_stored[channel] = (key, checked.timestamp)
            continue
        row = {
            "channel": channel,
            "device_type": device_type,
            "equipment_identifier": identifier,
            "timestamp": key[1],
            "value": value,
            "unit": unit,
            "reading": checked.timestamp,  # the reading's primary key is its timestamp
        }
        insert_unless_present(MBusReading, row, conflict=("channel", "timestamp"))
        transaction.on_commit(
            functools.partial(_last_mbus_stored.__setitem__, channel, (key, checked.timestamp))
        )


def meter_statistics_store(*, parsed: Telegram, timestamp: datetime) -> None:
    """Copy the meter's counters from a stored telegram, unless a newer telegram already did (late
    telegrams don't go back); and a Belgian meter's month peak history (``readings.peaks``)."""
    meter_month_peaks_store(parsed=parsed)
    changes = {name: _fit_counter(name, getattr(parsed, name)) for name in STATISTICS_FIELDS}
    changes["dsmr_version"] = fit_text(MeterStatistics, "dsmr_version", parsed.dsmr_version)
    changes.update(timestamp=timestamp, latest_telegram=parsed.raw)
    upsert(
        MeterStatistics,
        ("id", SINGLETON_ID),
        changes,
        only_if="{table}.timestamp <= excluded.timestamp OR {table}.latest_telegram IS NULL",
        initial={"rejected_telegrams": 0},
    )


def _fit_counter(name: str, value: Any) -> Any:
    """Meter counters that don't fit a 4-byte integer are not stored; the reading itself still is."""
    if isinstance(value, int) and not 0 <= value <= INT32_MAX:
        logger.warning("meter statistic %s=%s out of range; not stored", name, value)
        return None
    return value
