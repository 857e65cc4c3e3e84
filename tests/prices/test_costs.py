from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import (
    ContractError,
    contract_create,
    contract_delete,
    contract_for_day,
    contracts_for_days,
    costs_compute,
)

pytestmark = pytest.mark.django_db
D = Decimal


def _contract(**prices) -> EnergyContract:
    return EnergyContract(description="test", start=date(2026, 1, 1), **prices)


def test_half_cents_round_up_not_to_even():
    contract = _contract(
        electricity_delivered_1_price=D("0.25"),
        gas_price=D("0.625"),
        fixed_daily_cost=D("0.005"),
    )
    costs = costs_compute(
        contract=contract,
        electricity1=D("0.500"),  # 0.125 → 0.13 (half even would give 0.12)
        electricity2=D("0"),
        electricity1_returned=D("0"),
        electricity2_returned=D("0"),
        gas=D("1.000"),  # 0.625 → 0.63
    )
    assert (costs.electricity1, costs.electricity2, costs.gas) == (D("0.13"), D("0.00"), D("0.63"))
    assert costs.fixed == D("0.005")
    assert costs.total == D("0.77")  # R(0.13 + 0.00 + 0.63 + 0.005) = R(0.765)


def test_returned_energy_is_subtracted_per_tariff_before_rounding():
    contract = _contract(
        electricity_delivered_2_price=D("0.30"),
        electricity_returned_2_price=D("0.10"),
    )
    costs = costs_compute(
        contract=contract,
        electricity1=D("0"),
        electricity2=D("1.015"),  # 0.3045
        electricity1_returned=D("0"),
        electricity2_returned=D("0.020"),  # − 0.002 → 0.3025 → 0.30
        gas=D("0"),
    )
    assert costs.electricity2 == D("0.30")
    assert costs.total == D("0.30")


def test_no_contract_means_zero_costs():
    costs = costs_compute(
        contract=None,
        electricity1=D("5"),
        electricity2=D("5"),
        electricity1_returned=D("0"),
        electricity2_returned=D("0"),
        gas=D("1"),
    )
    assert costs.total == D("0.00")


def test_overlapping_contracts_are_refused_with_a_reason():
    contract_create(description="2026", start=date(2026, 1, 1), end=date(2026, 12, 31))
    with pytest.raises(ContractError, match="overlaps contract .* '2026'"):
        contract_create(description="mid", start=date(2026, 6, 1), end=date(2026, 6, 30))
    with pytest.raises(ContractError, match="overlaps"):
        contract_create(description="open", start=date(2025, 6, 1))
    with pytest.raises(ContractError, match="before the start"):
        contract_create(description="bad", start=date(2027, 2, 1), end=date(2027, 1, 1))
    later = contract_create(description="2027", start=date(2027, 1, 1))  # adjacent is fine
    with pytest.raises(ContractError, match="overlaps"):
        contract_create(description="after", start=date(2030, 1, 1))  # open end overlaps
    assert contract_for_day(day=date(2026, 12, 31)).description == "2026"
    assert contract_for_day(day=date(2031, 1, 1)) == later
    assert contract_for_day(day=date(2025, 12, 31)) is None
    days = contracts_for_days(first=date(2026, 12, 30), last=date(2027, 1, 2))
    assert [days[d].description for d in sorted(days)] == ["2026", "2026", "2027", "2027"]
    contract_delete(contract_id=later.pk)
    with pytest.raises(ContractError, match="no contract"):
        contract_delete(contract_id=later.pk)


def test_negative_prices_are_refused():
    with pytest.raises(ContractError, match="zero or more"):
        contract_create(description="x", start=date(2026, 1, 1), gas_price=D("-1"))
