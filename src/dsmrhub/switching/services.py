"""Switching from DSMR-reader: bring a DSMR-reader v4/v5 database's history into dsmrhub.

``dsmrreader_import`` reads the source (``switching.dsmrreader``, read-only) and writes through dsmrhub's own
services only:

- readings: ``readings.bulk`` (the one ingest check ``reading_check_values``, ``readings_store_checked``),
  a batch per transaction, keyed by timestamp, so a second run stores nothing twice; the newest timestamp of
  each committed batch is remembered (``ImportCheckpoint``), so a re-run after a crash reads on from there.
  The change triggers mark every stored minute, so the processor brings consumption and statistics up to
  date by itself;
- contracts: ``processing.contracts.contract_save`` (overlapping source periods are combined field by field
  into periods that do not overlap, as DSMR-reader combines them; gaps are reported);
- day and hour statistics, only for periods whose readings are gone (DSMR-reader's retention leaves at most
  the first and the last reading of every UTC hour): ``processing.history.statistics_import``;
- meter statistics (counters and the latest telegram) unless dsmrhub has a newer telegram;
- hourly temperatures into ``switching.TemperatureReading``.

Everything small is read and checked before anything is written; what is skipped is counted with its reason.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import FIRST_DAY, LAST_DAY, PRICE_FIELDS, ContractError
from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.history import ImportedDay, ImportedHour, statistics_import
from dsmrhub.processing.periods import HOUR, day_end, day_start
from dsmrhub.readings.bulk import readings_check_values_many, readings_store_checked
from dsmrhub.readings.check import READING_COLUMNS, Checked
from dsmrhub.readings.models import MeterStatistics
from dsmrhub.switching import dsmrreader
from dsmrhub.switching.dsmrreader import READING_FIELDS, Source, SourceError
from dsmrhub.switching.models import ImportCheckpoint, TemperatureReading

logger = logging.getLogger(__name__)

BATCH = 20_000  # readings per transaction
PARALLEL_FROM = 100_000  # readings from which a second process reads and checks while this one stores
RETAINED_PER_HOUR = 2  # DSMR-reader's retention keeps the first and the last reading of a UTC hour
GAS_DEVICE_TYPE = 3  # M-Bus device type of a gas meter
ZERO = Decimal("0.000")

Progress = Callable[[int, int, float], None]  # (readings done, readings to do, seconds)


@dataclass
class ImportSummary:
    source: str = ""
    version: str = ""
    readings_read: int = 0
    readings_stored: int = 0
    readings_present: int = 0  # stored before (an earlier run, or dsmrhub's own datalogger)
    readings_skipped_before: int = 0  # not read again: before the resume point of an earlier run
    readings_rejected: Counter = field(default_factory=Counter)  # reason -> count
    gas_left_out: Counter = field(default_factory=Counter)  # reason -> readings stored without gas
    contracts_created: int = 0
    contracts_present: int = 0
    contract_notes: list[str] = field(default_factory=list)
    days_imported: int = 0
    hours_imported: int = 0
    days_present: int = 0
    hours_present: int = 0
    positions_unknown: int = 0  # imported days whose start-of-day meter positions are unknown (0)
    days_with_readings: int = 0  # DSMR-reader day statistics not imported: dsmrhub computes them
    hours_with_readings: int = 0
    temperatures_imported: int = 0
    temperatures_present: int = 0
    meter_statistics: str = ""
    not_imported: dict[str, int] = field(default_factory=dict)  # table -> rows
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The summary for people: counts per table, what was skipped and why."""
        rate = self.readings_read / self.seconds if self.seconds else 0
        lines = [
            f"imported from DSMR-reader {self.version} at {self.source} in {self.seconds:.1f} s",
            f"  readings: {self.readings_stored:,} stored, {self.readings_present:,} already present, "
            f"{sum(self.readings_rejected.values()):,} rejected ({self.readings_read:,} read, {rate:,.0f}/s)",
        ]
        if self.readings_skipped_before:
            lines.append(
                f"    {self.readings_skipped_before:,} readings before the resume point of an earlier run "
                "not read again"
            )
        lines += [f"    rejected {n:,}: {reason}" for reason, n in self.readings_rejected.most_common()]
        lines += [
            f"    stored without their gas value {n:,}: {reason}"
            for reason, n in self.gas_left_out.most_common()
        ]
        lines.append(
            f"  contracts: {self.contracts_created} created, {self.contracts_present} already present"
        )
        lines += [f"    {note}" for note in self.contract_notes]
        lines.append(
            f"  day statistics: {self.days_imported} imported (readings gone), {self.days_present} already "
            f"present, {self.days_with_readings} left to dsmrhub's own processing (readings present)"
        )
        if self.positions_unknown:
            lines.append(
                f"    {self.positions_unknown} imported days without start-of-day meter positions "
                "in DSMR-reader (before v4.13): stored as 0"
            )
        lines.append(
            f"  hour statistics: {self.hours_imported} imported (readings gone), {self.hours_present} "
            f"already present, {self.hours_with_readings} left to dsmrhub's own processing (readings present)"
        )
        lines.append(
            f"  temperatures: {self.temperatures_imported} imported, "
            f"{self.temperatures_present} already present"
        )
        lines.append(f"  meter statistics: {self.meter_statistics}")
        for table, rows in self.not_imported.items():
            count = "not readable" if rows < 0 else f"{rows:,} rows"
            lines.append(f"  not imported: {table} ({count}): {dsmrreader.NOT_IMPORTED[table]}")
        return lines


