"""The follow mode's schedule: a pass only when a changed minute is over; an idle pass writes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dsmrhub.processing.models import ElectricityConsumption, PendingMinute, ProcessingState
from dsmrhub.processing.periods import MINUTE, to_epoch
from dsmrhub.processing.services import processing_pass_due, processing_run_due, processing_run_pending
from dsmrhub.readings.models import DsmrReading
from tests.processing.builders import steady_stream, store, utc

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"] for query in queries.captured_queries if query["sql"].lstrip().upper().startswith(WRITES)
    ]


def test_the_running_minute_waits_until_it_is_over():
    start = utc(2026, 3, 2, 12)
    store(*steady_stream(start, start + timedelta(seconds=50), step=timedelta(seconds=10)))
    processing_run_pending()  # the state knows the contracts and the gas resolution now
    store(*steady_stream(start + timedelta(minutes=1), start + timedelta(minutes=1, seconds=30)))
    minute = to_epoch(start) // MINUTE + 1
    assert list(PendingMinute.objects.values_list("minute", flat=True)) == [minute]

    running = (minute + 1) * MINUTE - 1  # the last second of that minute
    assert not processing_pass_due(now=running)
    assert processing_pass_due(now=running + 1)


def test_a_late_reading_is_due_at_once_while_the_running_minute_waits():
    start = utc(2026, 3, 2, 12)
    store(*steady_stream(start, start + timedelta(minutes=2), step=timedelta(seconds=10)))
    processing_run_pending()
    late = start + timedelta(minutes=1, seconds=5)
    store(*steady_stream(late, late, step=timedelta(seconds=1)))  # a minute long over
    running = start + timedelta(minutes=5)
    store(*steady_stream(running, running, step=timedelta(seconds=1)))
    assert processing_pass_due(now=to_epoch(running) + 1)


def test_an_idle_pass_writes_nothing_and_a_due_one_processes():
    start = utc(2026, 3, 2, 12)
    store(*steady_stream(start, start + timedelta(minutes=3), step=timedelta(seconds=10)))
    processing_run_pending()
    state = list(ProcessingState.objects.values_list())
    with CaptureQueriesContext(connection) as queries:
        result = processing_run_due()  # nothing pending
    assert (result.minutes, result.days) == (0, 0)
    assert writes(queries) == []
    assert list(ProcessingState.objects.values_list()) == state

    later = start + timedelta(minutes=10)
    store(
        *steady_stream(later, later + timedelta(seconds=20), step=timedelta(seconds=10), d1=Decimal("1001"))
    )
    minutes = ElectricityConsumption.objects.count()
    result = processing_run_due()  # that minute is long over by the clock: processed
    assert result.minutes == 1
    assert ElectricityConsumption.objects.count() > minutes
    assert not PendingMinute.objects.exists()


def test_the_gas_value_s_minute_marked_by_every_telegram_is_no_reason_for_a_pass():
    start = utc(2026, 3, 2, 12)
    store(*steady_stream(start, start + timedelta(minutes=3), step=timedelta(seconds=10)))
    processing_run_pending()
    running = start + timedelta(minutes=3, seconds=20)  # its gas value is stamped 12:00
    store(*steady_stream(running, running, gas_every=None, d1=Decimal("1001")))
    DsmrReading.objects.filter(timestamp=running).update(extra_device_timestamp=start)
    marked = set(PendingMinute.objects.values_list("minute", flat=True))
    assert marked == {to_epoch(start) // MINUTE, to_epoch(running) // MINUTE}
    assert not processing_pass_due(now=to_epoch(running) + 1)
    assert processing_pass_due(now=to_epoch(running) + 60)
