"""M-Bus values → device hours, five-minute rows, days and epochs (``dsmrhub.devices``), per channel.

The same rules as gas (``processing.gas``) and electricity (``processing.positions``): a local hour
[H, H + 1 h) holds the values stamped in (H, H + 1 h], its use is the position at its last value minus the
position at the value before, and a day is the sum of its hours; so hours add up to the day and days to the
meter's advance. A register that goes down, or a new device on a channel (another identifier or kind), is
a new epoch (``DeviceEpoch``): the step is never use. A device that moves to another channel (same
identifier and kind, seen on the new channel first) continues from its last position on the old one.

What a channel is comes from its type line or the override (``devices.kinds.classify``), positions are in
the kind's unit. The values of a range are read with a few statements and walked once in time order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dsmrhub.devices.kinds import classify
from dsmrhub.devices.models import (
    Device,
    DeviceDay,
    DeviceEpoch,
    DeviceFiveMinutes,
    DeviceHour,
    DeviceOverride,
    DevicesState,
)
from dsmrhub.processing.periods import (
    HOUR,
    day_end,
    day_start,
    from_epoch,
    hour_shift,
    hour_start_of,
    local_date,
)
from dsmrhub.processing.sql import PENDING, execute, fetch, idiv
from dsmrhub.readings.models import MBusReading
from dsmrhub.telegram.model import MBUS_GAS, mbus_is_gas

logger = logging.getLogger(__name__)

MBUS = MBusReading._meta.db_table
FIVE_MINUTES = 300
CHUNK = 31 * 86_400  # seconds of M-Bus values per step of a full build
PLACES = 6  # of the devices' positions
_COLUMNS = "channel, device_type, equipment_identifier, timestamp, value, unit"


@dataclass(slots=True)
class _Last:
    identifier: str
    kind: str
    position: Decimal
    stamp: int


def devices_refresh(*, first: int, last: int) -> None:
    """Recompute the device rows that the readings stamped in [first, last] can change (their M-Bus
    values and the values just after them); the first call (and the first after an override changed)
    builds them from every stored M-Bus value. Runs inside the processor's transaction."""
    if not DevicesState.peek().built:
        devices_rebuild()
        return
    # The values the readings brought (by the index of their reading), on which channels.
    found = fetch(
        f"SELECT channel, MIN(timestamp), MAX(timestamp) FROM {MBUS} "
        f"WHERE reading_id >= %s AND reading_id <= %s GROUP BY channel",
        [first, last],
    )
    if found:
        channels = {row[0] for row in found} | set(Device.objects.values_list("channel", flat=True))
        _refresh_stamps(min(row[1] for row in found), max(row[2] for row in found), channels=sorted(channels))


def devices_rebuild() -> int:
    """Rebuild every device row from the stored M-Bus values; returns the values read. When an override
    made a channel gas or took gas from it, the readings that brought its values are marked for the
    processor (``PendingMinute``), so the gas rows and the hour and day statistics follow (in this pass
    when called from it)."""
    overrides = dict(DeviceOverride.objects.values_list("channel", "kind"))
    _gas_changes_mark(_overrides_parse(DevicesState.peek().overrides), overrides)
    for model in (Device, DeviceHour, DeviceFiveMinutes, DeviceDay, DeviceEpoch):
        model.objects.all().delete()
    low, high = fetch(f"SELECT MIN(timestamp), MAX(timestamp) FROM {MBUS}")[0]
    channels = [row[0] for row in fetch(f"SELECT DISTINCT channel FROM {MBUS} ORDER BY channel")]
    values = 0
    if low is not None:
        for start in range(low, high + 1, CHUNK):
            values += _refresh_stamps(start, min(start + CHUNK - 1, high), channels=channels)
    DevicesState.store(built=True, overrides=_overrides_text(overrides))
    return values


def _overrides_text(overrides: dict[int, str]) -> str:
    return ",".join(f"{channel}={kind}" for channel, kind in sorted(overrides.items()))


def _overrides_parse(text: str) -> dict[int, str]:
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {int(channel): kind for channel, kind in pairs}


