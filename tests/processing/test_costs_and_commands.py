from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dsmrhub.processing.models import DayStatistics, HourStatistics
from dsmrhub.processing.services import processing_run_pending
from tests.processing.builders import steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_contract_added_afterwards_prices_the_days_it_covers():
    # 2026-03-02 and 03-03 (local days) at 1.8 kW: 43.200 kWh on tariff 1, gas 0.120 m3/h → 2.880 m3
    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 4, 0), step=timedelta(minutes=1)))
    processing_run_pending()
    day = DayStatistics.objects.get(day=date(2026, 3, 2))
    assert (day.electricity1, day.gas, day.total_cost) == (D("43.200"), D("2.880"), D("0.00"))

    output = _run(
        "contract",
        "add",
        "--description",
        "March",
        "--start",
        "2026-03-02",
        "--end",
        "2026-03-02",
        "--electricity-delivered-1",
        "0.2",
        "--electricity-delivered-2",
        "0.3",
        "--gas",
        "1.125",
        "--fixed-daily-cost",
        "0.123456",
    )
    assert "added contract" in output and "recomputed the costs of 1 days" in output
    day.refresh_from_db()
    # 43.200 × 0.2 = 8.64; 2.880 × 1.125 = 3.24; total R(8.64 + 3.24 + 0.123456) = 12.00
    assert (day.electricity1_cost, day.gas_cost, day.fixed_cost) == (D("8.64"), D("3.24"), D("0.123456"))
    assert day.total_cost == D("12.00")
    assert DayStatistics.objects.get(day=date(2026, 3, 3)).total_cost == D("0.00")

    with pytest.raises(CommandError, match="overlaps"):
        _run("contract", "add", "--description", "x", "--start", "2026-01-01")
    listing = _run("contract", "list")
    assert "March" in listing and "gas=1.125000" in listing
    contract_id = listing.split()[0]
    _run("contract", "remove", contract_id)
    day.refresh_from_db()
    assert day.total_cost == D("0.00")


def test_contract_changed_elsewhere_is_picked_up_by_the_processor():
    from dsmrhub.prices.models import EnergyContract

    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 3, 0), step=timedelta(minutes=1), gas_every=None))
    processing_run_pending()
    EnergyContract.objects.create(  # as the admin would
        description="admin", start=date(2026, 1, 1), electricity_delivered_1_price=D("0.10")
    )
    result = processing_run_pending()
    assert result.costs_refreshed == DayStatistics.objects.count() == 2
    assert DayStatistics.objects.get(day=date(2026, 3, 2)).total_cost == D("4.32")


def test_process_and_rebuild_commands_print_a_summary():
    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 3, 0), step=timedelta(minutes=5)))
    assert "processed" in _run("process")
    hours = HourStatistics.objects.count()
    assert hours == 27  # 21:00-22:00 (holds the first reading, at 22:00) through 23:00-00:00
    output = _run("rebuild")
    assert "rebuilt from" in output and "readings/s" in output
    assert HourStatistics.objects.count() == hours
    assert "rebuilt from" in _run("rebuild", "--since", "2026-03-02")
    assert HourStatistics.objects.count() == hours
    with pytest.raises(CommandError, match="--since must be a date"):
        _run("rebuild", "--since", "yesterday")


def test_contract_command_rejects_bad_values():
    with pytest.raises(CommandError):
        _run("contract", "add", "--description", "x", "--start", "2026-13-01")
    with pytest.raises(CommandError, match="no contract 99"):
        _run("contract", "remove", "99")
