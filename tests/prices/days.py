"""Two known processed days without a contract, for the contract tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from tests.processing.builders import steady_stream, store, utc

MARCH_2, MARCH_3 = date(2026, 3, 2), date(2026, 3, 3)
KWH_PER_DAY = Decimal("1.8") * 24  # the stream below: 1.8 kW on tariff 1 all day
GAS_PER_DAY = Decimal("0.120") * 24


def two_days() -> None:
    """Local days 2026-03-02 and 03-03, processed, without a contract: every cost 0.00."""
    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 4, 0), step=timedelta(minutes=1)))
    processing_run_pending()
    assert DayStatistics.objects.get(day=MARCH_2).electricity1 == KWH_PER_DAY


def rounded(amount: Decimal) -> Decimal:
    """R: half up to cents, written out here so the tests do not borrow the code under test."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def total_cost(day: date) -> Decimal:
    return DayStatistics.objects.get(day=day).total_cost
