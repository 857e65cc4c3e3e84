"""The one ingest service: telegram (or API values) in, stored reading out — or a counted rejection."""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Count, F, Max, Min
from django.utils import timezone

from dsmrhub.db.singleton import SINGLETON_ID
from dsmrhub.readings.models import (
    INT32_MAX,
    METER_COUNTER_FIELDS,
    READING_PHASE_GRID_FIELDS,
    READING_PHASE_POWER_FIELDS,
    READING_REQUIRED_FIELDS,
    DsmrReading,
    MBusReading,
    MeterStatistics,
)
from dsmrhub.readings.plausibility import timestamp_problem
from dsmrhub.readings.sql import insert_unless_present, upsert
from dsmrhub.telegram import MBusReading as ParsedMBus
from dsmrhub.telegram import Telegram, TelegramError, parse_telegram

logger = logging.getLogger(__name__)

# A meter clock that is absent, empty or all zeros was never set: such telegrams are stamped on receipt.
UNSET_CLOCKS = {None, "", "000000000000W", "000000000000S", "000000000000"}

REQUIRED_READING_FIELDS = READING_REQUIRED_FIELDS
OPTIONAL_READING_FIELDS = READING_PHASE_POWER_FIELDS + READING_PHASE_GRID_FIELDS
STATISTICS_FIELDS = ("dsmr_version", "electricity_tariff", *METER_COUNTER_FIELDS)
DECIMAL_FIELDS = frozenset(REQUIRED_READING_FIELDS + OPTIONAL_READING_FIELDS + ("extra_device_delivered",))


class ReadingRejected(Exception):
    """A telegram or reading that is not stored; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IngestResult:
    values: dict[str, Any]  # the checked values of the reading that was offered
    created: bool  # False: a reading with this meter timestamp was already stored

    @property
    def reading(self) -> DsmrReading:
        """The stored reading (the one stored before, for a duplicate). Built on demand: most callers
        only need ``created``."""
        if self.created:
            return DsmrReading(**self.values)
        return DsmrReading.objects.get(timestamp=self.values["timestamp"])


def reading_ingest_telegram(
    *, telegram: str | bytes, received_at: datetime | None = None, check_crc: bool = True
) -> IngestResult:
    """Parse and store one telegram in one transaction, or count and raise ``ReadingRejected``."""
    try:
        values, parsed = reading_check_telegram(
            telegram=telegram, received_at=received_at, check_crc=check_crc
        )
    except ReadingRejected as error:
        _reject(error.reason)
    with transaction.atomic():
        created = _store_reading(values)
        if created:
            _store_mbus(parsed, timestamp=values["timestamp"])
            _update_meter_statistics(parsed, timestamp=values["timestamp"])
    return IngestResult(values=values, created=created)


def reading_check_telegram(
    *, telegram: str | bytes, received_at: datetime | None = None, check_crc: bool = True
) -> tuple[dict[str, Any], Telegram]:
    """Parse and validate a telegram: its reading values and the parsed telegram, or ``ReadingRejected``
    (not counted: the caller decides)."""
    if ("\x00" if isinstance(telegram, str) else b"\x00") in telegram:
        raise ReadingRejected("telegram contains NUL bytes")
    try:
        parsed = parse_telegram(telegram, tz=settings.TIME_ZONE, check_crc=check_crc)
    except TelegramError as error:
        raise ReadingRejected(error.reason) from None
    now = timezone.now()
    values = _reading_values_from_telegram(parsed, received_at=received_at or now, now=now)
    _validate_reading_values(values, now=now)
    return values, parsed


def reading_create(*, values: dict[str, Any]) -> IngestResult:
    """Store a reading given as values (API v2). Same checks as for telegrams; rejections are not counted."""
    values = dict(values)
    for name in OPTIONAL_READING_FIELDS + ("extra_device_timestamp", "extra_device_delivered"):
        values.setdefault(name, None)
    _validate_reading_values(values)
    with transaction.atomic():
        created = _store_reading(values)
    return IngestResult(values=values, created=created)


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


def _reject(reason: str) -> None:
    meter_statistics_count_rejection(reason=reason)
    raise ReadingRejected(reason)


def _reading_values_from_telegram(
    parsed: Telegram, *, received_at: datetime, now: datetime
) -> dict[str, Any]:
    timestamp = parsed.timestamp
    if timestamp is None:
        clock = _meter_clock_text(parsed.raw)
        if clock not in UNSET_CLOCKS:
            raise ReadingRejected(f"impossible meter timestamp 0-0:1.0.0({clock})")
        # DSMR 2.2/3.0, some foreign meters and meters with an unset clock: the reading is taken now.
        timestamp = received_at.replace(microsecond=0)
    values: dict[str, Any] = {"timestamp": timestamp}
    values.update(zip(_TELEGRAM_READING_FIELDS, _telegram_reading_values(parsed), strict=True))
    _fill_totals_only_meter(values, parsed)
    missing = [name for name in REQUIRED_READING_FIELDS if values[name] is None]
    if missing:
        raise ReadingRejected(f"missing mandatory registers: {', '.join(missing)}")
    gas = _gas_for_reading(parsed, now=now)
    values["extra_device_timestamp"] = gas.timestamp if gas else None
    values["extra_device_delivered"] = gas.value if gas else None
    return values


_TELEGRAM_READING_FIELDS = REQUIRED_READING_FIELDS + OPTIONAL_READING_FIELDS
_telegram_reading_values = operator.attrgetter(*_TELEGRAM_READING_FIELDS)  # one C call per telegram
_TARIFF_FIELDS = tuple(
    (direction, f"electricity_{direction}_total", f"electricity_{direction}_1", f"electricity_{direction}_2")
    for direction in ("delivered", "returned")
)


def _fill_totals_only_meter(values: dict[str, Any], parsed: Telegram) -> None:
    """Meters without day/night registers (Luxembourg, Sweden, EasyMeter) book their totals on tariff 1;
    an import-only meter (no 2.8.x registers, no 2.7.0) has returned nothing."""
    zero = Decimal("0.000")
    for direction, total_field, first, second in _TARIFF_FIELDS:
        if values[first] is None and values[second] is None:
            total = getattr(parsed, total_field)
            if total is not None:
                values[first], values[second] = total, zero
            elif direction == "returned" and values["electricity_delivered_1"] is not None:
                values[first], values[second] = zero, zero
    if (
        values["electricity_currently_returned"] is None
        and values["electricity_currently_delivered"] is not None
    ):
        values["electricity_currently_returned"] = zero


def _meter_clock_text(raw: str) -> str | None:
    """What the telegram says in 0-0:1.0.0(…): None when the register is absent."""
    start = raw.find("0-0:1.0.0(")
    if start < 0:
        return None
    start += len("0-0:1.0.0(")
    return raw[start : raw.find(")", start)]


def _decimal_limits() -> dict[str, tuple[Decimal, Decimal]]:
    """Per decimal field of a reading: (exclusive upper bound, quantum), from the model's definition."""
    limits = {}
    for name in DECIMAL_FIELDS:
        field = DsmrReading._meta.get_field(name)
        limits[name] = (
            Decimal(10) ** (field.max_digits - field.decimal_places),
            Decimal(1).scaleb(-field.decimal_places),
        )
    return limits


