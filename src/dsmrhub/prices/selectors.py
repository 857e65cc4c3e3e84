"""Read-only views of energy contracts: each contract with the use and costs over its period."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.selectors import day_statistics_totals


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
    return ContractTotals(contract=contract, **day_statistics_totals(first=contract.start, last=contract.end))


def contracts_with_totals() -> list[ContractTotals]:
    """Every contract, newest first, with its totals (one aggregate query per contract)."""
    return [contract_totals(contract=c) for c in EnergyContract.objects.order_by("-start")]