class ImportStopped(Exception):
    """The import stopped (the source went away, a write failed); ``summary`` is what was done before.
    Everything committed stays and a re-run goes on from there."""

    def __init__(self, message: str, summary: ImportSummary) -> None:
        super().__init__(message)
        self.summary = summary


def dsmrreader_import(
    *, url: str, batch: int = BATCH, jobs: int = 0, progress: Progress | None = None
) -> ImportSummary:
    """Import a DSMR-reader database (``url``, a PostgreSQL URL) into dsmrhub's database.

    Raises ``SourceError`` (nothing written) when the source is not a DSMR-reader v4/v5 database this
    importer knows, cannot be read or refuses permission; ``ImportStopped`` when it stops midway (what was
    committed stays; a re-run completes it). ``jobs``: 1 reads, checks and stores in this process, 2 reads
    and checks in a second one; 0 (default) picks 2 from ``PARALLEL_FROM`` readings on several cores."""
    began = time.perf_counter()
    source = dsmrreader.source_open(url=url)  # SourceError: nothing read, nothing written
    summary = ImportSummary(source=source.identity, version=source.version)
    writing = False
    try:
        # Everything small first, so a source that fails here has written nothing.
        prices = dsmrreader.prices_read(source)
        days = dsmrreader.days_read(source)
        _positions_from_readings(source, days)
        hours = dsmrreader.hours_read(source)
        per_hour = dsmrreader.readings_per_hour(source) if days or hours else {}
        temperatures = dsmrreader.temperatures_read(source)
        meter = dsmrreader.meter_statistics_read(source)
        channel = dsmrreader.gas_channel_read(source) or 1
        summary.not_imported = dsmrreader.not_imported_counts(source)
        checkpoint = ImportCheckpoint.objects.filter(source=source.identity).first()
        since = checkpoint.readings_until if checkpoint else None
        total = dsmrreader.readings_count(source, since=since)
        if since is not None:
            summary.readings_skipped_before = dsmrreader.readings_count(source, since=None) - total

        writing = True
        contracts_import(prices=prices, summary=summary)
        _statistics(days=days, hours=hours, per_hour=per_hour, summary=summary)
        _temperatures(temperatures, summary)
        _readings(
            source,
            since=since,
            total=total,
            batch=batch,
            channel=channel,
            jobs=jobs or (2 if total >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1),
            summary=summary,
            began=began,
            progress=progress,
        )
        summary.meter_statistics = meter_statistics_import(values=meter)
    except SourceError as error:
        if not writing:
            raise  # nothing written
        summary.seconds = time.perf_counter() - began
        raise ImportStopped(
            f"{error}; what was imported before stays, run the import again to complete it", summary
        ) from None
    finally:
        source.close()
    summary.seconds = time.perf_counter() - began
    logger.info("DSMR-reader import from %s: %d readings stored", source.identity, summary.readings_stored)
    return summary