_DECIMAL_LIMITS = _decimal_limits()
_PLAIN_NUMBERS = (int, float, str)


def _validate_reading_values(values: dict[str, Any], *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    timestamp = values["timestamp"]
    if timestamp is None or timezone.is_naive(timestamp):
        raise ReadingRejected("the reading has no valid timestamp")
    if problem := timestamp_problem(timestamp, now=now):
        raise ReadingRejected(problem)
    gas_timestamp = values.get("extra_device_timestamp")
    if gas_timestamp is not None:  # API v2 values; a telegram's implausible gas clock was dropped before
        if timezone.is_naive(gas_timestamp):
            raise ReadingRejected("extra_device_timestamp has no time zone")
        if problem := timestamp_problem(gas_timestamp, now=now, what="extra_device_timestamp"):
            raise ReadingRejected(problem)
    for name, (upper, quantum) in _DECIMAL_LIMITS.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, _PLAIN_NUMBERS):
            try:
                value = Decimal(str(value))
            except ArithmeticError:
                raise ReadingRejected(f"{name} is not a number ({value!r})") from None
        if not value.is_finite():
            raise ReadingRejected(f"{name} is not a number")
        if value < 0:
            raise ReadingRejected(f"{name} is negative ({value})")
        if value >= upper:
            raise ReadingRejected(f"{name} is out of range ({value})")
        values[name] = value.quantize(quantum)
    if values.get("extra_device_delivered") is not None and values.get("extra_device_timestamp") is None:
        raise ReadingRejected("gas value without a valid gas timestamp")


def _store_reading(values: dict[str, Any]) -> bool:
    """True when stored; False when a reading with this meter timestamp already was (nothing written)."""
    if insert_unless_present(DsmrReading, values, conflict="timestamp"):
        return True
    logger.info("reading at %s already stored; not stored twice", values["timestamp"])
    return False


