"""Deleting or correcting stored readings (the triggers' delete and update paths) reprocesses exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dsmrhub.processing.models import (
    DayStatistics,
    ElectricityConsumption,
    GasConsumption,
    HourStatistics,
    PendingMinute,
)
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from dsmrhub.readings.models import DsmrReading
from tests.processing.builders import steady_stream, store, utc

pytestmark = pytest.mark.django_db


def derived() -> tuple[list, ...]:
    models = (ElectricityConsumption, GasConsumption, HourStatistics, DayStatistics)
    return tuple(list(model.objects.order_by("pk").values_list()) for model in models)


def test_deleted_and_corrected_readings_give_what_a_rebuild_gives():
    store(*steady_stream(utc(2026, 3, 2, 22), utc(2026, 3, 3, 4), step=timedelta(seconds=30)))
    processing_run_pending()
    minutes_before = ElectricityConsumption.objects.count()

    DsmrReading.objects.filter(
        timestamp__gte=utc(2026, 3, 3, 0, 30), timestamp__lt=utc(2026, 3, 3, 1, 30)
    ).delete()
    DsmrReading.objects.filter(timestamp=utc(2026, 3, 3, 2)).update(
        electricity_currently_delivered=Decimal("9.999")
    )
    assert PendingMinute.objects.exists()
    processing_run_pending()
    assert not PendingMinute.objects.exists()

    # minutes are (read_at - 60 s, read_at]: those ending 00:31 .. 01:29 lost all their readings
    assert ElectricityConsumption.objects.count() == minutes_before - 59
    corrected = ElectricityConsumption.objects.get(read_at=utc(2026, 3, 3, 2))
    assert corrected.currently_delivered > Decimal("1.8")  # the mean of its minute now includes 9.999 kW
    incremental = derived()
    processing_rebuild()
    assert derived()[1:] == incremental[1:]  # gas hours, hour and day statistics: identical to a rebuild
    assert [row[1:] for row in derived()[0]] == [row[1:] for row in incremental[0]]  # minutes, ids aside
