"""The one ingest check: a telegram (or API v2 values) in, the reading's column values out, or a reason.

Every path that stores readings calls it: the ingest service for one telegram (the datalogger, API v1)
and for API v2 values, and the bulk path (``dsmrhub import``, a datalogger catching up on its buffer).
They differ only in how they write what it returns (``readings.services`` one row per statement,
``readings.bulk`` a batch per statement), so a telegram is stored, recognised as a duplicate or rejected
for the same reason whichever way it comes in.

What makes it fast enough for an import of tens of thousands of telegrams per second:

- range checks and the conversion to column values are one step (``reading_columns``), remembered per
  (field, value) in a bounded cache, because a meter repeats its values from telegram to telegram;
- the parser's own line cache, and one ``attrgetter`` call for the reading's registers;
- ``Checked`` is a plain tuple of plain values, cheap to send back from the importer's worker processes.

Values become columns by the rules of the compact fields (``readings.fields``: ``round_stored``,
``ScaledDecimalField.column_value``, ``epoch_column``); when a timestamp can be true is decided by
``readings.plausibility``.
"""

from __future__ import annotations

import logging
import operator
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import models
from django.utils import timezone

from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField, epoch_column
from dsmrhub.readings.models import (
    BELGIAN_DEMAND_FIELDS,
    READING_PHASE_GRID_FIELDS,
    READING_PHASE_POWER_FIELDS,
    READING_REQUIRED_FIELDS,
    DsmrReading,
    MBusReading,
)
from dsmrhub.readings.plausibility import timestamp_problem
from dsmrhub.telegram import MBusReading as ParsedMBus
from dsmrhub.telegram import Telegram, TelegramError, parse_telegram
from dsmrhub.telegram.caches import BoundedCache

logger = logging.getLogger(__name__)

# A meter clock that is absent, empty or all zeros was never set: such telegrams are stamped on receipt.
UNSET_CLOCKS = {None, "", "000000000000W", "000000000000S", "000000000000"}

OPTIONAL_READING_FIELDS = READING_PHASE_POWER_FIELDS + READING_PHASE_GRID_FIELDS

_READING_FIELDS = tuple(DsmrReading._meta.concrete_fields)
READING_COLUMNS = tuple(field.attname for field in _READING_FIELDS)  # the order of ``Checked.row``


