"""Meter epochs: a register that goes down (meter replaced or reset) is logged, never booked as negative use.

The consumption of a period is A(end) − A(start), with A(t) = position(t) + the sum of all drops up to t,
so the drop itself counts as zero and the new meter's advance counts from its first reading.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal

from dsmrhub.processing.models import MeterEpoch
from dsmrhub.processing.periods import MINUTE, from_epoch
from dsmrhub.processing.sql import MINUTES, READINGS, fetch

logger = logging.getLogger(__name__)

# register name (as in the minute table) ← reading column
REGISTERS = {
    "delivered_1": "electricity_delivered_1",
    "returned_1": "electricity_returned_1",
    "delivered_2": "electricity_delivered_2",
    "returned_2": "electricity_returned_2",
}
GAS = "gas"


def _thousandths(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


def epochs_refresh(*, low: int, high: int) -> None:
    """Re-detect electricity drops around the minute rows read_at in [low, high] (and their neighbours)."""
    before = fetch(f"SELECT MAX(read_at) FROM {MINUTES} WHERE read_at < %s", [low])[0][0]
    after = fetch(f"SELECT MIN(read_at) FROM {MINUTES} WHERE read_at > %s", [high])[0][0]
    first = before if before is not None else low
    last = after if after is not None else high
    # A drop found between minute rows i-1 and i is stamped by a reading of minute i: in (first, last].
    delete_from = first if before is not None else low - MINUTE
    MeterEpoch.objects.filter(
        register__in=list(REGISTERS), timestamp__gt=from_epoch(delete_from), timestamp__lte=from_epoch(last)
    ).delete()
    names = list(REGISTERS)
    lags = ", ".join(f"{n}, LAG({n}) OVER w AS prev_{n}" for n in names)
    dropped = " OR ".join(f"{n} < prev_{n}" for n in names)
    hits = fetch(
        f"SELECT read_at, prev_at FROM (SELECT read_at, LAG(read_at) OVER w AS prev_at, {lags} "
        f"FROM {MINUTES} WHERE read_at >= %s AND read_at <= %s WINDOW w AS (ORDER BY read_at)) x "
        f"WHERE {dropped}",
        [first, last],
    )
    epochs = [epoch for read_at, prev_at in hits for epoch in _drops_between(prev_at, read_at)]
    for epoch in epochs:
        logger.warning("new meter epoch: %s", epoch)
    MeterEpoch.objects.bulk_create(epochs)


def _drops_between(prev_at: int, read_at: int) -> list[MeterEpoch]:
    """Exact drops between the last reading of minute ``prev_at`` and the readings of minute ``read_at``."""
    columns = ", ".join(REGISTERS.values())
    rows = fetch(
        f"SELECT timestamp, {columns} FROM {READINGS} WHERE timestamp > %s AND timestamp <= %s "
        f"ORDER BY timestamp",
        [prev_at - MINUTE, read_at],
    )
    start = max((i for i, row in enumerate(rows) if row[0] <= prev_at), default=0)
    epochs = []
    for previous, row in zip(rows[start:], rows[start + 1 :], strict=False):
        for index, register in enumerate(REGISTERS, start=1):
            if row[index] < previous[index]:
                epochs.append(
                    MeterEpoch(
                        timestamp=from_epoch(row[0]),
                        register=register,
                        before=_thousandths(previous[index]),
                        after=_thousandths(row[index]),
                    )
                )
    return epochs


def epoch_offsets(*, until: int) -> dict[str, int]:
    """Sum of electricity drops (thousandths) per register stamped at or before ``until``."""
    offsets: dict[str, int] = defaultdict(int)
    for epoch in MeterEpoch.objects.filter(register__in=list(REGISTERS), timestamp__lte=from_epoch(until)):
        offsets[epoch.register] += int((epoch.before - epoch.after).scaleb(3))
    return offsets


def epochs_between(*, after: int, until: int) -> list[tuple[int, str, int]]:
    """(timestamp, register, drop in thousandths) of electricity drops in (after, until], in time order."""
    return [
        (int(e.timestamp.timestamp()), e.register, int((e.before - e.after).scaleb(3)))
        for e in MeterEpoch.objects.filter(
            register__in=list(REGISTERS), timestamp__gt=from_epoch(after), timestamp__lte=from_epoch(until)
        )
    ]
