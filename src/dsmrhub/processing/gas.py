"""Gas stamps → gas rows, at one of two resolutions (``ProcessingSettings.gas_resolution``):

- ``hour`` (default): one row per local hour, ``read_at`` = the hour's start H, holding the values stamped
  in (H, H + 1 h]: position at the hour's end, use within the hour. One rule for every DSMR version: DSMR
  4's hourly stamp at 10:00 and DSMR 5's last five-minute stamp at 10:00 both close the hour 09:00–10:00.
- ``meter``: one row per gas value, ``read_at`` = the meter's own stamp of it (every 5 minutes on DSMR 5,
  hourly on DSMR 4), with the position and the use since the value before (0 for the very first): the
  shape of DSMR-reader v5's gas grouped "on change".

Either way a value's use is the same (a drop is a new gas meter, no use), so the hours derived from the
rows (``gas_hours``, what statistics and costs read) are the same at both resolutions. The rows in the
table are built at ``ProcessingState.gas_resolution``; the processor rebuilds them when the setting
changes (``processing.services``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dsmrhub.devices.kinds import GAS, classify
from dsmrhub.devices.models import DeviceOverride
from dsmrhub.processing.models import GasConsumption, MeterEpoch, ProcessingState
from dsmrhub.processing.periods import HOUR, from_epoch, hour_shift, hour_start_of, to_epoch
from dsmrhub.processing.sql import MINUTES, fetch
from dsmrhub.readings.models import MBusReading
from dsmrhub.telegram.model import MBUS_GAS, mbus_is_gas

HOUR_ROWS, METER_ROWS = "hour", "meter"

logger = logging.getLogger(__name__)


def _thousandths(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


MBUS = MBusReading._meta.db_table


@dataclass(frozen=True, slots=True)
class GasSource:
    """Where gas values come from. A reading's gas value (``extra_device_*``, in the minute rows) is the
    channel its telegram's type line says is gas; a kind set by hand (``devices.DeviceOverride``) changes
    that by ``telegram.model.mbus_is_gas``, the one rule: a channel set to gas (also one without a type
    line) is the gas meter, its stored M-Bus values are the gas values (the first such channel, as a
    telegram's first gas channel is its gas meter), and the gas-typed values of the other channels no
    longer count; a gas-typed channel set to another kind does not count either. Readings' gas values
    without M-Bus values (imported, API v2) always count."""

    added: tuple[int, ...] = ()  # the channel set to gas: its M-Bus values are the gas values
    removed: tuple[int, ...] = ()  # channels whose gas-typed values are not gas values

    @property
    def plain(self) -> bool:
        return not self.added and not self.removed


def gas_source() -> GasSource:
    """The gas source under the channels' overrides now."""
    overrides = dict(DeviceOverride.objects.values_list("channel", "kind"))
    added = sorted(channel for channel, kind in overrides.items() if mbus_is_gas(None, kind))[:1]
    removed = {channel for channel, kind in overrides.items() if not mbus_is_gas(MBUS_GAS, kind)}
    if added:
        removed |= {row[0] for row in fetch(f"SELECT DISTINCT channel FROM {MBUS}")} - set(added)
    return GasSource(added=tuple(added), removed=tuple(sorted(removed)))


def _marks(values: tuple[int, ...]) -> str:
    return ", ".join(["%s"] * len(values))


def _kept(source: GasSource) -> tuple[str, list]:
    """The condition (to AND to a WHERE on the minute rows) that leaves out the readings' gas values of the
    removed channels: a gas-typed value (``mbus_is_gas(MBUS_GAS, its override)`` is False there)."""
    if not source.removed:
        return "", []
    return (
        f" AND gas_timestamp NOT IN (SELECT timestamp FROM {MBUS} "
        f"WHERE channel IN ({_marks(source.removed)}) AND device_type = %s)",
        [*source.removed, MBUS_GAS],
    )


def _channel_values(source: GasSource, where: str, params: list, tail: str = "") -> list[tuple[int, int]]:
    """(stamp, position) of the M-Bus values of the channels set to gas matching ``where``, in m³
    thousandths (a sent dm³ or litre converted as the devices convert it)."""
    if not source.added:
        return []
    channels = f"channel IN ({_marks(source.added)})"
    rows = fetch(
        f"SELECT timestamp, value, unit FROM {MBUS} WHERE {channels} AND {where}{tail}",
        [*source.added, *params],
    )
    found = []
    for stamp, value, unit in rows:
        factor = classify(None, unit, GAS).factor
        found.append(
            (stamp, value if factor == 1 else int((value * factor).to_integral_value(ROUND_HALF_UP)))
        )
    return found


def _gas_values(source: GasSource, low: int, high: int) -> list[tuple[int, int]]:
    """The gas values stamped in (low, high], one per stamp (the highest), in time order."""
    kept, params = _kept(source)
    found = dict(
        fetch(
            f"SELECT gas_timestamp, MAX(gas_delivered) FROM {MINUTES} WHERE gas_timestamp > %s "
            f"AND gas_timestamp <= %s{kept} GROUP BY gas_timestamp",
            [low, high, *params],
        )
    )
    for stamp, value in _channel_values(source, "timestamp > %s AND timestamp <= %s", [low, high]):
        found[stamp] = max(value, found.get(stamp, value))
    return sorted(found.items())


def _gas_before(source: GasSource, moment: int) -> tuple[int, int] | None:
    """The gas value stamped last at or before ``moment``."""
    kept, params = _kept(source)
    latest = fetch(
        f"SELECT gas_timestamp, MAX(gas_delivered) FROM {MINUTES} WHERE gas_timestamp = "
        f"(SELECT MAX(gas_timestamp) FROM {MINUTES} WHERE gas_timestamp <= %s{kept}) GROUP BY gas_timestamp",
        [moment, *params],
    )
    latest += _channel_values(source, "timestamp <= %s", [moment], " ORDER BY timestamp DESC LIMIT 1")
    return max(latest, default=None)


def _gas_after(source: GasSource, moment: int) -> int | None:
    """The stamp of the first gas value after ``moment``."""
    kept, params = _kept(source)
    sql = f"SELECT MIN(gas_timestamp) FROM {MINUTES} WHERE gas_timestamp > %s{kept}"
    first = [fetch(sql, [moment, *params])[0][0]]
    first += [
        row[0] for row in _channel_values(source, "timestamp > %s", [moment], " ORDER BY timestamp LIMIT 1")
    ]
    return min((stamp for stamp in first if stamp is not None), default=None)


def gas_stamp_bounds() -> tuple[int | None, int | None]:
    """The first and last gas stamp under the overrides (what a rebuild of every gas row covers)."""
    source = gas_source()
    kept, params = _kept(source)
    low, high = fetch(
        f"SELECT MIN(gas_timestamp), MAX(gas_timestamp) FROM {MINUTES} WHERE 1 = 1{kept}", params
    )[0]
    if source.added:
        channels = f"channel IN ({_marks(source.added)})"
        added = fetch(
            f"SELECT MIN(timestamp), MAX(timestamp) FROM {MBUS} WHERE {channels}", list(source.added)
        )[0]
        low = min((stamp for stamp in (low, added[0]) if stamp is not None), default=None)
        high = max((stamp for stamp in (high, added[1]) if stamp is not None), default=None)
    return low, high


def gas_rows_resolution() -> str:
    """The resolution the stored gas rows are built at (``HOUR_ROWS`` or ``METER_ROWS``)."""
    return ProcessingState.peek().gas_resolution


def gas_refresh(*, first: int, last: int) -> tuple[int, int] | None:
    """Recompute the gas rows of values stamped in [first, last] and the next gas hour after them, at the
    resolution the rows are built at.

    Returns the (start, end) of the hours rewritten, or None when there is no gas at all there.
    """
    per_value = gas_rows_resolution() == METER_ROWS
    source = gas_source()
    if source.added:  # the values of a channel set to gas that the readings in [first, last] brought
        brought = fetch(
            f"SELECT MIN(timestamp) FROM {MBUS} WHERE channel IN ({_marks(source.added)}) "
            f"AND reading_id >= %s AND reading_id <= %s",
            [*source.added, first, last],
        )[0][0]
        if brought is not None and brought < first:
            first = brought
    shift = hour_shift(first, last)
    low = hour_start_of(first - 1, shift)
    high = hour_start_of(last - 1, shift) + HOUR
    following = _gas_after(source, high)
    if following is not None:
        high = hour_start_of(following - 1, shift) + HOUR
    stamps = _gas_values(source, low, high)
    before = _gas_before(source, low)
    previous = [before] if before is not None else []
    if per_value:  # rows at their stamps, in (low, high]
        GasConsumption.objects.filter(read_at__gt=from_epoch(low), read_at__lte=from_epoch(high)).delete()
    else:  # rows at their hour's start, in [low, high)
        GasConsumption.objects.filter(read_at__gte=from_epoch(low), read_at__lt=from_epoch(high)).delete()
    MeterEpoch.objects.filter(
        register="gas", timestamp__gt=from_epoch(low), timestamp__lte=from_epoch(high)
    ).delete()
    position = previous[0][1] if previous else (stamps[0][1] if stamps else None)
    hours: dict[int, list[int]] = {}  # hour start (or the stamp, per value) → [position at end, use]
    epochs = []
    for stamp, value in stamps:
        use = value - position
        if use < 0:  # a new gas meter: the drop is not use
            epochs.append(
                MeterEpoch(
                    timestamp=from_epoch(stamp),
                    register="gas",
                    before=_thousandths(position),
                    after=_thousandths(value),
                )
            )
            use = 0
        hour = hours.setdefault(stamp if per_value else hour_start_of(stamp - 1, shift), [value, 0])
        hour[0] = value
        hour[1] += use
        position = value
    GasConsumption.objects.bulk_create(
        GasConsumption(
            read_at=from_epoch(start), delivered=_thousandths(end), currently_delivered=_thousandths(use)
        )
        for start, (end, use) in hours.items()
    )
    for epoch in epochs:
        logger.warning("new gas meter epoch: %s", epoch)
    MeterEpoch.objects.bulk_create(epochs)
    return (low, high) if hours else None


def gas_hours(*, start: int, end: int) -> dict[int, tuple[Decimal, Decimal]]:
    """Local hour start → (gas position at the hour's end, use within the hour) for the hours in
    [start, end) (local hour starts) that have gas values, from the stored rows at either resolution."""
    if gas_rows_resolution() == HOUR_ROWS:
        rows = GasConsumption.objects.filter(read_at__gte=from_epoch(start), read_at__lt=from_epoch(end))
        return {to_epoch(row.read_at): (row.delivered, row.currently_delivered) for row in rows}
    shift = hour_shift(start, end)
    hours: dict[int, tuple[Decimal, Decimal]] = {}
    rows = GasConsumption.objects.filter(read_at__gt=from_epoch(start), read_at__lte=from_epoch(end))
    for row in rows.order_by("read_at"):
        hour = hour_start_of(to_epoch(row.read_at) - 1, shift)
        use = hours[hour][1] + row.currently_delivered if hour in hours else row.currently_delivered
        hours[hour] = (row.delivered, use)
    return hours


def gas_position_at(moment: int) -> Decimal | None:
    """The gas position of the latest value stamped at or before ``moment`` (a local hour start); None
    when there is none."""
    if gas_rows_resolution() == HOUR_ROWS:
        rows = GasConsumption.objects.filter(read_at__lt=from_epoch(moment))
    else:
        rows = GasConsumption.objects.filter(read_at__lte=from_epoch(moment))
    return rows.order_by("-read_at").values_list("delivered", flat=True).first()


def gas_use_between(*, start: int, end: int) -> Decimal:
    """Gas used by the values stamped in (start, end] (hour rows: the hours starting in [start, end));
    for today so far, ``end`` is now."""
    if gas_rows_resolution() == HOUR_ROWS:
        rows = GasConsumption.objects.filter(read_at__gte=from_epoch(start), read_at__lte=from_epoch(end))
    else:
        rows = GasConsumption.objects.filter(read_at__gt=from_epoch(start), read_at__lte=from_epoch(end))
    return sum(rows.values_list("currently_delivered", flat=True), Decimal("0.000"))
