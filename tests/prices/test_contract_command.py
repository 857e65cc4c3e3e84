"""`dsmrhub contract`: the services' checks, one clear line on bad input, repricing at once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from tests.prices.days import rounded as _r
from tests.processing.builders import steady_stream, store, utc

D = Decimal


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_contract_added_afterwards_prices_the_days_it_covers():
    # 2026-03-02 and 03-03 (local days) at 1.8 kW on tariff 1 and 0.120 m3 gas an hour
    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 4, 0), step=timedelta(minutes=1)))
    processing_run_pending()
    kwh, m3 = D("1.8") * 24, D("0.120") * 24
    day = DayStatistics.objects.get(day=date(2026, 3, 2))
    assert (day.electricity1, day.gas, day.total_cost) == (kwh, m3, D("0.00"))

    e1, gas, fixed = D("0.2"), D("1.125"), D("0.123456")
    output = _run(
        "contract", "add", "--description", "March", "--start", "2026-03-02", "--end", "2026-03-02",
        "--electricity-delivered-1", str(e1), "--electricity-delivered-2", "0.3",
        "--gas", str(gas), "--fixed-daily-cost", str(fixed),
    )  # fmt: skip
    assert "added contract" in output and "recomputed the costs of 1 days" in output
    day.refresh_from_db()
    assert (day.electricity1_cost, day.gas_cost, day.fixed_cost) == (_r(kwh * e1), _r(m3 * gas), fixed)
    assert day.total_cost == _r(_r(kwh * e1) + _r(m3 * gas) + fixed)
    assert DayStatistics.objects.get(day=date(2026, 3, 3)).total_cost == D("0.00")

    with pytest.raises(CommandError, match="overlaps the contract “March” \\(2026-03-02 – 2026-03-02\\)"):
        _run("contract", "add", "--description", "x", "--start", "2026-01-01")
    listing = _run("contract", "list")
    assert "March" in listing and "gas=1.125000" in listing
    contract_id = listing.split()[0]
    assert "recomputed the costs of 1 days" in _run("contract", "remove", contract_id)
    day.refresh_from_db()
    assert day.total_cost == D("0.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--start", "2026-13-01"], "not a date (YYYY-MM-DD): '2026-13-01'"),
        (
            ["--start", "2026-01-01", "--end", "9999-12-31"],
            "--end: Choose a day from 2000-01-01 through 2099-12-31",
        ),
        (["--start", "1999-12-31"], "--start: Choose a day from 2000-01-01"),
        (["--start", "2026-02-01", "--end", "2026-01-01"], "--end: The last day lies before the first day."),
        (["--start", "2026-01-01", "--gas", "-1"], "--gas: Ensure this value is greater than or equal to 0."),
        (
            ["--start", "2026-01-01", "--gas", "1e9"],
            "--gas: Ensure that there are no more than 6 digits before",
        ),
        (
            ["--start", "2026-01-01", "--gas", "0.1234567"],
            "--gas: Ensure that there are no more than 6 decimal",
        ),
        (["--start", "2026-01-01", "--gas", "NaN"], "--gas: Enter a number."),
        (["--start", "2026-01-01", "--gas", "cheap"], "not a number: 'cheap'"),
    ],
)
def test_bad_values_are_refused_with_the_services_reason(args, says):
    with pytest.raises(CommandError) as error:
        _run("contract", "add", "--description", "x", *args)
    assert says in str(error.value)
    assert not EnergyContract.objects.exists()


@pytest.mark.django_db
def test_removing_an_unknown_contract_says_so():
    with pytest.raises(CommandError, match="There is no contract 99."):
        _run("contract", "remove", "99")


def test_the_dsmrhub_command_reports_a_bad_date_in_one_line_with_exit_code_1(install):
    install.data_dir.chmod(0o700)  # no warning about a readable data dir: stderr is only the error
    result = install.run("contract", "add", "--description", "forever", "--start", "2026-01-01",
                         "--end", "9999-12-31", check=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: --end: Choose a day from 2000-01-01 through 2099-12-31 "
        "(leave the last day empty for no end)."
    ]
    assert install.query("SELECT COUNT(*) FROM prices_energycontract") == [(0,)]
    listing = install.run("contract", "add", "--description", "open", "--start", "2026-01-01").stdout
    assert listing.startswith("added contract") and "open end" in listing


@pytest.mark.django_db
def test_list_shows_bands_and_formulas():
    bands = {
        "description": "tou", "start": "2026-01-01", "end": "2026-06-30", "kind": "bands",
        "bands": [
            {"name": "peak", "delivered": "0.3", "returned": "0.1",
             "periods": [{"days": "mon-fri", "hours": "07:00-23:00"}]},
            {"name": "off", "delivered": "0.2", "returned": "0.05",
             "periods": [{"days": "mon-fri", "hours": "23:00-07:00"}, {"days": "sat,sun"}]},
        ],
    }  # fmt: skip
    dynamic = {
        "description": "dyn", "start": "2026-07-01", "kind": "dynamic",
        "terms": {
            "electricity_delivered": {"markup": "0.02", "tax": "0.1", "vat_percent": "21"},
            "electricity_returned": {"markup": "-0.01"},
        },
    }  # fmt: skip
    for spec in (bands, dynamic):
        _run("contract", "add", "--spec", json.dumps(spec))
    lines = _run("contract", "list").splitlines()
    assert lines[1:3] == [
        "    band peak: delivered=0.300000 returned=0.100000  mon-fri 07:00-23:00",
        "    band off: delivered=0.200000 returned=0.050000  mon-fri 23:00-07:00; sat,sun",
    ]
    assert lines[4:] == [
        "    electricity_delivered: (market + 0.020000 + 0.100000) × (1 + 21.00%)",
        "    electricity_returned: (market + -0.010000 + 0.000000) × (1 + 0.00%)",
    ]
