from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dsmrhub.prices.costs import contract_for_day, contracts_for_days, cost_per_hour, costs_compute, gas_cost
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.contracts import contract_save

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


def test_the_contract_of_each_day_adjacent_and_open_ended():
    contract_save(description="2026", start=date(2026, 1, 1), end=date(2026, 12, 31), prices={})
    later = contract_save(description="2027", start=date(2027, 1, 1), prices={}).contract
    assert contract_for_day(day=date(2026, 12, 31)).description == "2026"
    assert contract_for_day(day=date(2031, 1, 1)) == later
    assert contract_for_day(day=date(2025, 12, 31)) is None
    days = contracts_for_days(first=date(2026, 12, 30), last=date(2027, 1, 2))
    assert [days[d].description for d in sorted(days)] == ["2026", "2026", "2027", "2027"]


@pytest.mark.parametrize("tariff", [1, 2])
def test_cost_per_hour_is_the_day_rule_over_one_hour_at_the_current_tariff(tariff):
    prices = {
        "delivered_1": D("0.21"),
        "delivered_2": D("0.25"),
        "returned_1": D("0.07"),
        "returned_2": D("0.08"),
    }
    contract = _contract(**{f"electricity_{name}_price": value for name, value in prices.items()})
    delivered, returned = D("1.234"), D("0.050")
    expected = (delivered * prices[f"delivered_{tariff}"] - returned * prices[f"returned_{tariff}"]).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )
    cost = cost_per_hour(contract=contract, tariff=tariff, delivered_kw=delivered, returned_kw=returned)
    assert cost == expected


def test_gas_cost_of_an_interval_rounds_half_up():
    contract = _contract(gas_price=D("1.25"))
    assert gas_cost(contract=contract, m3=D("0.010")) == D("0.01")  # 0.0125 → 0.01
    assert gas_cost(contract=contract, m3=D("0.020")) == D("0.03")  # 0.025 → 0.03 (half up, not even)
