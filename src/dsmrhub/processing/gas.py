"""Gas stamps → one row per local hour (H, H + 1 h]: position at the hour's end, use within the hour.

One rule for every DSMR version: a value stamped s belongs to the hour with H < s ≤ H + 1 h, so DSMR 4's
hourly stamp at 10:00 and DSMR 5's last five-minute stamp at 10:00 both close the hour 09:00–10:00.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from dsmrhub.processing.models import GasConsumption, MeterEpoch
from dsmrhub.processing.periods import HOUR, from_epoch, hour_shift, hour_start_of
from dsmrhub.processing.sql import MINUTES, fetch

logger = logging.getLogger(__name__)


def _thousandths(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


def gas_refresh(*, first: int, last: int) -> tuple[int, int] | None:
    """Recompute the gas hours of values stamped in [first, last] and the next gas hour after them.

    Returns the (start, end) of the hours rewritten, or None when there is no gas at all there.
    """
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
    GasConsumption.objects.filter(read_at__gte=from_epoch(low), read_at__lt=from_epoch(high)).delete()
    MeterEpoch.objects.filter(
        register="gas", timestamp__gt=from_epoch(low), timestamp__lte=from_epoch(high)
    ).delete()
    position = previous[0][1] if previous else (stamps[0][1] if stamps else None)
    hours: dict[int, list[int]] = {}  # hour start → [position at end, use]
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
        hour = hours.setdefault(hour_start_of(stamp - 1, shift), [value, 0])
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
