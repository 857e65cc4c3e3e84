"""Contracts (no overlaps) and the one place where consumption becomes money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, Sum

from dsmrhub.prices.models import EnergyContract

CENT = Decimal("0.01")
ZERO = Decimal("0")
PRICE_FIELDS = (
    "electricity_delivered_1_price",
    "electricity_delivered_2_price",
    "electricity_returned_1_price",
    "electricity_returned_2_price",
    "gas_price",
    "fixed_daily_cost",
)


class ContractError(ValueError):
    """A contract that cannot be stored; the message says why (``overlaps``: the contract in the way)."""

    def __init__(self, message: str, *, overlaps: EnergyContract | None = None) -> None:
        super().__init__(message)
        self.overlaps = overlaps


def round_cents(amount: Decimal) -> Decimal:
    """R: round half up to cents (for negative amounts: half away from zero)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Costs:
    electricity1: Decimal
    electricity2: Decimal
    gas: Decimal
    fixed: Decimal  # the contract's fixed daily cost, unrounded
    total: Decimal


NO_COSTS = Costs(ZERO * CENT, ZERO * CENT, ZERO * CENT, ZERO, ZERO * CENT)


def costs_compute(
    *,
    contract: EnergyContract | None,
    electricity1: Decimal,
    electricity2: Decimal,
    electricity1_returned: Decimal,
    electricity2_returned: Decimal,
    gas: Decimal,
    fixed_days: int = 1,
) -> Costs:
    """Per tariff R(delivered × price − returned × price); gas R(m3 × price); total R(sum + fixed cost)."""
    if contract is None:
        return NO_COSTS
    c = contract
    e1 = round_cents(
        electricity1 * c.electricity_delivered_1_price
        - electricity1_returned * c.electricity_returned_1_price
    )
    e2 = round_cents(
        electricity2 * c.electricity_delivered_2_price
        - electricity2_returned * c.electricity_returned_2_price
    )
    gas_cost = round_cents(gas * c.gas_price)
    fixed = c.fixed_daily_cost * fixed_days
    return Costs(e1, e2, gas_cost, fixed, round_cents(e1 + e2 + gas_cost + fixed))


def contract_for_day(*, day: date) -> EnergyContract | None:
    return EnergyContract.objects.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day).first()


def contracts_for_days(*, first: date, last: date) -> dict[date, EnergyContract]:
    """The contract of every day in [first, last] that has one (one query)."""
    by_day: dict[date, EnergyContract] = {}
    contracts = EnergyContract.objects.filter(Q(end__isnull=True) | Q(end__gte=first), start__lte=last)
    for contract in contracts:
        day = max(contract.start, first)
        end = min(contract.end or last, last)
        while day <= end:
            by_day[day] = contract
            day = date.fromordinal(day.toordinal() + 1)
    return by_day


def contracts_fingerprint() -> str:
    """Changes whenever a contract is added, changed or removed (the processor then recomputes costs)."""
    agg = EnergyContract.objects.aggregate(
        n=Count("id"), last=Max("updated_at"), ids=Sum("id"), top=Max("id")
    )
    last = agg["last"].isoformat() if agg["last"] else ""
    return f"{agg['n']}:{agg['ids'] or 0}:{agg['top'] or 0}:{last}"


def contract_check_overlap(*, start: date, end: date | None, exclude_id: int | None = None) -> None:
    """Raise ``ContractError`` when [start, end] is empty or overlaps another contract."""
    if end is not None and end < start:
        raise ContractError(f"the end date {end} lies before the start date {start}")
    overlapping = EnergyContract.objects.filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        overlapping = overlapping.filter(start__lte=end)
    if exclude_id is not None:
        overlapping = overlapping.exclude(pk=exclude_id)
    other = overlapping.first()
    if other is not None:
        raise ContractError(
            f"overlaps contract {other.pk} '{other.description}' "
            f"({other.start} – {other.end or 'open end'}); contracts may not overlap",
            overlaps=other,
        )


def _contract_values_check(*, description: str, prices: dict[str, Any]) -> None:
    unknown = set(prices) - set(PRICE_FIELDS)
    if unknown:
        raise ContractError(f"unknown price fields: {', '.join(sorted(unknown))}")
    if not description.strip():
        raise ContractError("a contract needs a description")
    for name, value in prices.items():
        if value is None or Decimal(value) < 0:
            raise ContractError(f"{name} must be zero or more, got {value}")


def contract_create(
    *, description: str, start: date, end: date | None = None, **prices: Any
) -> EnergyContract:
    _contract_values_check(description=description, prices=prices)
    with transaction.atomic():
        contract_check_overlap(start=start, end=end)
        return EnergyContract.objects.create(description=description.strip(), start=start, end=end, **prices)


def contract_update(
    *, contract_id: int, description: str, start: date, end: date | None = None, **prices: Any
) -> EnergyContract:
    """Change a contract's description, period and prices (given prices only); no overlaps either."""
    _contract_values_check(description=description, prices=prices)
    with transaction.atomic():
        contract = EnergyContract.objects.select_for_update().filter(pk=contract_id).first()
        if contract is None:
            raise ContractError(f"there is no contract {contract_id}")
        contract_check_overlap(start=start, end=end, exclude_id=contract_id)
        contract.description, contract.start, contract.end = description.strip(), start, end
        for name, value in prices.items():
            setattr(contract, name, value)
        contract.save()
        return contract


def contract_delete(*, contract_id: int) -> EnergyContract:
    contract = EnergyContract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise ContractError(f"there is no contract {contract_id}")
    contract.delete()
    return contract
