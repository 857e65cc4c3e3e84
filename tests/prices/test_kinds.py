"""Contract kinds: time-of-use bands and dynamic price terms, validated by contract_validate, stored by
contract_save; bad input is one clear error with nothing stored."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dsmrhub.prices.models import BandPeriod, ContractKind, EnergyContract, PriceBand, PriceTerm
from dsmrhub.prices.services import ContractError, contract_parts, contract_spec_parse
from dsmrhub.prices.tariffs import PeriodSpec
from dsmrhub.processing.contracts import contract_save

pytestmark = pytest.mark.django_db
D = Decimal
WEEKDAYS, WEEKEND, HOLIDAY, ALL = 0b0011111, 0b1100000, 0b10000000, 0b11111111

PEAK_OFFPEAK = {
    "description": "Peak and off-peak",
    "start": "2026-01-01",
    "kind": "bands",
    "gas_price": "1.25",
    "bands": [
        {
            "name": "peak",
            "delivered": "0.30",
            "returned": "0.10",
            "periods": [{"days": "mon-fri", "hours": "07:00-23:00"}],
        },
        {
            "name": "off-peak",
            "delivered": "0.20",
            "returned": "0.05",
            "periods": [
                {"days": "mon-fri", "hours": "23:00-07:00"},
                {"days": "sat-sun", "hours": "00:00-24:00"},
            ],
        },
    ],
}

DYNAMIC = {
    "description": "Dynamic",
    "start": "2026-01-01",
    "kind": "dynamic",
    "fixed_monthly_cost": "5.99",
    "terms": {
        "electricity_delivered": {"markup": "0.02", "tax": "0.1088", "vat_percent": "21"},
        "electricity_returned": {"markup": "-0.01"},
    },
}


def _save(spec: dict, **changes):
    parsed = contract_spec_parse({**spec, **changes})
    return contract_save(
        description=parsed.description,
        start=parsed.start,
        end=parsed.end,
        prices=parsed.prices,
        kind=parsed.kind,
        holidays_country=parsed.holidays_country,
        bands=parsed.bands,
        terms=parsed.terms,
    ).contract


def test_a_band_contract_is_stored_with_its_bands_and_a_span_past_midnight_is_cut_in_two():
    contract = _save(PEAK_OFFPEAK)
    assert contract.kind == ContractKind.BANDS and contract.gas_price == D("1.25")
    bands, terms = contract_parts(contract)
    assert terms == []
    assert [(b.name, b.delivered_price, b.returned_price) for b in bands] == [
        ("peak", D("0.30"), D("0.10")),
        ("off-peak", D("0.20"), D("0.05")),
    ]
    assert bands[0].periods == (PeriodSpec(WEEKDAYS, 7 * 60, 23 * 60),)
    assert bands[1].periods == (
        PeriodSpec(WEEKDAYS, 23 * 60, 24 * 60),
        PeriodSpec(WEEKDAYS, 0, 7 * 60),
        PeriodSpec(WEEKEND, 0, 24 * 60),
    )


def test_changing_the_kind_drops_the_old_kinds_parts():
    contract = _save(PEAK_OFFPEAK, end="2026-12-31")
    changed = contract_save(
        contract_id=contract.pk,
        description="now fixed",
        start=contract.start,
        end=contract.end,
        prices={},
        kind="fixed",
    ).contract
    assert changed.kind == "fixed"
    assert not PriceBand.objects.exists() and not BandPeriod.objects.exists()
    # prices and dates only (the contracts page): the kind and its parts stay
    dynamic = _save(DYNAMIC, start="2027-01-01")
    contract_save(contract_id=dynamic.pk, description="renamed", start=dynamic.start, prices={"gas_price": 1})
    assert EnergyContract.objects.get(pk=dynamic.pk).kind == "dynamic"
    assert PriceTerm.objects.filter(contract=dynamic).count() == 2


@pytest.mark.parametrize(
    ("bands", "says"),
    [
        (  # Monday to Friday 23:00–24:00 in no band
            [{"name": "all", "periods": [{"days": "mon-fri", "hours": "00:00-23:00"}, {"days": "sat-sun"}]}],
            "No band holds on mon 23:00–24:00.",
        ),
        (
            [
                {"name": "a", "periods": [{"days": "all"}]},
                {"name": "b", "periods": [{"days": "sun", "hours": "10:00-11:30"}]},
            ],
            "Bands “a” and “b” overlap on sun 10:00–11:30.",
        ),
        (
            [
                {
                    "name": "a",
                    "periods": [
                        {"days": "all", "hours": "00:00-07:10"},
                        {"days": "all", "hours": "07:10-24:00"},
                    ],
                }
            ],
            "Band “a”: 00:00–07:10 is not a period on quarter hours within a day.",
        ),
        (
            [{"name": "a", "periods": [{"days": "all"}]}, {"name": "a", "periods": []}],
            "Band names must differ.",
        ),
        ([], "needs at least one band"),
        (
            [{"name": "a", "delivered": "10.5", "periods": [{"days": "all"}]}],
            "a delivered_price: Ensure this value is less than or equal to 10.",
        ),
    ],
)
def test_a_band_set_must_cover_every_quarter_of_the_week_exactly_once(bands, says):
    with pytest.raises(ContractError, match=None) as error:
        _save({**PEAK_OFFPEAK, "bands": bands})
    assert says in str(error.value) and error.value.field == "bands"
    assert not EnergyContract.objects.exists() and not PriceBand.objects.exists()


def test_with_a_holidays_country_the_holidays_need_a_band_too():
    with pytest.raises(ContractError, match="No band holds on holiday 00:00–24:00."):
        _save(PEAK_OFFPEAK, holidays_country="NL")
    bands = [
        *PEAK_OFFPEAK["bands"],
        {"name": "holiday", "delivered": "0.15", "periods": [{"days": "holiday"}]},
    ]
    contract = _save(PEAK_OFFPEAK, holidays_country="nl", bands=bands)
    assert contract.holidays_country == "NL"
    with pytest.raises(ContractError, match="Unknown country for public holidays: XX."):
        _save(PEAK_OFFPEAK, holidays_country="XX", start="2030-01-01")


@pytest.mark.parametrize(
    ("change", "says", "field"),
    [
        ({"terms": {"electricity_delivered": {}}}, "needs price terms for electricity_returned", "terms"),
        (
            {"terms": {**DYNAMIC["terms"], "gas": {"markup": "-10.5"}}},
            "gas markup: Ensure this value is greater than or equal to -10.",
            "terms",
        ),
        (
            {"terms": {**DYNAMIC["terms"], "electricity_returned": {"vat_percent": "121"}}},
            "vat_percent: Ensure this value is less than or equal to 100.",
            "terms",
        ),
        ({"gas_price": "12"}, "Ensure this value is less than or equal to 10.", "gas_price"),
        ({"kind": "hourly"}, "unknown contract kind 'hourly'", "kind"),
        ({"bands": PEAK_OFFPEAK["bands"]}, "Only a time-of-use contract has bands.", "bands"),
    ],
)
def test_dynamic_terms_and_absurd_prices_are_refused(change, says, field):
    with pytest.raises(ContractError) as error:
        _save(DYNAMIC, **change)
    assert says in str(error.value) and error.value.field == field
    assert not EnergyContract.objects.exists() and not PriceTerm.objects.exists()


def test_a_dynamic_contract_is_stored_with_its_terms():
    contract = _save(DYNAMIC)
    assert (contract.kind, contract.fixed_monthly_cost, contract.capacity_minimum) == (
        "dynamic",
        D("5.99"),
        D("2.5"),
    )
    _bands, terms = contract_parts(contract)
    assert [(t.commodity, t.markup, t.tax, t.vat_percent) for t in terms] == [
        ("electricity_delivered", D("0.02"), D("0.1088"), D("21")),
        ("electricity_returned", D("-0.01"), D("0"), D("0")),
    ]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ([], "expected a JSON object"),
        ({"description": "x", "price": 1}, "unknown keys: price"),
        ({"description": "x", "start": "2026-02-30"}, "start: not a date"),
        (
            {**PEAK_OFFPEAK, "bands": [{"name": "a", "periods": [{"days": "mon-xyz"}]}]},
            "unknown day 'mon-xyz'",
        ),
        ({**PEAK_OFFPEAK, "bands": [{"name": "a", "periods": [{"days": "sun-mon"}]}]}, "runs backwards"),
        (
            {**PEAK_OFFPEAK, "bands": [{"name": "a", "periods": [{"hours": "7-23"}]}]},
            "not a time (HH:MM): '7'",
        ),
        (
            {**PEAK_OFFPEAK, "bands": [{"name": "a", "periods": [{"hours": "07:00-24:01"}]}]},
            "not a time of day",
        ),
    ],
)
def test_a_bad_spec_is_one_clear_error(spec, says):
    with pytest.raises(ContractError) as error:
        contract_spec_parse(spec)
    assert says in str(error.value)


@pytest.mark.django_db(transaction=True)
def test_every_existing_contract_migrates_unchanged():
    executor = MigrationExecutor(connection)
    executor.migrate([("prices", "0001_initial")])
    old = executor.loader.project_state([("prices", "0001_initial")]).apps.get_model(
        "prices", "EnergyContract"
    )
    old.objects.create(
        description="2025",
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        electricity_delivered_1_price=D("0.211"),
        electricity_returned_2_price=D("0.07"),
        gas_price=D("1.3"),
        fixed_daily_cost=D("0.987654"),
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    contract = EnergyContract.objects.get()
    assert (contract.kind, contract.fixed_monthly_cost, contract.capacity_price) == ("fixed", D(0), D(0))
    assert (contract.electricity_delivered_1_price, contract.electricity_returned_2_price) == (
        D("0.211"),
        D("0.07"),
    )
    assert (contract.gas_price, contract.fixed_daily_cost, contract.end) == (
        D("1.3"),
        D("0.987654"),
        date(2025, 12, 31),
    )


def test_the_contract_command_adds_any_kind_from_a_spec(tmp_path):
    spec = tmp_path / "bands.json"
    spec.write_text(json.dumps(PEAK_OFFPEAK))
    out = StringIO()
    call_command("contract", "add", "--spec", str(spec), stdout=out)
    assert out.getvalue().startswith("added contract")
    listing = StringIO()
    call_command("contract", "list", stdout=listing)
    assert "Peak and off-peak  bands" in listing.getvalue()
    with pytest.raises(CommandError, match="--description is required"):
        call_command("contract", "add", "--start", "2030-01-01", stdout=StringIO())
    with pytest.raises(CommandError, match="Bands “a” and “b” overlap on mon 00:00–24:00."):
        bad = {
            **PEAK_OFFPEAK,
            "start": "2030-01-01",
            "bands": [{"name": n, "periods": [{"days": "all"}]} for n in "ab"],
        }
        call_command("contract", "add", "--spec", json.dumps(bad), stdout=StringIO())
    assert EnergyContract.objects.count() == 1
