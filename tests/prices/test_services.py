"""contract_validate / contract_save / contract_delete: one set of checks, and the affected days repriced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import FIRST_DAY, LAST_DAY, ContractError, contract_day_after
from dsmrhub.processing.contracts import contract_delete, contract_save
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from tests.prices.days import GAS_PER_DAY, KWH_PER_DAY, MARCH_2, MARCH_3, two_days
from tests.prices.days import rounded as _r
from tests.prices.days import total_cost as _total

pytestmark = pytest.mark.django_db
D = Decimal


def test_saving_reprices_the_period_and_the_processor_does_not_reprice_again():
    two_days()
    e1, gas, fixed = D("0.2"), D("1.125"), D("0.123456")
    change = contract_save(
        description=" March ",
        start=MARCH_2,
        end=MARCH_2,
        prices={"electricity_delivered_1_price": e1, "gas_price": gas, "fixed_daily_cost": fixed},
    )
    assert change.days_repriced == 1
    assert change.contract.description == "March" and change.contract.gas_price == D("1.125000")
    assert _total(MARCH_2) == _r(_r(KWH_PER_DAY * e1) + _r(GAS_PER_DAY * gas) + fixed)
    assert _total(MARCH_3) == D("0.00")
    assert processing_run_pending().costs_refreshed == 0  # the change stored the contracts' fingerprint


def test_changing_a_period_reprices_the_old_and_the_new_days():
    two_days()
    price = D("0.25")
    march = contract_save(
        description="March", start=MARCH_3, end=None, prices={"electricity_delivered_1_price": price}
    ).contract
    assert (_total(MARCH_2), _total(MARCH_3)) == (D("0.00"), _r(KWH_PER_DAY * price))
    change = contract_save(contract_id=march.pk, description="March", start=MARCH_2, end=MARCH_2, prices={})
    assert change.days_repriced == 2  # the new day and the day it no longer covers
    assert (_total(MARCH_2), _total(MARCH_3)) == (_r(KWH_PER_DAY * price), D("0.00"))
    assert change.contract.electricity_delivered_1_price == price  # prices not given are kept


def test_deleting_reprices_its_days_to_zero():
    two_days()
    march = contract_save(
        description="March", start=MARCH_2, prices={"electricity_delivered_1_price": D("0.3")}
    ).contract
    change = contract_delete(contract_id=march.pk)
    assert (change.days_repriced, change.contract.pk, change.contract.description) == (2, march.pk, "March")
    assert set(DayStatistics.objects.values_list("total_cost", flat=True)) == {D("0.00")}
    with pytest.raises(ContractError, match=f"no contract {march.pk}"):
        contract_delete(contract_id=march.pk)
    with pytest.raises(ContractError, match="no contract 999"):
        contract_save(contract_id=999, description="x", start=MARCH_2, prices={})


def test_contracts_may_not_overlap_but_may_touch():
    spring = contract_save(description="Spring", start=date(2026, 3, 1), end=date(2026, 5, 31), prices={})
    for start, end in [
        (date(2026, 5, 31), None),
        (date(2026, 1, 1), date(2026, 3, 1)),
        (date(2025, 1, 1), None),
    ]:
        with pytest.raises(
            ContractError, match="overlaps the contract “Spring” \\(2026-03-01 – 2026-05-31\\)"
        ) as e:
            contract_save(description="x", start=start, end=end, prices={})
        assert e.value.overlaps == spring.contract and e.value.field is None
    contract_save(description="Summer", start=date(2026, 6, 1), prices={})  # the day after: fine
    with pytest.raises(ContractError, match="“Summer” \\(2026-06-01 – open end\\)"):
        contract_save(description="Later", start=date(2030, 1, 1), prices={})  # an open end overlaps
    # a contract may keep its own period
    contract_save(
        contract_id=spring.contract.pk,
        description="Spring",
        start=date(2026, 3, 1),
        end=date(2026, 5, 31),
        prices={},
    )
    assert EnergyContract.objects.count() == 2


@pytest.mark.parametrize(
    ("start", "end", "field", "says"),
    [
        (date(2026, 2, 1), date(2026, 1, 31), "end", "The last day lies before the first day."),
        (date(1999, 12, 31), None, "start", "from 2000-01-01 through 2099-12-31"),
        (date(2026, 1, 1), date(9999, 12, 31), "end", "from 2000-01-01 through 2099-12-31"),
        (date(2100, 1, 1), None, "start", "from 2000-01-01 through 2099-12-31"),
        (date(1, 1, 1), date(1, 1, 2), "start", "from 2000-01-01 through 2099-12-31"),
    ],
)
def test_dates_must_be_in_order_and_in_range(start, end, field, says):
    with pytest.raises(ContractError, match=says) as error:
        contract_save(description="x", start=start, end=end, prices={})
    assert error.value.field == field
    assert not EnergyContract.objects.exists()


def test_the_range_bounds_themselves_are_allowed():
    contract = contract_save(description="all", start=FIRST_DAY, end=LAST_DAY, prices={}).contract
    assert (contract.start, contract.end) == (date(2000, 1, 1), date(2099, 12, 31))
    assert contract_day_after(contract) is None  # no next contract can start after the last day


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (D("-0.01"), "greater than or equal to 0"),
        (D("0.1234567"), "no more than 6 decimal places"),
        (D("1000000"), "no more than 6 digits before the decimal point"),
        (D("NaN"), "Enter a number."),
        (D("Infinity"), "Enter a number."),
        ("cheap", "Enter a number."),
    ],
)
def test_prices_are_numbers_of_zero_or_more_that_fit(value, says):
    with pytest.raises(ContractError, match=says) as error:
        contract_save(description="x", start=MARCH_2, prices={"gas_price": value})
    assert error.value.field == "gas_price"
    assert not EnergyContract.objects.exists()


def test_a_description_and_known_price_fields_are_needed():
    with pytest.raises(ContractError, match="needs a description") as error:
        contract_save(description="  ", start=MARCH_2, prices={})
    assert error.value.field == "description"
    with pytest.raises(ContractError, match="unknown price fields: beer_price"):
        contract_save(description="x", start=MARCH_2, prices={"beer_price": D(1)})


def test_the_day_after_a_contract():
    def day_after(end: date | None) -> date | None:
        return contract_day_after(EnergyContract(start=date(2026, 1, 1), end=end))

    assert day_after(date(2026, 12, 31)) == date(2027, 1, 1)
    assert day_after(None) is None
    assert day_after(date(9999, 12, 31)) is None  # stored before the range was enforced: no 500
