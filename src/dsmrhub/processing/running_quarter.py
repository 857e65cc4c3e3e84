"""The running quarter hour (Belgian capacity tariff): its average power so far and its projected peak.

A Belgian household pays on its month's highest quarter-hour average delivered power. While a quarter runs,
two figures let an automation shed load early enough to keep that quarter low:

- **running average** (kW): the delivered energy of the quarter so far divided by the time elapsed in it,
  ``energy × 3600 / elapsed_s``: the average power since the quarter began;
- **projected peak** (kW): the quarter's average at its end if the current power holds for the rest of it,
  ``(energy + power × remaining_s / 3600) × 4``; the quarter's final average, the figure billed, is this
  number when nothing changes, and it only moves with the power from now on.

At the very start of a quarter (nothing elapsed) both are the current power: the limit of the average as the
elapsed time goes to zero. The energy is the quarter's by the rule of every quarter hour
(``processing.positions``: A(t) is the raw position of the latest reading at or before t plus the meter drops
up to t; tariff 1 plus tariff 2 delivered), taken from the readings themselves up to the latest one, as
``consumption_today`` does, and not from the minute rows behind ``quarter_energy``: those exist only once
the processor has run, and a figure meant for shedding load must not lag it. The power is the latest
reading's ``electricity_currently_delivered``. Both figures are kW with 3 decimals (whole watts), half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dsmrhub.processing.epochs import REGISTERS, epochs_between
from dsmrhub.processing.periods import from_epoch
from dsmrhub.processing.positions import QUARTER
from dsmrhub.processing.quarantine import placeable_readings

DELIVERED = ("delivered_1", "delivered_2")

KW = Decimal("0.001")  # kW with 3 decimals: whole watts


@dataclass(frozen=True, slots=True)
class RunningQuarter:
    start: int  # Unix seconds of the quarter's start, a multiple of 900
    elapsed: int  # seconds of it behind the latest reading, 0–899
    running_average: Decimal  # kW
    projected_peak: Decimal  # kW


def running_quarter_compute(*, moment: int, delivered_kwh: Decimal, power_kw: Decimal) -> RunningQuarter:
    """The running quarter's figures (see the module's doc) at ``moment`` (Unix seconds of the latest
    reading), from the energy delivered in the quarter up to it (kWh) and the power at it (kW)."""
    start = moment - moment % QUARTER
    elapsed = moment - start
    average = power_kw if elapsed == 0 else delivered_kwh * 3600 / elapsed
    projected = (delivered_kwh + power_kw * (QUARTER - elapsed) / 3600) * 4
    return RunningQuarter(
        start=start,
        elapsed=elapsed,
        running_average=average.quantize(KW, rounding=ROUND_HALF_UP),
        projected_peak=projected.quantize(KW, rounding=ROUND_HALF_UP),
    )


def running_quarter_latest() -> RunningQuarter | None:
    """The running quarter at the latest placeable reading (None without readings); see the module's doc."""
    readings = placeable_readings()
    latest = readings.order_by("-timestamp").first()
    if latest is None:
        return None
    moment = int(latest.timestamp.timestamp())
    start = moment - moment % QUARTER
    before = readings.filter(timestamp__lte=from_epoch(start)).order_by("-timestamp").first()
    if before is None:  # the quarter began before the first reading: its use since that reading
        before = readings.order_by("timestamp").first()
    delivered = sum(
        (getattr(latest, REGISTERS[name]) - getattr(before, REGISTERS[name]) for name in DELIVERED),
        Decimal(0),
    )
    for _moment, register, amount in epochs_between(after=start, until=moment):
        if register in DELIVERED:  # a meter drop (replaced meter, reset register) is not negative use
            delivered += Decimal(amount).scaleb(-3)
    return running_quarter_compute(
        moment=moment, delivered_kwh=delivered, power_kw=latest.electricity_currently_delivered
    )
