"""Parse one P1 telegram in a single pass over its lines."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from .caches import BoundedCache
from .crc import crc16_arc
from .errors import CRC_MISMATCH, TelegramError
from .framing import find_line_start
from .model import MBusReading, MonthlyPeak, PowerFailure, Telegram, telegram_from_values
from .specs import (
    DECIMAL,
    DEMAND_PEAK,
    INTEGER,
    MBUS_ID,
    MBUS_TYPE,
    MBUS_VALUE,
    MBUS_VALUE_DSMR22,
    PEAK_HISTORY,
    POWER_FAILURE_LOG,
    TEXT,
    THRESHOLD,
    TIMESTAMP,
    VARIANTS,
    Register,
    Spec,
    Unit,
    detect_variant,
    normalise_obis,
)
from .timestamps import resolve_zone, to_utc, zone_cache

_HEX = "0123456789abcdefABCDEF"
_NUMBER = "0123456789."
_ZERO = Decimal(0)
_LEADING_NOISE = " \t\r\n\x00"
_UNKNOWN = object()  # not in a cache (None is a cached answer)
# (variant, obis as sent) -> its table entry, for OBIS codes written unusually
_aliases: BoundedCache[tuple[str, str], tuple | None] = BoundedCache(1000)
_compiled: dict[str, dict[str, tuple]] = {}  # variant -> obis -> (kind, field, unit name, unit, channel)
# The power failure log and the Belgian peak history repeat verbatim telegram after telegram (they
# change after an outage, or once a month); their parsed (immutable) tuples are kept by text.
_logs: BoundedCache[tuple[ZoneInfo, str], tuple] = BoundedCache(256)


class _BadValue(Exception):
    """Internal: the value of a known register does not parse."""


def parse_telegram(
    data: str | bytes,
    *,
    tz: str | ZoneInfo = "Europe/Amsterdam",
    check_crc: bool = True,
    variant: str | None = None,
) -> Telegram:
    """Parse one telegram ('/' ... '!' [CRC]); bytes are latin-1. Raises ``TelegramError``."""
    if isinstance(data, str):
        text, raw = data, None
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        text = raw.decode("latin-1")
    else:
        raise TelegramError(f"expected str or bytes, not {type(data).__name__}")
    start = text.find("/")
    if start < 0:
        raise TelegramError("no '/' header")
    if start and text[:start].strip(_LEADING_NOISE):
        raise TelegramError("garbage before the '/' header", line=1)
    bang = find_line_start(text, "!", start, len(text))
    if bang < 0:
        raise TelegramError("truncated: no '!' end line")
    bang += 1
    line_end = text.find("\n", bang)
    crc_text = (text[bang + 1 :] if line_end < 0 else text[bang + 1 : line_end]).strip()
    lines = text[start:bang].splitlines()
    header = lines[0]

    if variant is None:
        spec = VARIANTS[detect_variant(header, text[start:bang])]
    else:
        spec = VARIANTS.get(variant)
        if spec is None:
            raise TelegramError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")

    crc = _check_crc(crc_text, text, raw, start, bang, check_crc, spec, len(lines) + 1)
    try:
        zone = resolve_zone(tz)
    except ValueError as error:
        raise TelegramError(str(error)) from None

    values, mbus, other = _parse_lines(lines, spec, zone)
    if spec.totals_as_tariffs:
        _book_totals(values)
    values["raw"] = text[start:] if line_end < 0 else text[start : line_end + 1]
    values["header"] = header
    values["variant"] = spec.name
    values["crc"] = crc
    values["mbus"] = mbus
    values["other"] = other
    return telegram_from_values(values)


def _check_crc(
    crc_text: str,
    text: str,
    raw: bytes | None,
    start: int,
    bang: int,
    check_crc: bool,
    spec: Spec,
    line: int,
) -> str | None:
    if not crc_text:
        if check_crc and spec.crc_required:
            raise TelegramError(f"missing CRC: a {spec.name} telegram must end in '!' and its CRC", line=line)
        return None
    if len(crc_text) > 4 or crc_text.strip(_HEX):
        raise TelegramError(f"bad CRC line: '!{crc_text[:20]}'", line=line)
    crc = crc_text.upper()
    if check_crc:
        if raw is None:
            try:
                content = text[start : bang + 1].encode("latin-1")
            except UnicodeEncodeError:
                raise TelegramError("telegram text is not latin-1") from None
        else:
            content = raw[start : bang + 1]
        computed = crc16_arc(content)
        if computed != int(crc, 16):
            reason = f"{CRC_MISMATCH}: telegram says {crc}, content gives {computed:04X}"
            raise TelegramError(reason, line=line)
    return crc


def _compile(register: Register) -> tuple:
    unit = register.unit
    return (register.kind, register.field, unit.name if unit else None, unit, register.channel)


def _table(spec: Spec) -> dict[str, tuple]:
    """The spec's registers as a plain dict of tuples: the fastest lookup and unpacking per line."""
    table = _compiled.get(spec.name)
    if table is None:
        table = _compiled[spec.name] = {obis: _compile(register) for obis, register in spec.registers.items()}
    return table


