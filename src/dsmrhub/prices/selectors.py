"""Read-only views of energy contracts: each contract with the use and costs over its period."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import DayStatistics

TOTAL_FIELDS = (
    "electricity1",
    "electricity2",
    "electricity1_returned",
    "electricity2_returned",
    "gas",
    "electricity1_cost",
    "electricity2_cost",
    "gas_cost",
    "fixed_cost",
    "total_cost",
)


@dataclass(frozen=True, slots=True)
class ContractTotals:
    """A contract and the sums of the day statistics in its period (days with data only)."""

    contract: EnergyContract
    days: int
    electricity1: Decimal
    electricity2: Decimal
    electricity1_returned: Decimal
    electricity2_returned: Decimal
    gas: Decimal
    electricity1_cost: Decimal
    electricity2_cost: Decimal
    gas_cost: Decimal
    fixed_cost: Decimal
    total_cost: Decimal

    @property
    def electricity(self) -> Decimal:
        return self.electricity1 + self.electricity2

    @property
    def electricity_returned(self) -> Decimal:
        return self.electricity1_returned + self.electricity2_returned

    @property
    def electricity_cost(self) -> Decimal:
        return self.electricity1_cost + self.electricity2_cost


def contract_totals(*, contract: EnergyContract) -> ContractTotals:
    """Sum the day statistics of ``contract``'s period in one aggregate query."""
    days = DayStatistics.objects.filter(day__gte=contract.start)
    if contract.end is not None:
        days = days.filter(day__lte=contract.end)
    sums = days.aggregate(days=Count("day"), **{name: Sum(name) for name in TOTAL_FIELDS})
    values = {name: sums[name] if sums[name] is not None else Decimal(0) for name in TOTAL_FIELDS}
    return ContractTotals(contract=contract, days=sums["days"], **values)


def contracts_with_totals() -> list[ContractTotals]:
    """Every contract, newest first, with its totals (one aggregate query per contract)."""
    return [contract_totals(contract=c) for c in EnergyContract.objects.order_by("-start")]
