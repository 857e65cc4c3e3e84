"""The meter itself: its positions now, identifiers, power failures, voltage sags and swells, and the power
quality of a day (the Meter page).

What the meter says about itself comes from its latest stored telegram (``MeterStatistics``), parsed again
here for what the statistics row does not keep (identifiers, the power-failure log); the positions from the
latest placeable reading and the M-Bus devices; the quality view from the minute table, aggregated in SQL.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from dsmrhub.devices.selectors import DevicePresent, devices_present
from dsmrhub.processing.archive import PeriodError, date_parse
from dsmrhub.processing.periods import MINUTE, day_end, day_start, from_epoch
from dsmrhub.processing.quarantine import placeable_readings
from dsmrhub.processing.sql import MINUTES, fetch, idiv, mean_half_up
from dsmrhub.readings.models import CURRENT, VOLTAGE, MeterStatistics
from dsmrhub.readings.tariffs import telegram_variant
from dsmrhub.telegram import Telegram, TelegramError, parse_telegram
from dsmrhub.telegram.specs import VARIANTS, tariff_convention

PHASES = (1, 2, 3)
POSITION_REGISTERS = (
    # (OBIS, reading field, tariff, direction)
    ("1.8.1", "electricity_delivered_1", 1, "delivered"),
    ("1.8.2", "electricity_delivered_2", 2, "delivered"),
    ("2.8.1", "electricity_returned_1", 1, "returned"),
    ("2.8.2", "electricity_returned_2", 2, "returned"),
)
QUALITY_INTERVALS = (5, 15, 60)  # minutes a quality interval may span
QUALITY_DEFAULT_INTERVAL = 15
# EN 50160: the supply voltage stays within 230 V ± 10 % (judged here on minute means)
NOMINAL_VOLTAGE = Decimal("230.0")
VOLTAGE_LOW = Decimal("207.0")
VOLTAGE_HIGH = Decimal("253.0")
# The stored scale of the minute table's columns (tenths of a volt, thousandths of an ampere)
_VOLTAGE_PLACES = VOLTAGE["decimal_places"]
_CURRENT_PLACES = CURRENT["decimal_places"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- what the meter says about itself


@dataclass(frozen=True, slots=True)
class Position:
    obis: str  # "1.8.1"
    tariff: int
    direction: str  # "delivered" | "returned"
    value: Decimal  # kWh


@dataclass(frozen=True, slots=True)
class Identifier:
    raw: str  # as sent (usually hex)
    text: str | None  # the hex decoded, where it is printable text


@dataclass(frozen=True, slots=True)
class PowerFailure:
    start: datetime | None  # end − duration
    end: datetime | None  # None: the meter sent no usable time
    duration_seconds: int


@dataclass(frozen=True, slots=True)
class PhaseEvents:
    phase: int
    voltage: Decimal | None  # V, latest reading
    current: Decimal | None  # A, latest reading
    sags: int | None  # the meter's counters since it was installed
    swells: int | None


@dataclass(frozen=True, slots=True)
class MeterOverview:
    read_at: datetime | None  # the latest placeable reading
    positions: tuple[Position, ...]
    devices: tuple[DevicePresent, ...]  # present M-Bus devices, newest value each
    device_identifiers: tuple[tuple[DevicePresent, Identifier | None], ...]
    statistics_at: datetime | None  # the latest telegram's moment
    variant: str | None
    variant_description: str | None
    country: str | None
    equipment: Identifier | None
    dsmr_version: str | None  # "5.0"
    version_information: str | None  # Belgian e-MUCS version, as sent
    power_failure_count: int | None
    long_power_failure_count: int | None
    power_failures: tuple[PowerFailure, ...]  # newest first
    phases: tuple[PhaseEvents, ...]  # only the phases the meter reports
    rejected_telegrams: int

    @property
    def empty(self) -> bool:
        return self.read_at is None and self.statistics_at is None


def hex_text(value: str | None) -> Identifier | None:
    """An identifier as sent, with its text where the hex digits spell printable ASCII
    (``4530303434...`` → ``E0044...``); most meters send their equipment id this way."""
    if not value:
        return None
    text = None
    if len(value) % 2 == 0:
        try:
            decoded = binascii.unhexlify(value).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if decoded and decoded.isprintable():
            text = decoded
    return Identifier(raw=value, text=text)


def dsmr_version_text(version: str | None) -> str | None:
    """The version register (1-3:0.2.8) as written in the standards: "50" → "5.0", "42" → "4.2"."""
    if not version:
        return None
    if len(version) == 2 and version.isdigit():
        return f"{version[0]}.{version[1]}"
    return version


def _latest_telegram(text: str | None) -> Telegram | None:
    if not text:
        return None
    try:
        return parse_telegram(text, tz=settings.TIME_ZONE, check_crc=False)
    except TelegramError:
        return None  # stored before a parser change, or not a telegram: the counters still show


def power_failures(telegram: Telegram | None) -> tuple[PowerFailure, ...]:
    """The meter's log of long power failures, newest first, with their start (end − duration)."""
    if telegram is None:
        return ()
    entries = [
        PowerFailure(
            start=entry.end - timedelta(seconds=entry.duration_seconds) if entry.end else None,
            end=entry.end,
            duration_seconds=entry.duration_seconds,
        )
        for entry in telegram.power_failure_log
    ]
    return tuple(sorted(entries, key=lambda failure: failure.end or _EPOCH, reverse=True))


