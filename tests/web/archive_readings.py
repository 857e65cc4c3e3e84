"""Readings for the archive tests, up to a chosen moment, and the figures they record, summed here.

As ``tests.web.days`` (1.2 kW at night on tariff 1, 2.4 kW by day on tariff 2, 0.6 kW returned from 11 to 15,
0.010 m3 gas a step), but from ``first`` through ``last`` (``store_days`` always runs to the next midnight):
expected figures are summed step by step from that description, costs by the prices with half-up cents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.services import processing_run_pending
from tests.processing.builders import reading, store
from tests.web.days import AMSTERDAM, DAY_KW, GAS_PER_STEP, NIGHT_KW, STEP, SUN_KW, sunny, tariff_of

PRICES = {  # € per kWh / m3 / day
    "electricity_delivered_1_price": Decimal("0.20"),
    "electricity_delivered_2_price": Decimal("0.25"),
    "electricity_returned_1_price": Decimal("0.10"),
    "electricity_returned_2_price": Decimal("0.10"),
    "gas_price": Decimal("1.00"),
    "fixed_daily_cost": Decimal("0.50"),
}
FIRST = datetime(2026, 10, 24, 0, 0, tzinfo=AMSTERDAM)  # Saturday; the 25th has 25 hours
LAST = datetime(2026, 10, 26, 14, 45, tzinfo=AMSTERDAM)  # Monday: the latest reading
NOW = datetime(2026, 10, 26, 14, 50, tzinfo=AMSTERDAM)
NBSP = "\N{NO-BREAK SPACE}"


def R(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def steps(start: datetime, end: datetime):
    """The 5-minute steps [t, t + 5 min) in [start, end), walked in UTC (25-hour days included)."""
    moment = start.astimezone(UTC)
    while moment < end.astimezone(UTC):
        yield moment
        moment += STEP


def use_between(start: datetime, end: datetime) -> dict[str, Decimal]:
    """What ``store_readings`` records in [start, end): kWh per tariff, returned, gas."""
    use = dict.fromkeys(("electricity1", "electricity2", "delivered", "returned", "gas"), Decimal("0.000"))
    for moment in steps(start, end):
        use["delivered"] += (NIGHT_KW if tariff_of(moment) == 1 else DAY_KW) / 12
        if tariff_of(moment) == 1:
            use["electricity1"] += NIGHT_KW / 12
        else:
            use["electricity2"] += DAY_KW / 12
            if sunny(moment):
                use["returned"] += SUN_KW / 12
        use["gas"] += GAS_PER_STEP
    return use


def day_cost(use: dict[str, Decimal]) -> Decimal:
    """A day's total under PRICES: R(e1 × p1) + R(e2 × p2 − returned × r2) + R(gas × pg) + fixed."""
    p = PRICES
    e1 = R(use["electricity1"] * p["electricity_delivered_1_price"])
    e2 = R(
        use["electricity2"] * p["electricity_delivered_2_price"]
        - use["returned"] * p["electricity_returned_2_price"]
    )
    return R(e1 + e2 + R(use["gas"] * p["gas_price"]) + p["fixed_daily_cost"])


def store_readings(
    first: datetime = FIRST, last: datetime = LAST, *, contract_from: date | None = date(2026, 1, 1)
) -> None:
    """Readings from ``first`` through ``last`` every 5 minutes, processed; a contract from
    ``contract_from``."""
    if contract_from is not None:
        contract_save(description="Test 2026", start=contract_from, prices=PRICES)
    d1 = d2 = r2 = Decimal("1000.000")
    gas = Decimal("500.000")
    rows = []
    for moment in steps(first, last + STEP):
        power = NIGHT_KW if tariff_of(moment) == 1 else DAY_KW
        returned = SUN_KW if tariff_of(moment) == 2 and sunny(moment) else Decimal("0")
        rows.append(
            reading(
                moment,
                d1,
                d2,
                r2=r2,
                power=f"{power:.3f}",
                returned=f"{returned:.3f}",
                gas=(moment, str(gas)),
            )
        )
        if tariff_of(moment) == 1:
            d1 += power / 12
        else:
            d2 += power / 12
            r2 += returned / 12
        gas += GAS_PER_STEP
    store(*rows)
    processing_run_pending()
