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


def test_contract_changed_around_the_services_is_picked_up_by_the_processor():
    """The safety net: every contract service reprices at once; a write around them (loaddata, SQL) is
    noticed by the processor through the contracts' fingerprint."""
    from dsmrhub.prices.models import EnergyContract

    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 3, 0), step=timedelta(minutes=1), gas_every=None))
    processing_run_pending()
    EnergyContract.objects.create(  # as loaddata would
        description="admin", start=date(2026, 1, 1), electricity_delivered_1_price=D("0.10")
    )
    result = processing_run_pending()
    assert result.costs_refreshed == DayStatistics.objects.count() == 2
    assert DayStatistics.objects.get(day=date(2026, 3, 2)).total_cost == D("4.32")


def test_process_and_rebuild_commands_print_a_summary():
    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 3, 0), step=timedelta(minutes=5)))
    assert "processed" in _run("process")
    hours = HourStatistics.objects.count()
    # 22:00-23:00 UTC (the first reading is at 22:00, the end of hour 21:00-22:00, which has no row)
    # through 23:00-00:00 the next day: 26 complete hours
    assert hours == 26
    output = _run("rebuild")
    assert "rebuilt from" in output and "readings/s" in output
    assert HourStatistics.objects.count() == hours
    assert "rebuilt from" in _run("rebuild", "--since", "2026-03-02")
    assert HourStatistics.objects.count() == hours
    with pytest.raises(CommandError, match="--since must be a date"):
        _run("rebuild", "--since", "yesterday")