# ---------------------------------------------------------------------------------------------- readings


def _readings(
    source: Source,
    *,
    since: datetime | None,
    total: int,
    batch: int,
    channel: int,
    jobs: int,
    summary: ImportSummary,
    began: float,
    progress: Progress | None,
) -> None:
    done = 0
    if progress:
        progress(0, total, time.perf_counter() - began)
    if jobs > 1:
        batches = _batches_forked(source, since=since, batch=batch, channel=channel)
    else:
        batches = _batches(source, since=since, batch=batch, channel=channel)
    for part in batches:
        with transaction.atomic():
            result = readings_store_checked(checked=part.checked())
            ImportCheckpoint.objects.update_or_create(
                source=source.identity, defaults={"readings_until": part.newest}
            )
        summary.readings_stored += result.stored
        summary.readings_present += result.duplicates
        summary.readings_read += part.read
        summary.readings_rejected.update(part.rejected)
        summary.gas_left_out.update(part.gas_left_out)
        done += part.read
        if progress:
            progress(done, total, time.perf_counter() - began)


@dataclass
class _Batch:
    """A checked batch in a form that is cheap to send between processes: the checked rows' column values
    (plain ints) and, sparsely, the M-Bus values of the rows that carry a new gas value."""

    read: int  # source rows
    newest: datetime  # the newest source timestamp among them
    rows: list[tuple]  # ``Checked.row`` of each reading to store
    mbus: dict[int, tuple]  # index in rows -> ``Checked.mbus``
    rejected: Counter  # reason -> readings
    gas_left_out: Counter  # reason -> readings stored without their gas value

    def checked(self) -> list[Checked]:
        mbus = self.mbus
        return [
            Checked(datetime.fromtimestamp(row[_TIMESTAMP], UTC), row, mbus.get(index, ()), None)
            for index, row in enumerate(self.rows)
        ]


_TIMESTAMP = READING_COLUMNS.index("timestamp")


def _batches(source: Source, *, since: datetime | None, batch: int, channel: int) -> Iterator[_Batch]:
    last_gas: list = [None]  # the gas timestamp of the previous reading, across batches
    for rows in dsmrreader.readings_stream(source, since=since, batch=batch):
        yield _check(rows, channel=channel, last_gas=last_gas)


def _batches_forked(source: Source, *, since: datetime | None, batch: int, channel: int) -> Iterator[_Batch]:
    """``_batches`` from a second process on a second connection that shares this one's snapshot
    (``pg_export_snapshot``): reading and checking there, storing here, on two cores at once. At most two
    batches are in flight (the pipe blocks), so memory stays flat."""
    snapshot = dsmrreader.snapshot_export(source)
    receive, send = _FORK.Pipe(duplex=False)
    worker = _FORK.Process(
        target=_produce,
        args=(receive, send, source.url, snapshot, source.columns, since, batch, channel),
        name="dsmrreader-reader",
        daemon=True,
    )
    worker.start()
    send.close()
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                raise SourceError("the process reading the DSMR-reader database ended unexpectedly") from None
            if message is None:
                return
            if isinstance(message, str):
                raise SourceError(message)
            yield message
    finally:
        receive.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()
            worker.join()


def _produce(receive, send, url, snapshot, columns, since, batch, channel) -> None:
    """In the reading process: stream, check and send batches; then None, or the error's one line. Its
    copy of the pipe's reading end is closed first: once the importing process is gone (even by kill -9)
    a send fails instead of waiting for a reader that never comes."""
    receive.close()
    try:
        source = dsmrreader.source_attach(url=url, snapshot=snapshot, columns=columns)
        for part in _batches(source, since=since, batch=batch, channel=channel):
            send.send(part)
        send.send(None)
    except SourceError as error:
        send.send(str(error))
    except (BrokenPipeError, EOFError):  # the importing process is gone
        pass
    finally:
        send.close()


