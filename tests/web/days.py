"""Known days of readings for the archive, trends and export tests, processed into statistics."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.services import processing_run_pending
from tests.processing.builders import reading, store

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STEP = timedelta(minutes=5)
NIGHT_KW, DAY_KW, SUN_KW = Decimal("1.2"), Decimal("2.4"), Decimal("0.6")
GAS_PER_STEP = Decimal("0.010")  # 0.120 m3 an hour


def tariff_of(moment: datetime) -> int:
    """Tariff 2 (normal) from 07:00 to 23:00 local time, tariff 1 (low) at night."""
    return 2 if 7 <= moment.astimezone(AMSTERDAM).hour < 23 else 1


def sunny(moment: datetime) -> bool:
    return 11 <= moment.astimezone(AMSTERDAM).hour < 15


def store_days(first: date, last: date, *, contract: bool = True) -> int:
    """Readings every 5 minutes through the local days ``first`` … ``last`` (and one after them), with
    1.2 kW at night on tariff 1, 2.4 kW by day on tariff 2, 0.6 kW returned on tariff 2 from 11 to 15 and
    0.120 m3 gas an hour; then processed into statistics. A normal day: e1 9.600, e2 38.400, returned
    2.400 kWh, gas 2.880 m3; with the contract below it costs 1.92 + 9.36 + 2.88 + 0.50 = 14.66."""
    if contract:
        contract_save(
            description="Test 2026",
            start=date(2026, 1, 1),
            prices={
                "electricity_delivered_1_price": Decimal("0.20"),
                "electricity_delivered_2_price": Decimal("0.25"),
                "electricity_returned_1_price": Decimal("0.10"),
                "electricity_returned_2_price": Decimal("0.10"),
                "gas_price": Decimal("1.00"),
                "fixed_daily_cost": Decimal("0.50"),
            },
        )
    moment = datetime.combine(first, time(0), tzinfo=AMSTERDAM).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=AMSTERDAM) + STEP
    d1 = d2 = r2 = Decimal("1000.000")
    gas = Decimal("500.000")
    rows = []
    while moment <= end:
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
        step_kwh = power / 12
        if tariff_of(moment) == 1:
            d1 += step_kwh
        else:
            d2 += step_kwh
            if sunny(moment):
                r2 += SUN_KW / 12
        gas += GAS_PER_STEP
        moment += STEP
    store(*rows)
    processing_run_pending()
    return len(rows)