def meter_overview() -> MeterOverview:
    """Everything the Meter page shows above the quality view."""
    reading = placeable_readings().order_by("-timestamp").first()
    devices = tuple(devices_present())
    stats = MeterStatistics.peek()
    telegram = _latest_telegram(stats.latest_telegram)
    variant = telegram.variant if telegram else telegram_variant(stats.latest_telegram)
    convention = tariff_convention(variant) if variant else None
    positions = ()
    phases = ()
    if reading is not None:
        positions = tuple(
            Position(obis=obis, tariff=tariff, direction=direction, value=getattr(reading, field))
            for obis, field, tariff, direction in POSITION_REGISTERS
        )
    counters = stats.pk is not None
    for phase in PHASES:
        voltage = getattr(reading, f"phase_voltage_l{phase}", None) if reading else None
        current = getattr(reading, f"phase_power_current_l{phase}", None) if reading else None
        sags = getattr(stats, f"voltage_sag_count_l{phase}") if counters else None
        swells = getattr(stats, f"voltage_swell_count_l{phase}") if counters else None
        if any(value is not None for value in (voltage, current, sags, swells)):
            phases += (PhaseEvents(phase=phase, voltage=voltage, current=current, sags=sags, swells=swells),)
    return MeterOverview(
        read_at=reading.timestamp if reading else None,
        positions=positions,
        devices=devices,
        device_identifiers=tuple((device, hex_text(device.identifier)) for device in devices),
        statistics_at=stats.timestamp if counters else None,
        variant=variant,
        variant_description=VARIANTS[variant].description if variant in VARIANTS else None,
        country=convention.country if convention else None,
        equipment=hex_text(telegram.equipment_identifier) if telegram else None,
        dsmr_version=dsmr_version_text(stats.dsmr_version),
        version_information=telegram.version_information if telegram else None,
        power_failure_count=stats.power_failure_count if counters else None,
        long_power_failure_count=stats.long_power_failure_count if counters else None,
        power_failures=power_failures(telegram),
        phases=phases,
        rejected_telegrams=stats.rejected_telegrams if counters else 0,
    )


# ---------------------------------------------------------------- power quality of a day


@dataclass(frozen=True, slots=True)
class Spread:
    low: Decimal | None
    mean: Decimal | None
    high: Decimal | None


@dataclass(frozen=True, slots=True)
class QualityInterval:
    start: datetime  # UTC; the interval is [start, start + interval)
    minutes: int  # minutes with readings in it
    voltage: dict[int, Spread]  # phase → V
    current: dict[int, Spread]  # phase → A


@dataclass(frozen=True, slots=True)
class PhaseQuality:
    """One phase over the whole day."""

    phase: int
    voltage: Spread | None  # V
    current: Spread | None  # A
    outside: int  # minutes whose mean voltage lies outside VOLTAGE_LOW..VOLTAGE_HIGH


@dataclass(frozen=True, slots=True)
class QualityDay:
    day: date
    interval: int  # minutes
    intervals: tuple[QualityInterval, ...]  # only intervals with readings
    phases: tuple[PhaseQuality, ...]  # phases with a voltage or current that day
    minutes: int  # minutes with readings


