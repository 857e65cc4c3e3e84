"""Readings for processing tests, stored directly (the triggers see them like any other insert)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dsmrhub.readings.models import DsmrReading


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def reading(
    at: datetime,
    d1: str | Decimal = "0",
    d2: str | Decimal = "0",
    *,
    r1: str | Decimal = "0",
    r2: str | Decimal = "0",
    power: str = "0.500",
    returned: str = "0",
    gas: tuple[datetime, str] | None = None,
    **extra,
) -> DsmrReading:
    return DsmrReading(
        timestamp=at,
        electricity_delivered_1=Decimal(d1),
        electricity_delivered_2=Decimal(d2),
        electricity_returned_1=Decimal(r1),
        electricity_returned_2=Decimal(r2),
        electricity_currently_delivered=Decimal(power),
        electricity_currently_returned=Decimal(returned),
        extra_device_timestamp=gas[0] if gas else None,
        extra_device_delivered=Decimal(gas[1]) if gas else None,
        **extra,
    )


def store(*readings: DsmrReading) -> None:
    DsmrReading.objects.bulk_create(readings)


def steady_stream(
    start: datetime,
    end: datetime,
    *,
    step: timedelta = timedelta(seconds=10),
    watts: int = 1800,
    d1: Decimal = Decimal("1000"),
    gas_every: timedelta | None = timedelta(minutes=5),
    gas_per_hour: Decimal = Decimal("0.120"),
    gas_start: Decimal = Decimal("500"),
) -> list[DsmrReading]:
    """Readings with a constant use of ``watts`` on tariff 1, and gas stamped every ``gas_every``."""
    rows = []
    moment = start
    while moment <= end:
        seconds = int((moment - start).total_seconds())
        position = d1 + Decimal(seconds * watts // 3600).scaleb(-3)
        gas = None
        if gas_every:
            stamp = start + (moment - start) // gas_every * gas_every
            elapsed = Decimal(int((stamp - start).total_seconds()))
            gas = (stamp, str((gas_start + gas_per_hour * elapsed / 3600).quantize(Decimal("0.001"))))
        rows.append(reading(moment, position, "0", power=f"{watts / 1000:.3f}", gas=gas))
        moment += step
    return rows