def _resolve(obis: str, spec: Spec) -> tuple | None:
    """Register for an OBIS code written unusually ('*255', '1-0:99:97.0', ...), cached."""
    key = (spec.name, obis)
    compiled = _aliases.get(key, _UNKNOWN)
    if compiled is not _UNKNOWN:
        return compiled
    code = normalise_obis(obis, spec)
    # The table's own entry: one object for every spelling of a code, which the duplicate check relies on.
    compiled = _table(spec).get(code) if code and code != obis else None
    return _aliases.put(key, compiled)


# Lines repeat: a meter sends its equipment id, counters, tariff, gas reading and most meter positions
# unchanged telegram after telegram. What a line contributes is a pure function of (variant, zone, line
# text), so the contributions of lines that parsed cleanly are kept by their text (bounded; cleared when
# full). Lines that never repeat (the meter clock) and the DSMR 2.2 gas register (whose value may follow
# on the next line) are not kept. One register twice in a telegram is an error: the lines count the keys
# they set, and when the dicts hold fewer, the telegram is searched for a register it holds twice
# (registers are told apart by their table entry, so every spelling of a code is one).
_LINE_CACHE_LIMIT = 8192
_line_caches: dict[tuple[str, ZoneInfo], BoundedCache[str, tuple]] = {}
_VALUE, _VALUES, _CHANNEL, _OTHER = 0, 1, 2, 3  # first item of a cached line's contribution


def _line_cache(spec: Spec, zone: ZoneInfo) -> BoundedCache[str, tuple]:
    key = (spec.name, zone)
    cache = _line_caches.get(key)
    if cache is None:
        cache = _line_caches[key] = BoundedCache(_LINE_CACHE_LIMIT)
    return cache


def _parse_lines(lines: list[str], spec: Spec, zone: ZoneInfo) -> tuple[dict, tuple[MBusReading, ...], dict]:
    lookup = _table(spec).get
    cache = zone_cache(zone)
    known = _line_cache(spec, zone)
    recall, remember = known.get, known.put
    values: dict[str, object] = {}
    channels: dict[int, dict[str, object]] = {}
    other: dict[str, str] = {}
    pending_gas: dict[str, object] | None = None  # DSMR 2.2: the value follows on the next line
    pending_line = 0
    written = 0  # keys set by the lines; more than the dicts hold: a key was set twice
    number = 1
    for line in lines[1:]:
        number += 1
        contribution = recall(line)
        if contribution is None:
            paren = line.find("(")
            if paren <= 0:
                if paren == 0 and pending_gas is not None and pending_line == number - 1:
                    try:
                        pending_gas["value"] = _number(_strip_group(line))
                        written += 1
                    except _BadValue:
                        message = f"bad value on line {number}: {line[:80]!r}"
                        raise TelegramError(message, line=number) from None
                    pending_gas = None
                elif line.strip():
                    raise TelegramError(f"bad line {number}: {line[:60]!r}", line=number)
                continue
            obis = line[:paren]
            entry = lookup(obis)
            if entry is None:
                entry = _resolve(obis, spec)
            if entry is None:
                contribution = (_OTHER, obis, line[paren:].rstrip())
            else:
                text = line
                if text[-1] != ")":
                    text = text.rstrip()
                    if text[-1] != ")":
                        raise TelegramError(f"bad value on line {number}: {text[:80]!r}", line=number)
                kind = entry[0]
                try:
                    if kind is TIMESTAMP:
                        stamp = text[paren + 1 : -1]
                        values[entry[1]] = to_utc(stamp, zone, cache) if stamp else None
                        written += 1
                        continue
                    if kind is MBUS_VALUE_DSMR22:
                        reading = _dsmr22_gas(text[paren + 1 : -1], obis, zone, cache)
                        channel = channels.setdefault(entry[4], {})
                        channel.update(reading)
                        written += len(reading)
                        pending_gas, pending_line = (None, 0) if "value" in reading else (channel, number)
                        continue
                    contribution = _contribution(text[paren + 1 : -1], obis, entry, zone, cache)
                except (_BadValue, ValueError, ArithmeticError):
                    raise TelegramError(f"bad value on line {number}: {text[:80]!r}", line=number) from None
            remember(line, contribution)
        tag = contribution[0]
        if tag is _VALUE:
            values[contribution[1]] = contribution[2]
            written += 1
        elif tag is _CHANNEL:
            channel = channels.get(contribution[1])
            if channel is None:
                channel = channels[contribution[1]] = {}
            channel.update(contribution[2])
            written += len(contribution[2])
        elif tag is _VALUES:
            values.update(contribution[1])
            written += len(contribution[1])
        else:
            other[contribution[1]] = contribution[2]
            written += 1
    if written != len(values) + len(other) + sum(map(len, channels.values())):
        duplicate = _duplicate(lines, spec)
        if duplicate:
            raise duplicate
    return values, _mbus_readings(channels), other


