"""Invariants on generated reading streams: Σ hours = day, Σ days = meter advance, rebuild = incremental."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, GasConsumption, HourStatistics
from dsmrhub.processing.periods import day_end, day_start, from_epoch
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from dsmrhub.readings.models import DsmrReading
from tests.processing.builders import reading, store, utc

pytestmark = pytest.mark.django_db
START = utc(2026, 3, 27, 20)  # spans the spring-forward night in Europe/Amsterdam

steps = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=5400),  # seconds since the previous reading (gaps up to 1.5 h)
        st.integers(min_value=0, max_value=900),  # delivered tariff 1 advance, thousandths
        st.integers(min_value=0, max_value=900),  # tariff 2
        st.integers(min_value=0, max_value=300),  # returned tariff 1
        st.integers(min_value=0, max_value=20),  # gas advance
    ),
    min_size=2,
    max_size=150,
)


def _stream(deltas) -> list[DsmrReading]:
    moment, d1, d2, r1 = START, 1_000_000, 2_000_000, 0
    gas_by_stamp: dict = {}
    rows = []
    for seconds, a, b, c, g in deltas:
        moment += timedelta(seconds=seconds)
        d1, d2, r1 = d1 + a, d2 + b, r1 + c
        stamp = moment.replace(second=0, minute=moment.minute // 5 * 5)
        # a gas meter value belongs to its stamp: the same stamp always carries the same value
        gas = gas_by_stamp.setdefault(stamp, max(gas_by_stamp.values(), default=300_000) + g)
        rows.append(
            reading(
                moment,
                Decimal(d1).scaleb(-3),
                Decimal(d2).scaleb(-3),
                r1=Decimal(r1).scaleb(-3),
                gas=(stamp, str(Decimal(gas).scaleb(-3))),
            )
        )
    return rows


def _snapshot():
    return (
        list(ElectricityConsumption.objects.values_list()),
        list(GasConsumption.objects.values_list()),
        list(HourStatistics.objects.values_list()),
        list(DayStatistics.objects.values_list()),
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking through the database is too slow
)
@given(deltas=steps, split=st.integers(min_value=1, max_value=149), data=st.data())
def test_invariants_hold_on_generated_streams(deltas, split, data):
    DsmrReading.objects.all().delete()
    processing_rebuild()
    rows = _stream(deltas)
    # arrive in two batches in random order: the second may lie before the first (late data)
    order = data.draw(st.permutations(range(len(rows))))
    first = [rows[i] for i in order[: split % len(rows)]]
    second = [rows[i] for i in order[split % len(rows) :]]
    store(*first)
    processing_run_pending()
    store(*second)
    processing_run_pending()
    incremental = _snapshot()

    days = list(DayStatistics.objects.all())
    for day in days:
        hours = HourStatistics.objects.filter(
            hour_start__gte=from_epoch(day_start(day.day)), hour_start__lt=from_epoch(day_end(day.day))
        )
        for field in ("electricity1", "electricity2", "electricity1_returned", "gas"):
            assert getattr(day, field) == sum((getattr(h, field) for h in hours), Decimal("0.000"))
    # every complete hour counted: Σ hours = meter advance up to the last complete hour
    hours = list(HourStatistics.objects.all())
    if hours:
        last_end = hours[-1].hour_start + timedelta(hours=1)
        until = DsmrReading.objects.filter(timestamp__lte=last_end).order_by("-timestamp").first()
        first_reading = DsmrReading.objects.order_by("timestamp").first()
        # an hour can hold only gas (stamped before the first reading): then no electricity advance yet
        advance = until.electricity_delivered_1 - first_reading.electricity_delivered_1 if until else 0
        assert sum(h.electricity1 for h in hours) == advance
    if days:
        last_day_end = from_epoch(day_end(days[-1].day))
        until = DsmrReading.objects.filter(timestamp__lte=last_day_end).order_by("-timestamp").first()
        first_reading = DsmrReading.objects.order_by("timestamp").first()
        advance = until.electricity_delivered_2 - first_reading.electricity_delivered_2 if until else 0
        assert sum(d.electricity2 for d in days) == advance

    processing_rebuild()
    rebuilt = _snapshot()
    for name, old, new in zip(("minutes", "gas", "hours", "days"), incremental, rebuilt, strict=True):
        assert new == old, (name, sorted(set(new) ^ set(old)))
