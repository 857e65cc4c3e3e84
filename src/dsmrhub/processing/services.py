"""Processing: turn changed readings into minute, gas-hour, hour and day rows — set-based and incremental.

Triggers on the readings table note every changed minute in ``PendingMinute``. ``processing_run_pending``
takes those marks, recomputes the minute rows of exactly those minutes with one INSERT … SELECT per range,
then the gas hours, hour statistics and day statistics (with costs) whose value can depend on them.
``processing_rebuild`` recomputes everything (or everything since a date) the same way, in chunks.
Readings whose time cannot be placed are set aside first (``quarantine``), so no single row stops a pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from dsmrhub.prices.costs import contracts_fingerprint
from dsmrhub.processing.devices import devices_refresh
from dsmrhub.processing.epochs import epochs_refresh
from dsmrhub.processing.gas import gas_refresh, gas_stamp_bounds
from dsmrhub.processing.minutes import minute_end, minutes_refresh
from dsmrhub.processing.models import (
    GAS_RESOLUTIONS,
    DayStatistics,
    ElectricityConsumption,
    GasConsumption,
    HourStatistics,
    MeterEpoch,
    PendingMinute,
    ProcessingSettings,
    ProcessingState,
    QuarterStatistics,
)
from dsmrhub.processing.periods import MINUTE, day_start, from_epoch, local_date
from dsmrhub.processing.quarantine import (
    EVERYTHING,
    Window,
    quarantine_entries,
    quarantine_refresh,
    quarantine_release_due,
    window_at,
)
from dsmrhub.processing.sql import MINUTES, PENDING, READINGS, fetch, lock_derived_data, pending_take
from dsmrhub.processing.statistics import statistics_costs_refresh, statistics_refresh

logger = logging.getLogger(__name__)

BATCH_MINUTES = 10_080  # pending minutes taken per transaction (a week of live data)
MERGE_GAP_MINUTES = 10  # pending minutes closer than this are recomputed as one range
REBUILD_CHUNK = 86_400  # seconds of readings per rebuild transaction


@dataclass(frozen=True, slots=True)
class ProcessResult:
    minutes: int  # pending minutes handled
    days: int  # local days whose statistics were rewritten
    costs_refreshed: int  # days whose costs were recomputed after a contract change
    seconds: float


def processing_state_get() -> ProcessingState:
    return ProcessingState.load()


def _merge(minutes: list[int]) -> list[tuple[int, int]]:
    """Pending minutes → [first second, last second] ranges."""
    ranges: list[list[int]] = []
    for minute in minutes:
        if ranges and minute - ranges[-1][1] <= MERGE_GAP_MINUTES:
            ranges[-1][1] = minute
        else:
            ranges.append([minute, minute])
    # The triggers divide with truncation toward zero: a reading before 1970 (never placed, but judged by
    # the quarantine) is marked in the minute after its own, so such a range starts a minute earlier.
    return [
        (low * MINUTE - (MINUTE - 1 if low <= 0 else 0), high * MINUTE + MINUTE - 1) for low, high in ranges
    ]


def _merge_days(spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[list[date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(first, last) for first, last in merged]


def _neighbours(low: int, high: int, window: Window) -> tuple[int, int]:
    """The readings just before ``low`` and after ``high``: they bound the periods a change can affect."""
    before = fetch(
        f"SELECT MAX(timestamp) FROM {READINGS} WHERE timestamp < %s AND timestamp > %s", [low, window.low]
    )[0][0]
    after = fetch(
        f"SELECT MIN(timestamp) FROM {READINGS} WHERE timestamp > %s AND timestamp <= %s", [high, window.high]
    )[0][0]
    return (low if before is None else before), (high if after is None else after)


def _stamp_range(low: int, high: int) -> tuple[int | None, int | None]:
    return fetch(
        f"SELECT MIN(gas_timestamp), MAX(gas_timestamp) FROM {MINUTES} WHERE read_at >= %s AND read_at <= %s",
        [low, high],
    )[0]


def _refresh_range(first: int, last: int, window: Window) -> tuple[date, date]:
    """Recompute minutes, epochs and gas hours for readings in [first, last] (inside the window); return
    the days to restate."""
    # Gas stamps carried by the minute rows before and after: an hour may gain or lose a value.
    stamps = [_stamp_range(minute_end(first), minute_end(last))]
    low, high = minutes_refresh(first=first, last=last, window=window)
    epochs_refresh(low=low, high=high)
    stamps.append(_stamp_range(low, high))
    gas_first = min([first, *(s[0] for s in stamps if s[0] is not None)])
    gas_last = max([last, *(s[1] for s in stamps if s[1] is not None)])
    gas_span = gas_refresh(first=gas_first, last=gas_last)
    devices_refresh(first=first, last=last)  # the M-Bus devices' own rows (dsmrhub.devices)
    before, after = _neighbours(first, last, window)
    start, end = min(before, gas_first), max(after, gas_last)
    if gas_span:
        start, end = min(start, gas_span[0]), max(end, gas_span[1])
    # A period [s, e) depends on positions at s and e; e == start or s == end still counts.
    return local_date(start - 1), local_date(end)


def processing_run_pending(*, batch_minutes: int = BATCH_MINUTES) -> ProcessResult:
    """Process every pending change (and contract change, and gas resolution change), then return what
    was done."""
    began = time.perf_counter()
    _gas_follow_setting()
    minutes = days = 0
    window = window_at()
    entries = None
    while True:
        with transaction.atomic():
            lock_derived_data()
            if entries is None:
                entries = quarantine_entries()
                quarantine_release_due(window=window, entries=entries)  # no longer ahead of the clock
            taken = pending_take(limit=batch_minutes)
            if not taken:
                break
            spans = []
            for first, last in _merge(taken):
                quarantine_refresh(first=first, last=last, window=window, entries=entries)
                if placeable := window.clip(first, last):
                    spans.append(_refresh_range(*placeable, window=window))
            for first_day, last_day in _merge_days(spans):
                statistics_refresh(first_day=first_day, last_day=last_day, window=window)
                days += (last_day - first_day).days + 1
        minutes += len(taken)
    costs = _costs_follow_contracts()
    seconds = time.perf_counter() - began
    ProcessingState.store(last_run_at=timezone.now(), last_duration=seconds, last_error="")
    return ProcessResult(minutes=minutes, days=days, costs_refreshed=costs, seconds=seconds)


def processing_pass_due(*, now: int | None = None) -> bool:
    """Whether a pass of the follow mode has work that is worth writing now: a changed minute that is over
    (a late or imported reading, or the minute the meter just finished), or a contract or gas resolution
    changed behind the services' back. The minute still running waits until it is over: processed every
    few seconds, its rows and the hour and day around it would be written again for every telegram
    (SD-card wear), while the live figures come from the readings anyway. Reads only."""
    now = int(time.time()) if now is None else now
    # Every telegram marks its gas value's minute too (long over, the same until the next gas value):
    # that mark alone is no reason for a pass; it is processed with the next one.
    latest = fetch(
        f"SELECT timestamp, extra_device_timestamp FROM {READINGS} ORDER BY timestamp DESC LIMIT 1"
    )
    reading, gas = latest[0] if latest else (None, None)
    skip = -1  # (a minute no mark is ever for)
    if gas is not None and gas // MINUTE != reading // MINUTE:
        skip = gas // MINUTE
    oldest = fetch(f"SELECT MIN(minute) FROM {PENDING} WHERE minute <> %s", [skip])[0][0]
    if oldest is not None and (oldest + 1) * MINUTE <= now:
        return True
    state = ProcessingState.peek()
    if ProcessingSettings.peek().gas_resolution != state.gas_resolution:
        return True
    return state.contracts_fingerprint != contracts_fingerprint()


def processing_run_due() -> ProcessResult:
    """The follow mode's pass: ``processing_run_pending`` when ``processing_pass_due``, else nothing at all
    (not even the state's last run: an idle processor writes nothing)."""
    if not processing_pass_due():
        return ProcessResult(minutes=0, days=0, costs_refreshed=0, seconds=0.0)
    return processing_run_pending()


GAS_CHUNK = 31 * 86_400  # seconds of gas values per gas_refresh when the gas rows are rebuilt


def processing_settings_get() -> ProcessingSettings:
    return ProcessingSettings.peek()


def processing_settings_update(*, gas_resolution: str) -> ProcessingSettings:
    """Store the processing settings and rebuild what they shape now (the gas rows when their resolution
    changed). ``ValueError`` with a reason for a value that is not one of the choices."""
    choices = [value for value, _ in GAS_RESOLUTIONS]
    if gas_resolution not in choices:
        raise ValueError(f"gas resolution must be one of {', '.join(choices)}, not {gas_resolution!r}")
    settings = ProcessingSettings.store(gas_resolution=gas_resolution)
    _gas_follow_setting()
    return settings


def _gas_follow_setting() -> bool:
    """When the gas resolution setting differs from the one the gas rows are built at (changed by the
    service, the admin or SQL), rebuild all gas rows at the new one in one transaction; True if it did.
    Statistics stay as they are: a gas value's use and hour are the same at both resolutions."""
    wanted = ProcessingSettings.peek().gas_resolution
    if ProcessingState.peek().gas_resolution == wanted:
        return False
    with transaction.atomic():
        lock_derived_data()
        if ProcessingState.load().gas_resolution == wanted:  # another process did it meanwhile
            return False
        GasConsumption.objects.all().delete()
        ProcessingState.row().update(gas_resolution=wanted)
        first, last = gas_stamp_bounds()  # a gas meter set by hand has its values in the M-Bus rows
        if first is not None:
            for low in range(first, last + 1, GAS_CHUNK):
                gas_refresh(first=low, last=min(low + GAS_CHUNK - 1, last))
    logger.info("gas rows rebuilt at resolution %s", wanted)
    return True


def processing_record_error(*, error: str) -> None:
    ProcessingState.store(last_run_at=timezone.now(), last_error=error[:2000])


def _costs_follow_contracts() -> int:
    """When contracts changed since the last run (CLI, admin), recompute the costs of all stored days."""
    fingerprint = contracts_fingerprint()
    state = processing_state_get()
    if state.contracts_fingerprint == fingerprint:
        return 0
    with transaction.atomic():
        lock_derived_data()
        updated = statistics_costs_refresh()
        ProcessingState.row().update(contracts_fingerprint=fingerprint)
    return updated


def costs_refresh(*, first_day: date | None = None, last_day: date | None = None) -> int:
    """Recompute the costs of the days in a range now (after adding or changing a contract)."""
    with transaction.atomic():
        lock_derived_data()
        updated = statistics_costs_refresh(first_day=first_day, last_day=last_day)
        ProcessingState.store(contracts_fingerprint=contracts_fingerprint())
    return updated


@dataclass(frozen=True, slots=True)
class RebuildResult:
    readings: int
    minutes: int
    hours: int
    days: int
    seconds: float


def processing_rebuild(
    *, since: date | None = None, progress: Callable[[int, int], None] | None = None
) -> RebuildResult:
    """Recompute all derived data (or that from local day ``since`` on) from the readings, in chunks."""
    began = time.perf_counter()
    _gas_follow_setting()
    window = window_at()
    start = day_start(since) if since else None
    with transaction.atomic():
        lock_derived_data()
        quarantine_refresh(
            first=EVERYTHING[0], last=EVERYTHING[1], window=window, entries=quarantine_entries()
        )
        _clear_derived(since_epoch=start)
    first, last = fetch(
        f"SELECT MIN(timestamp), MAX(timestamp) FROM {READINGS} WHERE {window.contains('timestamp')}",
        window.bounds,
    )[0]
    if first is None or (start is not None and last < start):
        return RebuildResult(0, 0, 0, 0, time.perf_counter() - began)
    begin = max(first, start) if start is not None else first
    chunks = [(low, min(low + REBUILD_CHUNK - 1, last)) for low in range(begin, last + 1, REBUILD_CHUNK)]
    months = _months(begin, last)
    steps = len(chunks) + len(months)
    for done, (low, high) in enumerate(chunks, start=1):
        with transaction.atomic():
            lock_derived_data()
            minute_low, minute_high = minutes_refresh(first=low, last=high, window=window)
            epochs_refresh(low=minute_low, high=minute_high)
        if progress:
            progress(done, steps)
    # DSMR 4 stamps its hourly gas value up to an hour before the reading that carries it.
    gas_first = fetch(f"SELECT MIN(gas_timestamp) FROM {MINUTES} WHERE read_at >= %s", [begin])[0][0]
    for done, (low, high) in enumerate(months, start=len(chunks) + 1):
        if done == len(chunks) + 1 and gas_first is not None:
            low = min(low, gas_first)
        with transaction.atomic():
            lock_derived_data()
            gas_refresh(first=low, last=high)
            statistics_refresh(first_day=local_date(low - 1), last_day=local_date(high), window=window)
        if progress:
            progress(done, steps)
    PendingMinute.objects.filter(minute__gte=begin // MINUTE).delete()
    _costs_follow_contracts()
    readings = fetch(
        f"SELECT COUNT(*) FROM {READINGS} WHERE timestamp >= %s AND {window.contains('timestamp')}",
        [begin, *window.bounds],
    )[0][0]
    return RebuildResult(
        readings=readings,
        minutes=ElectricityConsumption.objects.filter(read_at__gt=from_epoch(begin)).count(),
        hours=HourStatistics.objects.filter(hour_start__gte=from_epoch(begin)).count(),
        days=DayStatistics.objects.filter(day__gte=local_date(begin)).count(),
        seconds=time.perf_counter() - began,
    )


def _months(first: int, last: int) -> list[tuple[int, int]]:
    """[first, last] cut at local month starts (statistics are restated a month per transaction)."""
    spans = []
    day = local_date(first)
    low = first
    while low <= last:
        next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        high = min(day_start(next_month) - 1, last)
        spans.append((low, high))
        low, day = high + 1, next_month
    return spans


def _clear_derived(*, since_epoch: int | None) -> None:
    """Delete the derived rows (since a moment); imported statistics stay (``processing.statistics``)."""
    if since_epoch is None:
        for model in (ElectricityConsumption, GasConsumption, MeterEpoch, QuarterStatistics):
            model.objects.all().delete()
        HourStatistics.objects.filter(imported=False).delete()
        DayStatistics.objects.filter(imported=False).delete()
        PendingMinute.objects.all().delete()
        return
    moment = from_epoch(since_epoch)
    ElectricityConsumption.objects.filter(read_at__gt=moment).delete()
    GasConsumption.objects.filter(read_at__gte=moment).delete()
    HourStatistics.objects.filter(hour_start__gte=moment, imported=False).delete()
    QuarterStatistics.objects.filter(quarter_start__gte=moment).delete()
    DayStatistics.objects.filter(day__gte=local_date(since_epoch), imported=False).delete()
    MeterEpoch.objects.filter(timestamp__gt=moment).delete()
