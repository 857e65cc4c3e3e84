"""Contract changes from the web pages: store the contract, then recompute the affected days' costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import contract_create, contract_delete, contract_update
from dsmrhub.processing.services import costs_refresh


@dataclass(frozen=True, slots=True)
class ContractChange:
    contract: EnergyContract
    days_repriced: int  # day statistics whose costs were recomputed


def _span(*periods: tuple[date, date | None]) -> tuple[date, date | None]:
    """The smallest range covering every period (None: open-ended)."""
    first = min(start for start, _ in periods)
    ends = [end for _, end in periods]
    return first, (None if any(end is None for end in ends) else max(e for e in ends if e is not None))


def web_contract_save(
    *,
    contract_id: int | None,
    description: str,
    start: date,
    end: date | None,
    prices: dict[str, Decimal],
) -> ContractChange:
    """Add (``contract_id`` None) or change a contract; reprice the days of its old and new period.

    Raises ``prices.services.ContractError`` for an overlap or bad values.
    """
    periods: list[tuple[date, date | None]] = [(start, end)]
    if contract_id is None:
        contract = contract_create(description=description, start=start, end=end, **prices)
    else:
        old = EnergyContract.objects.filter(pk=contract_id).values_list("start", "end").first()
        if old is not None:
            periods.append(old)
        contract = contract_update(
            contract_id=contract_id, description=description, start=start, end=end, **prices
        )
    first, last = _span(*periods)
    return ContractChange(contract=contract, days_repriced=costs_refresh(first_day=first, last_day=last))


def web_contract_delete(*, contract_id: int) -> ContractChange:
    """Remove a contract; its days cost 0.00 from now on (recomputed at once)."""
    contract = contract_delete(contract_id=contract_id)
    days = costs_refresh(first_day=contract.start, last_day=contract.end)
    return ContractChange(contract=contract, days_repriced=days)