_FORK = multiprocessing.get_context("fork")


def _values(row: tuple) -> dict[str, Any]:
    """A source row as the check's values (numbers as the source's text: ``readings_stream``)."""
    return dict(zip(READING_FIELDS, row, strict=True))


def _check(rows: list[tuple], *, channel: int, last_gas: list) -> _Batch:
    """The one ingest check for a batch; a reading whose gas value cannot be stored is stored without it
    (as the telegram path does), anything else rejected is counted with its reason. A gas value becomes an
    M-Bus value with the first reading that carries it (the bulk path stores each value once anyway)."""
    values = [_values(row) for row in rows]
    good: list[tuple] = []
    mbus: dict[int, tuple] = {}
    rejected: Counter = Counter()
    gas_left_out: Counter = Counter()
    for item, checked in zip(values, readings_check_values_many(values), strict=True):
        gas_at, gas = item["extra_device_timestamp"], item["extra_device_delivered"]
        if isinstance(checked, str) and gas is not None:
            retry = readings_check_values_many(
                [{**item, "extra_device_timestamp": None, "extra_device_delivered": None}]
            )
            if not isinstance(retry[0], str):
                gas_left_out[checked] += 1
                checked, gas = retry[0], None
        if isinstance(checked, str):
            rejected[checked] += 1
            continue
        if gas is not None and gas_at != last_gas[0]:  # the gas value as an M-Bus value, as a telegram's
            mbus[len(good)] = ((channel, GAS_DEVICE_TYPE, "", gas_at, Decimal(gas), "m3"),)
            last_gas[0] = gas_at
        good.append(checked.row)
    return _Batch(len(rows), rows[-1][0], good, mbus, rejected, gas_left_out)


# --------------------------------------------------------------------------------------------- contracts


def _far(end: date | None) -> date:
    return LAST_DAY if end is None or end > LAST_DAY else end


def contracts_import(*, prices: list[dict[str, Any]], summary: ImportSummary) -> None:
    """DSMR-reader's energy supplier prices as dsmrhub contracts. DSMR-reader lets periods overlap and
    combines the prices of every period containing a day field by field (0: not in this period); dsmrhub's
    contracts may not overlap, so overlapping periods become consecutive contracts with the combined prices.
    Gaps are reported (days in them have no prices, in DSMR-reader as here)."""
    usable = []
    for price in prices:
        name = (price["description"] or "").strip() or f"DSMR-reader prices #{price['id']}"
        start, end = price["start"], price["end"]
        if end < start:
            summary.contract_notes.append(
                f"skipped '{name}': its last day {end} lies before its first day {start}"
            )
            continue
        if end < FIRST_DAY or start > LAST_DAY:
            summary.contract_notes.append(
                f"skipped '{name}' ({start} – {end}): outside {FIRST_DAY} – {LAST_DAY}"
            )
            continue
        values = {}
        for column in PRICE_FIELDS:
            value = price[column] if price[column] is not None else Decimal(0)
            if value < 0:
                summary.contract_notes.append(
                    f"'{name}': {column} {value} is negative, which dsmrhub's contracts do not allow; "
                    "imported as 0"
                )
                value = Decimal(0)
            values[column] = value
        usable.append({"name": name, "start": max(start, FIRST_DAY), "end": _far(end), "prices": values})
    for contract in _combine(usable, summary):
        _contract_store(contract, summary)