def _gas_changes_mark(before: dict[int, str], after: dict[int, str]) -> None:
    """Mark the minutes of the readings whose gas value a change of overrides can change: when some device
    type sent on a changed channel is gas under one set of overrides and not under the other
    (``mbus_is_gas``), those that brought the values of that channel and of every gas-typed channel
    (a channel set to gas by hand is the gas meter in their place: ``processing.gas.GasSource``)."""
    changed = []
    for channel in sorted(set(before) | set(after)):
        if before.get(channel) == after.get(channel):
            continue
        types = [
            row[0] for row in fetch(f"SELECT DISTINCT device_type FROM {MBUS} WHERE channel = %s", [channel])
        ]
        if any(mbus_is_gas(t, before.get(channel)) != mbus_is_gas(t, after.get(channel)) for t in types):
            changed.append(channel)
    if not changed:
        return
    typed = [
        row[0] for row in fetch(f"SELECT DISTINCT channel FROM {MBUS} WHERE device_type = %s", [MBUS_GAS])
    ]
    channels = sorted({*changed, *typed})
    execute(
        f"INSERT INTO {PENDING} (minute, touched) SELECT DISTINCT {idiv('reading_id', '60')}, 1 FROM {MBUS} "
        f"WHERE channel IN ({', '.join(['%s'] * len(channels))}) AND reading_id IS NOT NULL "
        f"ON CONFLICT (minute) DO NOTHING",
        channels,
    )
    logger.info("gas recomputed for the values of channels %s after a change of their kinds", channels)


def _refresh_stamps(first: int, last: int, *, channels: list[int]) -> int:
    """Rewrite the hours of the values stamped in [first, last] and of each channel's next value. Every
    statement selects by channel first: the unique index (channel, timestamp) answers it."""
    shift = hour_shift(first, last)
    low = hour_start_of(first - 1, shift)
    high = hour_start_of(last - 1, shift) + HOUR
    following = [
        fetch(f"SELECT MIN(timestamp) FROM {MBUS} WHERE channel = %s AND timestamp > %s", [channel, high])[0][
            0
        ]
        for channel in channels
    ]
    if any(at is not None for at in following):
        high = hour_start_of(max(at for at in following if at is not None) - 1, shift) + HOUR
    overrides = dict(DeviceOverride.objects.values_list("channel", "kind"))
    # Each channel's newest value: a device moved away from a channel only when the channel fell silent
    # (two channels sending one identifier at once, as anonymised test telegrams do, stay two devices).
    newest = {
        channel: fetch(f"SELECT MAX(timestamp) FROM {MBUS} WHERE channel = %s", [channel])[0][0]
        for channel in channels
    }
    # Each channel's last value at or before low: where its hours continue from.
    before = [
        row
        for channel in channels
        for row in fetch(
            f"SELECT {_COLUMNS} FROM {MBUS} WHERE channel = %s AND timestamp <= %s "
            f"ORDER BY timestamp DESC LIMIT 1",
            [channel, low],
        )
    ]
    marks = ", ".join(["%s"] * len(channels))
    rows = fetch(
        f"SELECT {_COLUMNS} FROM {MBUS} WHERE channel IN ({marks}) AND timestamp > %s AND timestamp <= %s "
        f"ORDER BY timestamp, channel",
        [*channels, low, high],
    )
    by_channel: dict[int, _Last] = {}
    by_identifier: dict[tuple[str, str], tuple[int, _Last]] = {}  # (identifier, kind) → (channel, last)
    for channel, device_type, identifier, stamp, value, unit in sorted(before, key=lambda row: row[3]):
        kind, _, position = _position(device_type, value, unit, overrides.get(channel))
        last_value = _Last(identifier, kind, position, stamp)
        by_channel[channel] = last_value
        if identifier:
            by_identifier[(identifier, last_value.kind)] = (channel, last_value)

    hours: dict[tuple[int, int], list] = {}  # (channel, hour) → [kind, unit, position, use, values]
    fives: dict[tuple[int, int], list] = {}  # (channel, five-minute start) → [kind, unit, position, use]
    epochs: list[DeviceEpoch] = []
    devices: dict[
        tuple[int, str, str], list
    ] = {}  # (channel, identifier, kind) → [type, unit, raw, first, last, pos]
    for channel, device_type, identifier, stamp, value, raw_unit in rows:
        kind, unit, position = _position(device_type, value, raw_unit, overrides.get(channel))
        previous = by_channel.get(channel)
        if previous is not None and (previous.identifier != identifier or previous.kind != kind):
            epochs.append(_epoch(stamp, channel, kind, "new device", previous.position, position))
            base = position
        elif (
            previous is None
            and identifier
            and (identifier, kind) in by_identifier
            and newest[by_identifier[(identifier, kind)][0]] < stamp  # the other channel fell silent
        ):
            base = by_identifier[(identifier, kind)][1].position  # moved here from another channel
        else:
            base = previous.position if previous is not None else position
        use = position - base
        if use < 0:
            epochs.append(_epoch(stamp, channel, kind, "drop", base, position))
            use = Decimal(0)
        latest = _Last(identifier, kind, position, stamp)
        by_channel[channel] = latest
        if identifier:
            by_identifier[(identifier, kind)] = (channel, latest)
        hour = hours.setdefault(
            (channel, hour_start_of(stamp - 1, shift)), [kind, unit, position, Decimal(0), 0]
        )
        hour[0], hour[1], hour[2], hour[3], hour[4] = kind, unit, position, hour[3] + use, hour[4] + 1
        five_start = (stamp - 1 - shift) // FIVE_MINUTES * FIVE_MINUTES + shift
        five = fives.setdefault((channel, five_start), [kind, unit, position, Decimal(0)])
        five[0], five[1], five[2], five[3] = kind, unit, position, five[3] + use
        device = devices.setdefault(
            (channel, identifier, kind), [device_type, unit, raw_unit, stamp, stamp, position]
        )
        device[0], device[1], device[2], device[4], device[5] = device_type, unit, raw_unit, stamp, position

    DeviceHour.objects.filter(start__gte=from_epoch(low), start__lt=from_epoch(high)).delete()
    DeviceFiveMinutes.objects.filter(start__gte=from_epoch(low), start__lt=from_epoch(high)).delete()
    DeviceEpoch.objects.filter(timestamp__gt=from_epoch(low), timestamp__lte=from_epoch(high)).delete()
    DeviceHour.objects.bulk_create(
        DeviceHour(channel=channel, start=from_epoch(start), kind=kind, unit=unit, position=position, use=use)
        for (channel, start), (kind, unit, position, use, _) in hours.items()
    )
    # Five-minute rows only for the hours with more than one value: they add up to their hour.
    detailed = {key for key, hour in hours.items() if hour[4] > 1}
    DeviceFiveMinutes.objects.bulk_create(
        DeviceFiveMinutes(
            channel=channel, start=from_epoch(start), kind=kind, unit=unit, position=position, use=use
        )
        for (channel, start), (kind, unit, position, use) in fives.items()
        if (channel, hour_start_of(start, shift)) in detailed
    )
    for epoch in epochs:
        logger.warning("new device epoch: %s", epoch)
    DeviceEpoch.objects.bulk_create(epochs)
    _devices_store(devices)
    _days_refresh(local_date(low), local_date(high - 1))
    return len(rows)


