"""Readings → one electricity row per minute (read_at − 60 s, read_at], in one INSERT … SELECT per range."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsmrhub.processing.periods import MINUTE
from dsmrhub.processing.sql import MINUTES, READINGS, execute, mean_half_up

if TYPE_CHECKING:
    from dsmrhub.processing.quarantine import Window

# minute column ← reading column: the minute's last reading
LAST = {
    "delivered_1": "electricity_delivered_1",
    "returned_1": "electricity_returned_1",
    "delivered_2": "electricity_delivered_2",
    "returned_2": "electricity_returned_2",
    "gas_timestamp": "extra_device_timestamp",
    "gas_delivered": "extra_device_delivered",
}
GAS = ("extra_device_timestamp", "extra_device_delivered")
# minute column ← reading column: the minute's mean, rounded half up to the stored precision
MEAN = {
    "currently_delivered": "electricity_currently_delivered",
    "currently_returned": "electricity_currently_returned",
    **{
        f"phase_currently_{d}_l{p}": f"phase_currently_{d}_l{p}"
        for d in ("delivered", "returned")
        for p in "123"
    },
    **{f"phase_voltage_l{p}": f"phase_voltage_l{p}" for p in "123"},
    **{f"phase_power_current_l{p}": f"phase_power_current_l{p}" for p in "123"},
}


def minute_end(seconds: int) -> int:
    """read_at of the minute row that a reading at ``seconds`` belongs to."""
    return -(-seconds // MINUTE) * MINUTE


def minutes_refresh(*, first: int, last: int, window: Window) -> tuple[int, int]:
    """Recompute the minute rows of readings stamped in [first, last]; returns their read_at range.
    A gas value whose stamp lies outside the window is left out (its reading is quarantined)."""
    low, high = minute_end(first), minute_end(last)
    execute(f"DELETE FROM {MINUTES} WHERE read_at >= %s AND read_at <= %s", [low, high])
    columns = ["read_at", *LAST, *MEAN]
    placeable_gas = window.contains("r.extra_device_timestamp")
    last_values = [
        f"CASE WHEN {placeable_gas} THEN r.{source} END" if source in GAS else f"r.{source}"
        for source in LAST.values()
    ]
    select = ["g.minute * 60", *last_values, *(f"g.{name}" for name in MEAN)]
    means = ", ".join(f"{mean_half_up(source)} AS {name}" for name, source in MEAN.items())
    execute(
        f"INSERT INTO {MINUTES} ({', '.join(columns)}) SELECT {', '.join(select)} FROM ("
        f"SELECT (timestamp + 59) / 60 AS minute, MAX(timestamp) AS last_at, {means} "
        f"FROM {READINGS} WHERE timestamp > %s AND timestamp <= %s GROUP BY (timestamp + 59) / 60"
        f") g JOIN {READINGS} r ON r.timestamp = g.last_at",
        [*(window.bounds * len(GAS)), low - MINUTE, high],
    )
    return low, high