def _combine(contracts: list[dict[str, Any]], summary: ImportSummary) -> list[dict[str, Any]]:
    """Periods that do not overlap, each with the field-by-field combination of the source periods it lies
    in; overlaps and gaps are reported."""
    if not contracts:
        return []
    cuts = sorted(
        {c["start"] for c in contracts}
        | {c["end"] + timedelta(days=1) for c in contracts if c["end"] < LAST_DAY}
    )
    pieces: list[dict[str, Any]] = []
    for index, start in enumerate(cuts):
        end = cuts[index + 1] - timedelta(days=1) if index + 1 < len(cuts) else LAST_DAY
        covering = [c for c in contracts if c["start"] <= start and c["end"] >= end]
        if not covering:
            if index + 1 < len(cuts):
                summary.contract_notes.append(
                    f"gap: no prices from {start} through {end} (those days have no costs)"
                )
            continue
        prices = {}
        for column in PRICE_FIELDS:
            set_by = [c for c in covering if c["prices"][column] != 0]
            prices[column] = set_by[-1]["prices"][column] if set_by else Decimal(0)
            if len({c["prices"][column] for c in set_by}) > 1:
                summary.contract_notes.append(
                    f"overlap {start} – {end}: {column} set by {', '.join(repr(c['name']) for c in set_by)}; "
                    f"used {prices[column]} of the one starting last"
                )
        name = " + ".join(c["name"] for c in covering)[:255]
        if len(covering) > 1:
            summary.contract_notes.append(
                f"overlap {start} – {end}: {', '.join(repr(c['name']) for c in covering)} "
                "combined into one contract"
            )
        last = pieces[-1] if pieces else None
        if (
            last
            and last["name"] == name
            and last["prices"] == prices
            and last["end"] + timedelta(days=1) == start
        ):
            last["end"] = end
        else:
            pieces.append({"name": name, "start": start, "end": end, "prices": prices})
    return pieces


def _contract_store(contract: dict[str, Any], summary: ImportSummary) -> None:
    end = None if contract["end"] >= LAST_DAY else contract["end"]
    same = EnergyContract.objects.filter(description=contract["name"], start=contract["start"], end=end)
    if any(all(getattr(row, k) == v for k, v in contract["prices"].items()) for row in same):
        summary.contracts_present += 1
        return
    try:
        contract_save(
            description=contract["name"], start=contract["start"], end=end, prices=contract["prices"]
        )
    except ContractError as error:
        summary.contract_notes.append(
            f"not imported '{contract['name']}' ({contract['start']} – {end or 'open end'}): {error}"
        )
        return
    summary.contracts_created += 1


# -------------------------------------------------------------------------------------------- statistics


def _gone(start: int, end: int, per_hour: dict[int, int]) -> bool:
    """Whether the readings of [start, end) are gone: at most what retention keeps in each UTC hour."""
    hour = start - start % HOUR
    while hour < end:
        if per_hour.get(hour, 0) > RETAINED_PER_HOUR:
            return False
        hour += HOUR
    return True


def _positions_from_readings(source: Source, days: list[dict[str, Any]]) -> None:
    """Start-of-day meter positions that DSMR-reader left empty (before v4.13) from the day's first reading
    in the source, where one is left (retention keeps the first of every hour)."""
    names = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")
    for day in days:
        if day["electricity1_reading"] is not None:
            continue
        start = datetime.fromtimestamp(day_start(day["day"]), UTC)
        end = datetime.fromtimestamp(day_end(day["day"]), UTC)
        first = dsmrreader.first_positions(source, start=start, end=end)
        if first is not None:
            for name, value in zip(names, first, strict=True):
                if day[f"{name}_reading"] is None:
                    day[f"{name}_reading"] = value


def _positions(days: list[dict[str, Any]]) -> None:
    """Fill start-of-day meter positions that DSMR-reader left empty (days before v4.13 whose readings were
    gone) from a neighbouring day's position and use."""
    names = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned")
    for name in names:
        column = f"{name}_reading"
        for before, after in zip(
            days, days[1:], strict=False
        ):  # forwards: the next day starts where this one ended
            if (
                after[column] is None
                and before[column] is not None
                and after["day"] == before["day"] + timedelta(days=1)
            ):
                after[column] = before[column] + before[name]
        for before, after in reversed(list(zip(days, days[1:], strict=False))):  # backwards
            if (
                before[column] is None
                and after[column] is not None
                and after["day"] == before["day"] + timedelta(days=1)
            ):
                before[column] = max(after[column] - before[name], ZERO)


