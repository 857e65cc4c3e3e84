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
from decimal import Decimal

from dsmrhub.processing.models import GasConsumption, MeterEpoch, ProcessingState
from dsmrhub.processing.periods import HOUR, from_epoch, hour_shift, hour_start_of, to_epoch
from dsmrhub.processing.sql import MINUTES, fetch

HOUR_ROWS, METER_ROWS = "hour", "meter"

logger = logging.getLogger(__name__)


def _thousandths(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


def gas_rows_resolution() -> str:
    """The resolution the stored gas rows are built at (``HOUR_ROWS`` or ``METER_ROWS``)."""
    return ProcessingState.peek().gas_resolution


def gas_refresh(*, first: int, last: int) -> tuple[int, int] | None:
    """Recompute the gas rows of values stamped in [first, last] and the next gas hour after them, at the
    resolution the rows are built at.

    Returns the (start, end) of the hours rewritten, or None when there is no gas at all there.
    """
    per_value = gas_rows_resolution() == METER_ROWS
    shift = hour_shift(first, last)
    low = hour_start_of(first - 1, shift)
    high = hour_start_of(last - 1, shift) + HOUR
    following = fetch(f"SELECT MIN(gas_timestamp) FROM {MINUTES} WHERE gas_timestamp > %s", [high])[0][0]
    if following is not None:
        high = hour_start_of(following - 1, shift) + HOUR
    stamps = fetch(
        f"SELECT gas_timestamp, MAX(gas_delivered) FROM {MINUTES} WHERE gas_timestamp > %s "
        f"AND gas_timestamp <= %s GROUP BY gas_timestamp ORDER BY gas_timestamp",
        [low, high],
    )
    previous = fetch(
        f"SELECT gas_timestamp, MAX(gas_delivered) FROM {MINUTES} WHERE gas_timestamp = "
        f"(SELECT MAX(gas_timestamp) FROM {MINUTES} WHERE gas_timestamp <= %s) GROUP BY gas_timestamp",
        [low],
    )
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