def _duplicate(lines: list[str], spec: Spec) -> TelegramError | None:
    """The error for the first register a telegram holds twice; None when two registers set one field."""
    lookup = _table(spec).get
    seen: dict[object, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        paren = line.find("(")
        if paren <= 0:
            continue
        obis = line[:paren]
        entry = lookup(obis) or _resolve(obis, spec)
        register = obis if entry is None else id(entry)
        if register in seen:
            reason = f"duplicate register {obis.strip()} on lines {seen[register]} and {number}"
            return TelegramError(reason, line=number)
        seen[register] = number
    return None


def _contribution(inner: str, obis: str, entry: tuple, zone: ZoneInfo, cache: dict) -> tuple:
    """What one register line adds to the telegram; ``inner`` is the text between its outer brackets."""
    kind, field, unit_name, unit, channel_number = entry
    if kind is DECIMAL:
        number_text, _, sent = inner.partition("*")
        if not number_text or number_text.strip(_NUMBER):
            raise _BadValue
        value = Decimal(number_text)
        if sent != unit_name and sent:
            exponent = unit.exponent(sent)
            if exponent is None:
                raise _BadValue
            if exponent:
                value = value.scaleb(exponent)
        return (_VALUE, field, value)
    if kind is INTEGER:
        if not inner.isdigit() or not inner.isascii():
            raise _BadValue
        return (_VALUE, field, int(inner))
    if kind is TEXT:
        return (_VALUE, field, inner or None)
    if kind is MBUS_VALUE:
        stamp, value_text = inner.split(")(")
        number_text, _, sent = value_text.partition("*")
        return (
            _CHANNEL,
            channel_number,
            {
                "timestamp": to_utc(stamp, zone, cache) if stamp else None,
                "value": _number(number_text) if number_text else None,
                "unit": sent or None,
                "obis": obis,
            },
        )
    if kind is MBUS_TYPE:
        if inner and not (inner.isdigit() and inner.isascii()):
            raise _BadValue
        return (_CHANNEL, channel_number, {"device_type": int(inner) if inner else None})
    if kind is MBUS_ID:
        return (_CHANNEL, channel_number, {"equipment_identifier": inner or None})
    if kind is POWER_FAILURE_LOG:
        return (_VALUE, field, _power_failures(inner, None, zone, cache))
    if kind is THRESHOLD:
        number_text, _, sent = inner.partition("*")
        threshold = _number(number_text)
        return (_VALUES, (("actual_threshold", threshold), ("actual_threshold_unit", sent or None)))
    if kind is DEMAND_PEAK:
        stamp, value_text = inner.split(")(")
        return (_VALUES, ((field + "_at", to_utc(stamp, zone, cache)), (field, _decimal(value_text, unit))))
    if kind is PEAK_HISTORY:
        history = _peak_history(inner, unit, zone, cache)
        peaks = tuple((peak.occurred_at, peak.value) for peak in history)
        return (_VALUES, (("maximum_demand_history", history), (field, peaks)))
    raise AssertionError(kind)  # pragma: no cover - a kind in specs.py without a branch here


def _strip_group(line: str) -> str:
    text = line.strip()
    if not text.endswith(")") or text.count("(") != 1:
        raise _BadValue
    return text[1:-1]


def _number(text: str) -> Decimal:
    """Digits with an optional decimal point, nothing else (no sign, exponent, NaN or blanks)."""
    if not text or text.strip(_NUMBER):
        raise _BadValue
    try:
        return Decimal(text)
    except ArithmeticError:  # '1.2.3', '.'
        raise _BadValue from None


def _decimal(text: str, unit: Unit) -> Decimal:
    number_text, _, sent = text.partition("*")
    value = _number(number_text)
    if sent and sent != unit.name:
        exponent = unit.exponent(sent)
        if exponent is None:
            raise _BadValue
        value = value.scaleb(exponent)
    return value


def _cached(parse):
    def cached(text: str, unit: Unit | None, zone: ZoneInfo, cache: dict) -> tuple:
        key = (zone, text)
        result = _logs.get(key)
        if result is None:
            result = _logs.put(key, parse(text, unit, zone, cache))
        return result

    cached.__doc__ = parse.__doc__
    return cached


@_cached
def _power_failures(text: str, unit: Unit | None, zone: ZoneInfo, cache: dict) -> tuple[PowerFailure, ...]:
    """(count)(buffer obis)(end)(duration*s)...; also the bare '()' some meters send."""
    if not text:
        return ()
    parts = text.split(")(")
    count = parts[0]
    if not count.isdigit():
        raise _BadValue
    events = parts[2:]
    if len(parts) < 2 and int(count) or len(events) % 2:
        raise _BadValue
    failures = []
    for index in range(0, len(events), 2):
        duration = events[index + 1].partition("*")[0]
        if not duration.isdigit() or not duration.isascii():
            raise _BadValue
        failures.append(PowerFailure(end=to_utc(events[index], zone, cache), duration_seconds=int(duration)))
    return tuple(failures)


@_cached
def _peak_history(text: str, unit: Unit, zone: ZoneInfo, cache: dict) -> tuple[MonthlyPeak, ...]:
    """Belgian 0-0:98.1.0: (count)(1-0:1.6.0)(1-0:1.6.0)[(month start)(when)(value*kW)]..."""
    parts = text.split(")(")
    if not parts[0].isdigit():
        raise _BadValue
    entries = parts[3:]
    if len(entries) % 3:
        raise _BadValue
    return tuple(
        MonthlyPeak(
            period_start=to_utc(entries[index], zone, cache),
            occurred_at=to_utc(entries[index + 1], zone, cache),
            value=_decimal(entries[index + 2], unit),
        )
        for index in range(0, len(entries), 3)
    )


def _dsmr22_gas(text: str, obis: str, zone: ZoneInfo, cache: dict) -> dict[str, object]:
    """0-n:24.3.0(stamp)(status)(period)(count)(0-n:24.2.1)(unit) [+ (value) on this or the next line]."""
    parts = text.split(")(")
    if len(parts) < 6:
        raise _BadValue
    reading: dict[str, object] = {
        "timestamp": to_utc(parts[0], zone, cache) if parts[0] else None,
        "unit": parts[5] or None,
        "obis": obis,
    }
    if len(parts) > 6:
        reading["value"] = _number(parts[6])
    return reading


_mbus_cache: BoundedCache[tuple, tuple[MBusReading, ...]] = BoundedCache(256)  # channel contents -> readings


def _mbus_readings(channels: dict[int, dict[str, object]]) -> tuple[MBusReading, ...]:
    """The M-Bus channels as readings; the same channels (a gas value repeats for minutes) give the same
    (immutable) readings, so they are kept by content."""
    if not channels:
        return ()
    key = []
    for number, channel in channels.items():
        key.append(number)
        for name, value in channel.items():
            # Decimals by their digits too: 1.5 == 1.50, but the reading keeps what the meter sent.
            key += (name, str(value) if value.__class__ is Decimal else value)
    key = tuple(key)
    readings = _mbus_cache.get(key)
    if readings is None:
        readings = _mbus_cache.put(key, _mbus_reading_list(channels))
    return readings


def _mbus_reading_list(channels: dict[int, dict[str, object]]) -> tuple[MBusReading, ...]:
    readings = []
    for number in sorted(channels):
        channel = channels[number]
        value, timestamp, unit = channel.get("value"), channel.get("timestamp"), channel.get("unit")
        # An announced but empty slot: zero without unit, or zero with a placeholder date.
        if value is None or (value == _ZERO and (unit is None or timestamp is None)):
            value = timestamp = unit = None
        readings.append(
            MBusReading(
                channel=number,
                device_type=channel.get("device_type"),
                equipment_identifier=channel.get("equipment_identifier"),
                timestamp=timestamp,
                value=value,
                unit=unit,
                obis=channel.get("obis"),
            )
        )
    return tuple(readings)


def _book_totals(values: dict[str, object]) -> None:
    """Totals-only meters: tariff 1 = total, tariff 2 = 0 (as DSMR-reader does)."""
    for direction in ("delivered", "returned"):
        total = values.get(f"electricity_{direction}_total")
        if total is not None and f"electricity_{direction}_1" not in values:
            values[f"electricity_{direction}_1"] = total
            values.setdefault(f"electricity_{direction}_2", _ZERO)