def _statistics(
    *,
    days: list[dict[str, Any]],
    hours: list[dict[str, Any]],
    per_hour: dict[int, int],
    summary: ImportSummary,
) -> None:
    gone_days = [d for d in days if _gone(day_start(d["day"]), day_end(d["day"]), per_hour)]
    summary.days_with_readings = len(days) - len(gone_days)
    gone_hours = []
    for hour in hours:
        start = int(hour["hour_start"].timestamp())
        if _gone(start, start + HOUR, per_hour):
            gone_hours.append(hour)
    summary.hours_with_readings = len(hours) - len(gone_hours)
    _positions(days)
    imported_days = []
    for d in gone_days:
        readings = [
            d[f"{n}_reading"]
            for n in ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned")
        ]
        if None in readings:  # no position known for this day or a neighbour: 0 (day use is still right)
            summary.positions_unknown += 1
            readings = [r if r is not None else ZERO for r in readings]
        imported_days.append(
            ImportedDay(
                day=d["day"],
                electricity1=d["electricity1"],
                electricity2=d["electricity2"],
                electricity1_returned=d["electricity1_returned"],
                electricity2_returned=d["electricity2_returned"],
                gas=d["gas"] if d["gas"] is not None else ZERO,
                electricity1_reading=readings[0],
                electricity2_reading=readings[1],
                electricity1_returned_reading=readings[2],
                electricity2_returned_reading=readings[3],
                gas_reading=d["gas_reading"],
            )
        )
    imported_hours = [
        ImportedHour(
            hour_start=h["hour_start"].astimezone(UTC),
            electricity1=h["electricity1"],
            electricity2=h["electricity2"],
            electricity1_returned=h["electricity1_returned"],
            electricity2_returned=h["electricity2_returned"],
            gas=h["gas"] if h["gas"] is not None else ZERO,
        )
        for h in gone_hours
    ]
    result = statistics_import(days=imported_days, hours=imported_hours)
    summary.days_imported, summary.days_present = result.days, result.days_skipped
    summary.hours_imported, summary.hours_present = result.hours, result.hours_skipped


# ------------------------------------------------------------------------------- temperatures, meter


def _temperatures(rows: list[tuple[datetime, Decimal]], summary: ImportSummary) -> None:
    if not rows:
        return
    with transaction.atomic():
        present = set(
            TemperatureReading.objects.filter(read_at__gte=rows[0][0], read_at__lte=rows[-1][0]).values_list(
                "read_at", flat=True
            )
        )
        new = [
            TemperatureReading(read_at=at, degrees_celsius=degrees)
            for at, degrees in rows
            if at not in present
        ]
        TemperatureReading.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    summary.temperatures_imported = len(new)
    summary.temperatures_present = len(rows) - len(new)


def meter_statistics_import(*, values: dict[str, Any] | None) -> str:
    """DSMR-reader's meter statistics (counters, latest telegram), unless dsmrhub has a newer telegram;
    rejected telegrams: the larger count of the two. Returns what was done, in words."""
    if values is None:
        return "none in the source"
    with transaction.atomic():
        current = MeterStatistics.row().select_for_update().first()
        if (
            current is not None
            and current.latest_telegram is not None
            and current.timestamp > values["timestamp"]
        ):
            return f"kept dsmrhub's own (its telegram of {current.timestamp:%Y-%m-%d %H:%M:%S}Z is newer)"
        changes = {name: values[name] for name in dsmrreader.METER_COLUMNS}
        if current is not None and all(getattr(current, k) == v for k, v in changes.items()):
            return f"already present (telegram of {values['timestamp']:%Y-%m-%d %H:%M:%S}Z)"
        changes["rejected_telegrams"] = max(
            values["rejected_telegrams"] or 0, current.rejected_telegrams if current else 0
        )
        MeterStatistics.store(**changes)
    return f"imported (telegram of {values['timestamp']:%Y-%m-%d %H:%M:%S}Z)"
