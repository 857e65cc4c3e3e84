"""CSV export of the derived tables, streamed: rows are read in chunks and written as they come.

Decimals are written exactly as stored (``1234.567``), never through floats; moments as ISO 8601 in the
local time zone with its offset (``2026-11-25T14:00:00+01:00``); days as ``YYYY-MM-DD``; the day and hour
statistics' ``imported`` column (history brought in from DSMR-reader) as ``true``/``false``. Money is written
with two decimals like everywhere else: the day's ``fixed_cost`` (kept unrounded in the statistics, the
contract's price per day) is rounded half up to cents (``prices.costs.round_cents``), so a row's parts can
differ from its ``total_cost`` (rounded once from the exact sum) by a cent.

The day and hour statistics end with the M-Bus meters' columns the API's statistics carry (``water``,
``heat``, ``cooling``, and per day their costs by the device prices; empty without such a meter or price),
from ``devices.selectors.device_day_totals`` / ``device_hour_totals``, read once per chunk of rows. The device
datasets are the rows of every M-Bus channel per hour and per five minutes, in the kind's unit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from dsmrhub.devices.models import PRICED_KINDS, DeviceDay, DeviceFiveMinutes, DeviceHour
from dsmrhub.devices.selectors import device_day_totals, device_hour_totals
from dsmrhub.prices.costs import round_cents
from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, GasConsumption, HourStatistics
from dsmrhub.processing.periods import day_end, day_start, from_epoch, local_zone

CHUNK_SIZE = 2000  # rows per database fetch
LINES_PER_WRITE = 500  # CSV lines per piece of the response


@dataclass(frozen=True, slots=True)
class Dataset:
    label: Any  # lazy translated text
    model: type[models.Model]
    key: str  # the time column
    # which rows belong to local days [first, last]: "day" (a date column), "start" (a period starting in
    # them) or "end" (a minute (read_at − 60 s, read_at] ending in them)
    belongs: str
    order: tuple[str, ...] = ()  # after the time column


DATASETS: dict[str, Dataset] = {
    "day": Dataset(_("Day statistics (one row per day, with costs)"), DayStatistics, "day", "day"),
    "hour": Dataset(_("Hour statistics (one row per hour)"), HourStatistics, "hour_start", "start"),
    "electricity": Dataset(
        _("Electricity consumption (one row per minute)"), ElectricityConsumption, "read_at", "end"
    ),
    "gas": Dataset(_("Gas consumption (one row per hour)"), GasConsumption, "read_at", "start"),
    "device-hour": Dataset(
        _("M-Bus devices (water, heat, cooling, gas): one row per device and hour"),
        DeviceHour,
        "start",
        "start",
        ("channel",),
    ),
    "device-five-minutes": Dataset(
        _("M-Bus devices: one row per device and five minutes (meters that send every five minutes)"),
        DeviceFiveMinutes,
        "start",
        "start",
        ("channel",),
    ),
}
# The M-Bus meters' columns of the day and hour statistics (the names of the API's statistics), before
# ``imported`` (the last column), once the installation has such a meter.
DEVICE_COLUMNS = {
    "day": [name for kind in PRICED_KINDS for name in (kind, f"{kind}_cost")],
    "hour": list(PRICED_KINDS),
}


def _stored_columns(dataset: str) -> list[str]:
    return [column.name for column in DATASETS[dataset].model._meta.concrete_fields]


def _with_devices(dataset: str) -> bool:
    return dataset in DEVICE_COLUMNS and DeviceDay.objects.filter(kind__in=PRICED_KINDS).exists()


def export_columns(*, dataset: str, devices: bool | None = None) -> list[str]:
    """The CSV's header; ``devices``: with the M-Bus meters' columns (default: when there is such a meter)."""
    columns = _stored_columns(dataset)
    if devices is None:
        devices = _with_devices(dataset)
    if devices:
        at = columns.index("imported")
        columns[at:at] = DEVICE_COLUMNS[dataset]
    return columns


def export_queryset(*, dataset: str, first: date, last: date) -> models.QuerySet:
    """The rows of ``dataset`` that belong to the local days ``first`` through ``last``, oldest first."""
    spec = DATASETS[dataset]
    rows = spec.model.objects.all()
    if spec.belongs == "day":
        rows = rows.filter(day__gte=first, day__lte=last)
    elif spec.belongs == "start":
        start, end = from_epoch(day_start(first)), from_epoch(day_end(last))
        rows = rows.filter(**{f"{spec.key}__gte": start, f"{spec.key}__lt": end})
    else:
        start, end = from_epoch(day_start(first)), from_epoch(day_end(last))
        rows = rows.filter(**{f"{spec.key}__gt": start, f"{spec.key}__lte": end})
    return rows.order_by(spec.key, *spec.order)


def _text(value: Any, zone) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # ``imported``
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


MONEY_COLUMNS = frozenset({"fixed_cost"})  # stored with more places than cents


def export_rows(*, dataset: str, first: date, last: date) -> Iterator[list[str]]:
    """The header row, then one row of text per database row (fetched ``CHUNK_SIZE`` at a time)."""
    devices = _with_devices(dataset)
    yield export_columns(dataset=dataset, devices=devices)
    columns = _stored_columns(dataset)
    zone = local_zone()
    money = [index for index, name in enumerate(columns) if name in MONEY_COLUMNS]
    rows = export_queryset(dataset=dataset, first=first, last=last).values_list(*columns)
    chunk: list[list] = []
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        row = list(row)
        for index in money:
            if row[index] is not None:
                row[index] = round_cents(row[index])
        chunk.append(row)
        if len(chunk) >= CHUNK_SIZE:
            yield from _texts(dataset, columns, chunk, zone, devices=devices)
            chunk = []
    yield from _texts(dataset, columns, chunk, zone, devices=devices)


def _texts(
    dataset: str, columns: list[str], chunk: list[list], zone, *, devices: bool
) -> Iterator[list[str]]:
    """The rows of a chunk as text; ``devices``: with the M-Bus meters' figures of the chunk's days or hours
    (one read per chunk) before ``imported``."""
    if devices and chunk:
        key, at = columns.index(DATASETS[dataset].key), columns.index("imported")
        periods = [row[key] for row in chunk]
        figures = device_day_totals(days=periods) if dataset == "day" else device_hour_totals(starts=periods)
        for row, period in zip(chunk, periods, strict=True):
            found = figures.get(period, {})
            values: list[Any] = []
            for kind in PRICED_KINDS:
                use, cost = found.get(kind, (None, None))
                values += [use, cost] if dataset == "day" else [use]
            row[at:at] = values
    for row in chunk:
        yield [_text(value, zone) for value in row]


def export_csv_lines(*, dataset: str, first: date, last: date) -> Iterator[str]:
    """The CSV text in pieces of ``LINES_PER_WRITE`` lines (RFC 4180: CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    pending = 0
    for row in export_rows(dataset=dataset, first=first, last=last):
        writer.writerow(row)
        pending += 1
        if pending >= LINES_PER_WRITE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def export_filename(*, dataset: str, first: date, last: date) -> str:
    return f"dsmrhub-{dataset}-{first.isoformat()}-{last.isoformat()}.csv"