class ReadingRejected(Exception):
    """A telegram or reading that is not stored; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Checked(NamedTuple):
    """A telegram or API reading that passed every check (a plain tuple, cheap to send between processes)."""

    timestamp: datetime  # the reading's timestamp (aware)
    row: tuple  # the DsmrReading column values, in the order of READING_COLUMNS
    mbus: tuple[tuple, ...]  # (channel, device type, equipment id, timestamp or None, value, unit) to store
    parsed: Telegram | None  # the parsed telegram (meter statistics); None for API values or once not needed


def reading_check_telegram(
    telegram: str | bytes,
    *,
    received_at: datetime | None = None,
    tz: str | None = None,
    now: datetime | None = None,
    check_crc: bool = True,
) -> Checked | str:
    """Parse and check one telegram: what to store, or the reason (a str) it is rejected.

    ``received_at`` stamps a telegram whose meter clock was never set (default: now); ``tz`` (default
    ``settings.TIME_ZONE``) and ``now`` (the moment the timestamp rule is judged at) let a caller with
    many telegrams look them up once."""
    now = now or timezone.now()
    try:
        if ("\x00" if isinstance(telegram, str) else b"\x00") in telegram:
            raise ReadingRejected("telegram contains NUL bytes")
        try:
            parsed = parse_telegram(telegram, tz=tz or settings.TIME_ZONE, check_crc=check_crc)
        except TelegramError as error:
            raise ReadingRejected(error.reason) from None
        values = _values_from_telegram(parsed, received_at=received_at or now, now=now)
        _check_timestamp(values["timestamp"], now)
        row = reading_columns(values)
    except ReadingRejected as rejected:
        return rejected.reason
    return Checked(values["timestamp"], row, _mbus_rows(parsed, now), parsed)


def reading_check_values(values: dict[str, Any], *, now: datetime | None = None) -> Checked | str:
    """Check a reading given as values (API v2), by the same rules as a telegram's reading: what to store,
    or the reason (a str) it is rejected. Fields left out are empty."""
    now = now or timezone.now()
    try:
        _check_timestamp(values.get("timestamp"), now)
        gas_timestamp = values.get("extra_device_timestamp")
        if gas_timestamp is not None:  # a telegram's implausible gas clock is dropped before, with a warning
            if gas_timestamp.utcoffset() is None:
                raise ReadingRejected("extra_device_timestamp has no time zone")
            if problem := timestamp_problem(gas_timestamp, now=now, what="extra_device_timestamp"):
                raise ReadingRejected(problem)
        row = reading_columns(values)
    except ReadingRejected as rejected:
        return rejected.reason
    return Checked(values["timestamp"], row, (), None)


def _check_timestamp(timestamp: datetime | None, now: datetime) -> None:
    if timestamp is None or timestamp.utcoffset() is None:
        raise ReadingRejected("the reading has no valid timestamp")
    if problem := timestamp_problem(timestamp, now=now):
        raise ReadingRejected(problem)


# The converter's plan: per column, (value name, how). "how" is a decimal field's cache of checked
# value -> column value, or _EPOCH for a timestamp (checked before: aware and plausible).
_EPOCH = object()
_KNOWN_LIMIT = 4096  # remembered values per field


def _column_plan() -> tuple[tuple[str, Any, models.Field], ...]:
    plan = []
    for field in _READING_FIELDS:
        if isinstance(field, ScaledDecimalField):
            plan.append((field.attname, BoundedCache(_KNOWN_LIMIT), field))
        elif isinstance(field, EpochSecondsField):
            plan.append((field.attname, _EPOCH, field))
        else:  # a new column type needs its check and conversion here
            raise TypeError(f"DsmrReading.{field.name}: no column conversion for {type(field).__name__}")
    return tuple(plan)


_COLUMN_PLAN = _column_plan()


def reading_columns(values: dict[str, Any]) -> tuple:
    """The one converter: a reading's values (a missing name is empty) to its column values, in the order
    of ``READING_COLUMNS``, checking each decimal (a number, not negative, in range once rounded by
    ``readings.fields.round_stored``); raises ``ReadingRejected``. Timestamps must be checked before."""
    row = []
    append = row.append
    get = values.get
    for name, how, field in _COLUMN_PLAN:
        value = get(name)
        if value is None:
            append(None)
        elif how is _EPOCH:
            append(epoch_column(value))
        else:
            column = how.get(value) if value.__class__ is Decimal or value.__class__ is str else None
            if column is None:
                column = _decimal_column(name, value, field, how)
            append(column)
    if values.get("extra_device_delivered") is not None and values.get("extra_device_timestamp") is None:
        raise ReadingRejected("gas value without a valid gas timestamp")
    return tuple(row)


_PLAIN_NUMBERS = (int, float, str)


def _decimal_column(name: str, value: Any, field: ScaledDecimalField, known: BoundedCache) -> int:
    """Check one decimal value and remember its column value (equal decimals check and round alike). A
    value's text (an import reading another database's numbers as text) is remembered as given: hashing a
    short str costs a fraction of hashing a Decimal, and it spares the Decimal for a value seen before."""
    key = value if value.__class__ is str else None
    if value.__class__ is not Decimal:
        if not isinstance(value, (Decimal, *_PLAIN_NUMBERS)):
            raise ReadingRejected(f"{name} is not a number ({value!r})")
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            raise ReadingRejected(f"{name} is not a number ({value!r})") from None
    if not value.is_finite():
        raise ReadingRejected(f"{name} is not a number")
    if value < 0:
        raise ReadingRejected(f"{name} is negative ({value})")
    if value < field.limit:
        column = field.column_value(value)
        if column < 10**field.max_digits:  # also once rounded: 999999.9995 kW would round to 1000000.000
            return known.put(value if key is None else key, column)
    raise ReadingRejected(f"{name} is out of range ({value})")


def reading_from_columns(row: tuple) -> DsmrReading:
    """The reading a checked row stands for, with the values as stored (as if read back)."""
    return DsmrReading(
        **{
            field.attname: None if value is None else field.from_db_value(value, None, None)
            for field, value in zip(_READING_FIELDS, row, strict=True)
        }
    )


def _values_from_telegram(parsed: Telegram, *, received_at: datetime, now: datetime) -> dict[str, Any]:
    timestamp = parsed.timestamp
    if timestamp is None:
        clock = _meter_clock_text(parsed.raw)
        if clock not in UNSET_CLOCKS:
            raise ReadingRejected(f"impossible meter timestamp 0-0:1.0.0({clock})")
        # DSMR 2.2/3.0, some foreign meters and meters with an unset clock: the reading is taken now.
        timestamp = received_at.replace(microsecond=0)
    values: dict[str, Any] = {"timestamp": timestamp}
    values.update(zip(_TELEGRAM_READING_FIELDS, _telegram_reading_values(parsed), strict=True))
    if (  # what _fill_totals_only_meter looks at, looked at here first: most meters need nothing filled
        values["electricity_delivered_1"] is None
        or values["electricity_returned_1"] is None
        or values["electricity_currently_returned"] is None
    ):
        _fill_totals_only_meter(values, parsed)
    missing = [name for name in READING_REQUIRED_FIELDS if values[name] is None]
    if missing:
        raise ReadingRejected(f"missing mandatory registers: {', '.join(missing)}")
    gas = parsed.gas
    if gas is not None and (problem := _mbus_clock_problem(gas, now=now)):
        # A wrong gas clock costs the gas value of this telegram, never its electricity reading.
        _warn_once(("gas", gas.channel), f"gas value {gas.value} not stored with the reading: {problem}")
        gas = None
    values["extra_device_timestamp"] = gas.timestamp if gas else None
    values["extra_device_delivered"] = gas.value if gas else None
    return values


_TELEGRAM_READING_FIELDS = READING_REQUIRED_FIELDS + OPTIONAL_READING_FIELDS + BELGIAN_DEMAND_FIELDS
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


MBUS_VALUE_LIMIT = Decimal(10) ** 9
MBUS_CHANNEL_LIMIT = 255

_mbus_known: BoundedCache[ParsedMBus, tuple] = BoundedCache(_KNOWN_LIMIT)


def _mbus_rows(parsed: Telegram, now: datetime) -> tuple[tuple, ...]:
    """The M-Bus channels to store, as (channel, device type, equipment id, timestamp, value, unit); the
    timestamp None stands for the reading's own. A channel that sends a value without a type line is
    stored too (device type None): a kind set by hand (``devices.DeviceOverride``) tells what it is."""
    rows = []
    for channel in parsed.mbus:
        row = _mbus_known.get(channel)
        if row is None:
            if channel.value is None or not _mbus_fits(channel, now=now):  # None: an announced, empty slot
                continue
            identifier = fit_text(MBusReading, "equipment_identifier", channel.equipment_identifier)
            unit = fit_text(MBusReading, "unit", channel.unit)
            row = (
                channel.channel,
                channel.device_type,
                identifier or "",
                channel.timestamp,
                channel.value,
                unit or "",
            )
            if identifier == channel.equipment_identifier and unit == channel.unit:  # nothing was logged
                _mbus_known.put(channel, row)
        rows.append(row)
    return tuple(rows)


def _mbus_fits(channel: ParsedMBus, *, now: datetime) -> bool:
    fits = (
        0 <= channel.channel <= MBUS_CHANNEL_LIMIT
        and (channel.device_type is None or 0 <= channel.device_type <= MBUS_CHANNEL_LIMIT)
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


def fit_text(model: type[models.Model], name: str, value: str | None) -> str | None:
    """``value``, or None (with a warning) when it is longer than the model's field allows."""
    if value is not None and len(value) > model._meta.get_field(name).max_length:
        logger.warning("%s %r is longer than %d characters; not stored", name, value[:40], len(value))
        return None
    return value


# The warning logged last per (kind, channel): a meter repeats its M-Bus value and stamp for minutes or
# hours, so a wrong M-Bus clock is logged once until the value or stamp changes, not once per telegram.
_last_mbus_warning: dict[tuple[str, int], str] = {}


def _warn_once(key: tuple[str, int], message: str) -> None:
    if _last_mbus_warning.get(key) != message:
        _last_mbus_warning[key] = message
        logger.warning("%s", message)