# Per channel, the (channel, timestamp) this process stored last: a gas value repeats in the ~300
# telegrams until the meter's next gas reading, and its repeats are not inserted again.
_last_mbus_stored: dict[int, tuple[int, datetime]] = {}


def _store_mbus(parsed: Telegram, *, timestamp: datetime) -> None:
    now = timezone.now()
    for channel in parsed.mbus:
        key = (channel.channel, channel.timestamp or timestamp)
        if (
            key == _last_mbus_stored.get(channel.channel)
            or not channel.is_meter
            or not _mbus_fits(channel, now=now)
        ):
            continue
        identifier = _fit_text(MBusReading, "equipment_identifier", channel.equipment_identifier)
        row = {
            "channel": channel.channel,
            "device_type": channel.device_type,
            "equipment_identifier": identifier or "",
            "timestamp": key[1],
            "value": channel.value,
            "unit": _fit_text(MBusReading, "unit", channel.unit) or "",
            "reading": timestamp,  # the reading's primary key is its timestamp
        }
        insert_unless_present(MBusReading, row, conflict=("channel", "timestamp"))
        transaction.on_commit(functools.partial(_last_mbus_stored.__setitem__, channel.channel, key))


def _update_meter_statistics(parsed: Telegram, *, timestamp: datetime) -> None:
    """Copy the meter's counters, unless a newer telegram already did (late telegrams don't go back)."""
    changes = {name: _fit_counter(name, getattr(parsed, name)) for name in STATISTICS_FIELDS}
    changes["dsmr_version"] = _fit_text(MeterStatistics, "dsmr_version", parsed.dsmr_version)
    changes.update(timestamp=timestamp, latest_telegram=parsed.raw)
    upsert(
        MeterStatistics,
        ("id", SINGLETON_ID),
        changes,
        only_if="{table}.timestamp <= excluded.timestamp OR {table}.latest_telegram IS NULL",
        initial={"rejected_telegrams": 0},
    )


MBUS_VALUE_LIMIT = Decimal(10) ** 9
MBUS_CHANNEL_LIMIT = 255


def _fit_counter(name: str, value: Any) -> Any:
    """Meter counters that don't fit a 4-byte integer are not stored; the reading itself still is."""
    if isinstance(value, int) and not 0 <= value <= INT32_MAX:
        logger.warning("meter statistic %s=%s out of range; not stored", name, value)
        return None
    return value


def _fit_text(model: type, name: str, value: str | None) -> str | None:
    if value is not None and len(value) > model._meta.get_field(name).max_length:
        logger.warning("%s %r is longer than %d characters; not stored", name, value[:40], len(value))
        return None
    return value


def _mbus_fits(channel: ParsedMBus, *, now: datetime) -> bool:
    fits = (
        0 <= channel.channel <= MBUS_CHANNEL_LIMIT
        and 0 <= channel.device_type <= MBUS_CHANNEL_LIMIT
        and channel.value.is_finite()
        and 0 <= channel.value < MBUS_VALUE_LIMIT
    )
    if not fits:
        logger.warning("M-Bus channel %s value %s out of range; not stored", channel.channel, channel.value)
        return False
    if problem := _mbus_clock_problem(channel, now=now):
        _warn_once(
            ("M-Bus", channel.channel),
            f"M-Bus channel {channel.channel} value {channel.value} not stored: {problem}",
        )
        return False
    return True


def _mbus_clock_problem(channel: ParsedMBus, *, now: datetime) -> str | None:
    """Why an M-Bus value's own timestamp cannot be placed (none, or outside the plausible range)."""
    if channel.timestamp is None:
        return "it has no valid timestamp"
    return timestamp_problem(channel.timestamp, now=now, what="its timestamp")


def _gas_for_reading(parsed: Telegram, *, now: datetime) -> ParsedMBus | None:
    """The telegram's gas value for the reading's extra_device fields, unless its clock is implausible:
    a wrong gas clock costs the gas value of this telegram, never its electricity reading."""
    gas = parsed.gas
    if gas is not None and (problem := _mbus_clock_problem(gas, now=now)):
        _warn_once(("gas", gas.channel), f"gas value {gas.value} not stored with the reading: {problem}")
        return None
    return gas


# The warning logged last per (kind, channel): a meter repeats its M-Bus value and stamp for minutes or
# hours, so a wrong M-Bus clock is logged once until the value or stamp changes, not once per telegram.
_last_mbus_warning: dict[tuple[str, int], str] = {}


def _warn_once(key: tuple[str, int], message: str) -> None:
    if _last_mbus_warning.get(key) != message:
        _last_mbus_warning[key] = message
        logger.warning("%s", message)
