"""Register positions at period ends and the use per period: the one rule behind hours and quarter hours.

The use of register r in a period [s, e) is A(e) − A(s), A(t) being the raw position of the latest reading
at or before t plus every meter drop (``processing.epochs``) stamped at or before t. A period has a value
when minute rows (readings) end inside it; a period without readings has none, and the use over such a
gap is booked in the first period after it. A period that ends at or before the first reading has no value
either: its use is unknown, not zero. Periods are cut with integer arithmetic over the minute rows'
``read_at`` (the end of their minute): a row with s < read_at ≤ e belongs to [s, e).
"""

from __future__ import annotations

from dataclasses import dataclass

from dsmrhub.processing.epochs import REGISTERS, epoch_offsets, epochs_between
from dsmrhub.processing.quarantine import Window
from dsmrhub.processing.sql import MINUTES, READINGS, fetch

NAMES = list(REGISTERS)  # delivered_1, returned_1, delivered_2, returned_2
QUARTER = 900  # seconds


@dataclass(frozen=True, slots=True)
class PeriodUse:
    start: int  # Unix seconds
    raw: list[int]  # raw register positions (thousandths) at the period's end, in NAMES order
    use: list[int]  # A(end) − A(start) per register, thousandths


def position_at(moment: int, window: Window) -> tuple[list[int], int | None] | None:
    """Raw positions of the latest reading at or before ``moment``; else the first reading's, with its time
    (the second item, None when a reading at or before ``moment`` exists). None without readings."""
    columns = ", ".join(NAMES)
    rows = fetch(
        f"SELECT {columns} FROM {MINUTES} WHERE read_at = "
        f"(SELECT MAX(read_at) FROM {MINUTES} WHERE read_at <= %s)",
        [moment],
    )
    if rows:
        return list(rows[0]), None
    columns = ", ".join(REGISTERS.values())
    rows = fetch(
        f"SELECT timestamp, {columns} FROM {READINGS} WHERE timestamp = "
        f"(SELECT MIN(timestamp) FROM {READINGS} WHERE {window.contains('timestamp')})",
        window.bounds,
    )
    return (list(rows[0][1:]), rows[0][0]) if rows else None


def period_end_positions(*, start: int, end: int, length: int, shift: int) -> dict[int, list[int]]:
    """period start → raw positions at the period's end, for the periods of ``length`` seconds (starting at
    ``shift`` modulo ``length``) in [start, end) that have minute rows. One set-based statement."""
    rows = fetch(
        f"SELECT m.read_at, {', '.join('m.' + n for n in NAMES)} FROM {MINUTES} m JOIN ("
        f"SELECT MAX(read_at) AS last_at FROM {MINUTES} WHERE read_at > %s AND read_at <= %s "
        f"GROUP BY (read_at - %s + %s) / %s) g ON m.read_at = g.last_at",
        [start, end, shift, length - 1, length],
    )
    return {
        ((read_at - shift + length - 1) // length - 1) * length + shift: list(pos) for read_at, *pos in rows
    }


def period_uses(
    *, start: int, end: int, length: int, shift: int, window: Window
) -> tuple[list[int], dict[int, PeriodUse]] | None:
    """The raw positions at ``start`` and the use of every period in [start, end) that has a value (see the
    module's rule); None when there are no readings. ``start`` must be a period start."""
    found = position_at(start, window)
    if found is None:
        return None
    raw, first = found
    ends = period_end_positions(start=start, end=end, length=length, shift=shift)
    offsets = epoch_offsets(until=start)
    drops = epochs_between(after=start, until=end)
    adjusted = [raw[i] + offsets.get(name, 0) for i, name in enumerate(NAMES)]
    uses: dict[int, PeriodUse] = {}
    for period in sorted(ends):
        period_end = period + length
        while drops and drops[0][0] <= period_end:
            _, register, amount = drops.pop(0)
            offsets[register] = offsets.get(register, 0) + amount
        use = []
        for i, name in enumerate(NAMES):
            new = ends[period][i] + offsets.get(name, 0)
            use.append(new - adjusted[i])
            adjusted[i] = new
        if first is None or period_end > first:
            uses[period] = PeriodUse(start=period, raw=ends[period], use=use)
    return raw, uses