def _position(
    device_type: int | None, value: int, raw_unit: str, override: str | None
) -> tuple[str, str, Decimal]:
    """(kind, unit, position in that unit) of a stored value (thousandths of the sent unit)."""
    found = classify(device_type, raw_unit, override)
    position = (Decimal(value).scaleb(-3) * found.factor).quantize(Decimal(1).scaleb(-PLACES))
    return found.kind, found.unit, position


def _epoch(stamp: int, channel: int, kind: str, reason: str, before: Decimal, after: Decimal) -> DeviceEpoch:
    return DeviceEpoch(
        timestamp=from_epoch(stamp), channel=channel, kind=kind, reason=reason, before=before, after=after
    )


def _devices_store(devices: dict[tuple[int, str, str], list]) -> None:
    for (channel, identifier, kind), (device_type, unit, raw_unit, first, last, position) in devices.items():
        device, created = Device.objects.get_or_create(
            channel=channel,
            identifier=identifier,
            kind=kind,
            defaults={
                "device_type": device_type,
                "unit": unit,
                "raw_unit": raw_unit,
                "first_seen": from_epoch(first),
                "last_seen": from_epoch(last),
                "position": position,
            },
        )
        if created:
            continue
        changes = {}
        if first < int(device.first_seen.timestamp()):
            changes["first_seen"] = from_epoch(first)
        if last >= int(device.last_seen.timestamp()):
            changes.update(
                device_type=device_type,
                unit=unit,
                raw_unit=raw_unit,
                last_seen=from_epoch(last),
                position=position,
            )
        if changes:
            Device.objects.filter(pk=device.pk).update(**changes)


def _days_refresh(first_day: date, last_day: date) -> None:
    """Rewrite the days [first_day, last_day] from their hours (a day is the sum of its hours)."""
    start, end = day_start(first_day), day_end(last_day)
    DeviceDay.objects.filter(day__gte=first_day, day__lte=last_day).delete()
    days: dict[tuple[int, date], list] = {}
    hours = DeviceHour.objects.filter(start__gte=from_epoch(start), start__lt=from_epoch(end)).order_by(
        "start"
    )
    for hour in hours.values_list("channel", "start", "kind", "unit", "position", "use"):
        channel, moment, kind, unit, position, use = hour
        day = days.setdefault(
            (channel, local_date(int(moment.timestamp()))), [kind, unit, position, Decimal(0)]
        )
        day[0], day[1], day[2], day[3] = kind, unit, position, day[3] + use
    DeviceDay.objects.bulk_create(
        DeviceDay(channel=channel, day=day, kind=kind, unit=unit, position=position, use=use)
        for (channel, day), (kind, unit, position, use) in days.items()
    )
