"""Replay: `dsmrhub contract compare` and processing.compare: each contract priced over the user's own
history per month, next to the contracts in force; missing market prices shown as missing."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dsmrhub.prices.services import ContractError
from dsmrhub.processing.compare import compare_tariff, contracts_compare
from dsmrhub.processing.contracts import contract_save
from tests.prices.days import GAS_PER_DAY, KWH_PER_DAY, two_days

pytestmark = pytest.mark.django_db
D = Decimal

BANDS = {
    "description": "Peak/off-peak",
    "kind": "bands",
    "gas_price": "0.9",
    "bands": [
        {"name": "peak", "delivered": "0.30", "periods": [{"days": "mon-fri", "hours": "07:00-23:00"}]},
        {
            "name": "off-peak",
            "delivered": "0.20",
            "periods": [{"days": "mon-fri", "hours": "23:00-07:00"}, {"days": "sat-sun"}],
        },
    ],
}
DYNAMIC = {
    "description": "Dynamic",
    "kind": "dynamic",
    "gas_price": "1.0",
    "terms": {"electricity_delivered": {"markup": "0.02"}, "electricity_returned": {}},
}


def R(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _in_force_and_later():
    """2026-03-02 and 03-03 (Monday, Tuesday) at 1.8 kW on tariff 1, 0.120 m3 gas an hour; a fixed
    contract in force, and one for 2027 that a comparison prices over 2026 all the same."""
    two_days()
    contract_save(
        description="Fixed 2026",
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        prices={
            "electricity_delivered_1_price": D("0.25"),
            "gas_price": D("1.0"),
            "fixed_daily_cost": D("0.5"),
        },
    )
    return contract_save(
        description="Fixed 2027",
        start=date(2027, 1, 1),
        prices={
            "electricity_delivered_1_price": D("0.22"),
            "gas_price": D("1.1"),
            "fixed_monthly_cost": D("6.2"),
        },
    ).contract


def _expected():
    days = 2
    in_force = R(R(days * KWH_PER_DAY * D("0.25")) + R(days * GAS_PER_DAY) + days * D("0.5"))
    later = R(R(days * KWH_PER_DAY * D("0.22")) + R(days * GAS_PER_DAY * D("1.1")) + D("6.2") * days / 31)
    per_day = 16 * D("1.8") * D("0.30") + 8 * D("1.8") * D("0.20")  # weekdays: 16 peak hours, 8 off-peak
    bands = R(R(days * per_day) + R(days * GAS_PER_DAY * D("0.9")))
    return in_force, later, bands


def test_each_contract_is_priced_over_the_whole_history_next_to_the_one_in_force():
    later = _in_force_and_later()
    tariffs = [
        compare_tariff(later.pk, number=1),
        compare_tariff(BANDS, number=2),
        compare_tariff(DYNAMIC, number=3),
    ]
    comparison = contracts_compare(first=date(2026, 3, 2), last=date(2026, 3, 3), tariffs=tariffs)
    assert comparison.months == [date(2026, 3, 1)]
    labels = [c.label for c in comparison.contracts]
    assert labels == ["in force", "Fixed 2027", "Peak/off-peak", "Dynamic"]
    in_force, later_cost, bands = _expected()
    totals = [c.months[0].total_cost for c in comparison.contracts]
    assert totals == [in_force, later_cost, bands, None]  # no market prices: missing, never 0.00
    assert comparison.contracts[3].months[0].missing == 2 * 96
    assert [c.total.total_cost for c in comparison.contracts] == totals  # one month: the same
    assert comparison.contracts[0].months[0].delivered == 2 * KWH_PER_DAY


def test_the_compare_command_prints_a_table_per_month_and_json():
    later = _in_force_and_later()
    in_force, later_cost, bands = _expected()
    out = StringIO()
    args = [
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-03",
        str(later.pk),
        json.dumps(BANDS),
        json.dumps(DYNAMIC),
    ]
    call_command("contract", "compare", *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["month", "in", "force"]
    assert lines[1].split() == ["2026-03", str(in_force), str(later_cost), str(bands), "missing", "192"]
    assert lines[2].split() == ["total", str(in_force), str(later_cost), str(bands), "missing", "192"]
    cheapest = min([(in_force, "in force"), (later_cost, "Fixed 2027"), (bands, "Peak/off-peak")])
    assert lines[3] == f"cheapest: {cheapest[1]} ({cheapest[0]})"
    out = StringIO()
    call_command("contract", "compare", "--json", *args, stdout=out)
    data = json.loads(out.getvalue())
    assert [c["total"]["total_cost"] for c in data["contracts"]] == [
        str(in_force),
        str(later_cost),
        str(bands),
        None,
    ]
    assert data["contracts"][1]["contract_id"] == later.pk
    assert data["contracts"][0]["months"][0]["month"] == "2026-03"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2026-03-31", "--to", "2026-03-01"], "The last day lies before the first day."),
        (["--from", "2026-03-01", "--to", "2026-03-31", "99"], "There is no contract 99."),
        (["--from", "2026-03-01", "--to", "2026-03-31", '{"kind": "bands"}'], "needs at least one band"),
        (["--from", "2026-03-01", "--to", "2026-03-31", "{nope"], "not JSON"),
        (["--from", "2026-03-01", "--to", "2046-03-31"], "at most ten years"),
        (
            [
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-31",
                json.dumps(
                    {**DYNAMIC, "terms": {**DYNAMIC["terms"], "electricity_delivered": {"tax": "11"}}}
                ),
            ],
            "less than or equal to 10",
        ),
    ],
)
def test_bad_input_is_one_clear_error(args, says):
    with pytest.raises(CommandError) as error:
        call_command("contract", "compare", *args, stdout=StringIO())
    assert says in str(error.value)


def test_compare_tariff_refuses_what_is_not_a_contract():
    with pytest.raises(ContractError, match="contract id or a contract spec"):
        compare_tariff([1], number=1)
