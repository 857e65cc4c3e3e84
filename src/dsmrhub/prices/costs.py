"""The cost rules and contract look-ups that processing builds on.

``prices`` sits below ``processing`` (docs/architecture.md, the package graph): processing prices its day
statistics with these rules and reprices them after a contract change (``processing.contracts``). Only the
entry points of ``prices`` (the admin and the ``contract`` command) call up into processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q, Sum

from dsmrhub.prices.models import EnergyContract

CENT = Decimal("0.01")
ZERO = Decimal("0")


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


def cost_per_hour(
    *, contract: EnergyContract, tariff: int, delivered_kw: Decimal, returned_kw: Decimal
) -> Decimal:
    """What an hour at this power costs on ``tariff`` (1 or 2): the day rule applied to kW × 1 h."""
    use = {
        "electricity1": ZERO,
        "electricity2": ZERO,
        "electricity1_returned": ZERO,
        "electricity2_returned": ZERO,
    }
    use[f"electricity{tariff}"], use[f"electricity{tariff}_returned"] = delivered_kw, returned_kw
    costs = costs_compute(contract=contract, gas=ZERO, fixed_days=0, **use)
    return costs.electricity1 + costs.electricity2  # the other tariff's part is 0.00


def gas_cost(*, contract: EnergyContract, m3: Decimal) -> Decimal:
    """R(m3 × gas price), as for a day."""
    return costs_compute(
        contract=contract,
        electricity1=ZERO,
        electricity2=ZERO,
        electricity1_returned=ZERO,
        electricity2_returned=ZERO,
        gas=m3,
        fixed_days=0,
    ).gas


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
            if day == date.max:
                break
            day += timedelta(days=1)
    return by_day


def contracts_fingerprint() -> str:
    """Changes whenever a contract is added, changed or removed.

    Every change through ``prices.services`` reprices at once and stores this; the processor compares it
    to catch changes made around the services (``loaddata``, SQL) and then reprices every stored day.
    """
    agg = EnergyContract.objects.aggregate(
        n=Count("id"), last=Max("updated_at"), ids=Sum("id"), top=Max("id")
    )
    last = agg["last"].isoformat() if agg["last"] else ""
    return f"{agg['n']}:{agg['ids'] or 0}:{agg['top'] or 0}:{last}"