def quality_day_parse(*, day: str | None, interval: str | None, today: date) -> tuple[date, int]:
    """``?day=YYYY-MM-DD&interval=5|15|60``; today and 15 minutes by default. ``PeriodError`` if bad."""
    chosen = date_parse(value=day, complete=True)[0] if day and day.strip() else today
    minutes = QUALITY_DEFAULT_INTERVAL
    if interval and interval.strip():
        if interval.strip() not in {str(choice) for choice in QUALITY_INTERVALS}:
            raise PeriodError(
                _("Choose an interval of %(choices)s minutes.")
                % {"choices": ", ".join(str(choice) for choice in QUALITY_INTERVALS)}
            )
        minutes = int(interval)
    return chosen, minutes


def _columns() -> list[tuple[str, str, int, str]]:
    """(quantity, minute column, phase, places) of the quality view."""
    return [
        (quantity, f"phase_{column}_l{phase}", phase, places)
        for quantity, column, places in (
            ("voltage", "voltage", _VOLTAGE_PLACES),
            ("current", "power_current", _CURRENT_PLACES),
        )
        for phase in PHASES
    ]


def _spread(low: int | None, mean: int | None, high: int | None, places: int) -> Spread:
    def value(stored: int | None) -> Decimal | None:
        return None if stored is None else Decimal(int(stored)).scaleb(-places)

    return Spread(value(low), value(mean), value(high))


def quality_day(*, day: date, interval: int = QUALITY_DEFAULT_INTERVAL) -> QualityDay:
    """Lowest, mean and highest voltage and current per phase in each ``interval`` minutes of the local
    ``day``, and over the whole day: from the minute table's minute means (a dip shorter than a minute is
    averaged into its minute), in two aggregate queries. A mean is rounded half up to the stored precision."""
    if interval not in QUALITY_INTERVALS:
        raise ValueError(f"interval {interval} is not one of {QUALITY_INTERVALS}")
    start, end = day_start(day), day_end(day)
    columns = _columns()
    aggregates = ", ".join(f"MIN({c}), {mean_half_up(c)}, MAX({c})" for _q, c, _p, _d in columns)
    # a minute row is (read_at − 60 s, read_at]: it belongs to the interval its first second lies in
    bucket = idiv(f"read_at - {MINUTE} - {int(start)}", str(int(interval * MINUTE)))
    rows = fetch(
        f"SELECT {bucket}, COUNT(*), {aggregates} FROM {MINUTES} "
        f"WHERE read_at > %s AND read_at <= %s GROUP BY 1 ORDER BY 1",
        [start, end],
    )
    low_limit = int(VOLTAGE_LOW.scaleb(_VOLTAGE_PLACES))
    high_limit = int(VOLTAGE_HIGH.scaleb(_VOLTAGE_PLACES))
    outside_sql = ", ".join(
        f"SUM(CASE WHEN {column} < {low_limit} OR {column} > {high_limit} THEN 1 ELSE 0 END)"
        for column in (f"phase_voltage_l{p}" for p in PHASES)
    )
    whole = fetch(
        f"SELECT COUNT(*), {aggregates}, {outside_sql} FROM {MINUTES} WHERE read_at > %s AND read_at <= %s",
        [start, end],
    )[0]

    def spreads(values: tuple, quantity: str) -> dict[int, Spread]:
        found = {}
        for index, (kind, _column, phase, places) in enumerate(columns):
            if kind == quantity:
                spread = _spread(*values[index * 3 : index * 3 + 3], places)
                if spread.mean is not None:
                    found[phase] = spread
        return found

    intervals = tuple(
        QualityInterval(
            start=from_epoch(start + int(row[0]) * interval * MINUTE),
            minutes=int(row[1]),
            voltage=spreads(row[2:], "voltage"),
            current=spreads(row[2:], "current"),
        )
        for row in rows
    )
    day_voltage = spreads(whole[1 : 1 + len(columns) * 3], "voltage")
    day_current = spreads(whole[1 : 1 + len(columns) * 3], "current")
    outside = whole[1 + len(columns) * 3 :]
    return QualityDay(
        day=day,
        interval=interval,
        intervals=intervals,
        phases=tuple(
            PhaseQuality(
                phase=phase,
                voltage=day_voltage.get(phase),
                current=day_current.get(phase),
                outside=int(outside[index] or 0),
            )
            for index, phase in enumerate(PHASES)
            if phase in day_voltage or phase in day_current
        ),
        minutes=int(whole[0]),
    )
