"""What API v2 adds to the processed data so DSMR-reader v5 clients read it unchanged.

The figures themselves come from the selectors of the apps that own them (``processing.selectors``,
``processing.live``, ``prices.costs``, ``alerts.problems`` for the problems); this module only puts them in
the shapes v5 documents: today's merged totals and the prices in force, the name of the tariff the meter
is on, and the monitoring problems with their source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dsmrhub.alerts.problems import problems_current
from dsmrhub.prices.costs import contract_for_day, round_cents
from dsmrhub.prices.models import ContractKind, EnergyContract
from dsmrhub.processing.costs import price_now
from dsmrhub.processing.selectors import consumption_today
from dsmrhub.readings.tariffs import tariff_label, tariff_naming

ZERO_PRICE = Decimal("0.000000")

# The contract fields behind v5's ``energy_supplier_price_*`` keys of ``consumption/today``.
PRICE_KEYS = {
    "energy_supplier_price_electricity_delivered_1": "electricity_delivered_1_price",
    "energy_supplier_price_electricity_delivered_2": "electricity_delivered_2_price",
    "energy_supplier_price_electricity_returned_1": "electricity_returned_1_price",
    "energy_supplier_price_electricity_returned_2": "electricity_returned_2_price",
    "energy_supplier_price_gas": "gas_price",
    "energy_supplier_price_fixed_daily_cost": "fixed_daily_cost",
}


def consumption_today_v5(*, now: datetime | None = None) -> dict[str, Any] | None:
    """``processing.selectors.consumption_today`` plus the keys DSMR-reader v5 adds: both tariffs merged
    (delivered, returned, cost), the day's fixed cost (cents, half up) and the prices in force (zero
    without a contract, as v5 shows them; see ``prices_in_force``). None without a reading today."""
    now = now or timezone.now()
    today = consumption_today(now=now)
    if today is None:
        return None
    contract = contract_for_day(day=date.fromisoformat(today["day"]))
    merged = {
        "electricity_merged": today["electricity1"] + today["electricity2"],
        "electricity_returned_merged": today["electricity1_returned"] + today["electricity2_returned"],
        "electricity_cost_merged": today["electricity1_cost"] + today["electricity2_cost"],
        "fixed_cost": round_cents(contract.fixed_daily_cost if contract else Decimal(0)),
    }
    return {**today, **merged, **prices_in_force(contract=contract, now=now)}


def prices_in_force(*, contract: EnergyContract | None, now: datetime) -> dict[str, Decimal | None]:
    """v5's ``energy_supplier_price_*``: a fixed contract's six prices. A time-of-use or dynamic contract
    has one electricity price at a time, whatever the meter's tariff register says: both tariffs show the
    price per kWh now (``processing.costs.price_now``: the band's, or the market price through the
    contract's formula; None while a market price is missing, never a made-up zero)."""
    if contract is None:
        return dict.fromkeys(PRICE_KEYS, ZERO_PRICE)
    prices: dict[str, Decimal | None] = {key: getattr(contract, field) for key, field in PRICE_KEYS.items()}
    if contract.kind != ContractKind.FIXED:
        current = price_now(now=now)
        for tariff in (1, 2):
            prices[f"energy_supplier_price_electricity_delivered_{tariff}"] = current and current.delivered
            prices[f"energy_supplier_price_electricity_returned_{tariff}"] = current and current.returned
    return prices


def meter_variant() -> str | None:
    """The telegram variant of the meter, from its latest telegram (None before the first one)."""
    return tariff_naming().variant


def tariff_name(*, tariff: int | None, variant: str | None) -> str | None:
    """The name of ``tariff`` (1 or 2): the user's, else the meter's country's (``readings.tariffs``); None
    when the tariff is unknown. Without a telegram (readings posted as values) the Dutch names hold, as
    DSMR-reader's defaults are Dutch."""
    return tariff_label(tariff=tariff, variant=variant)


@dataclass(frozen=True, slots=True)
class MonitoringProblem:
    source: str  # the part that found it, a module name as in DSMR-reader (``dsmr_backend.apps``)
    description: str
    since: datetime | None  # when it started, where known


def monitoring_problems(*, now: datetime | None = None) -> list[MonitoringProblem]:
    """``alerts.problems.problems_current`` (the one list the status page and the alerts show) in v5's
    field names; nothing added or left out."""
    return [
        MonitoringProblem(source=problem.source, description=problem.text, since=problem.since)
        for problem in problems_current(now=now)
    ]
