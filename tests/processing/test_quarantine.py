"""No single stored row stops processing: rows with an implausible time are set aside, the rest goes on."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from dsmrhub.processing.models import (
    DayStatistics,
    ElectricityConsumption,
    GasConsumption,
    HourStatistics,
    PendingMinute,
    QuarantinedReading,
)
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.services import readings_delete
from tests.processes import _template, install, make_install  # noqa: F401 - fixtures for the process test
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
NOW = utc(2026, 3, 4, 12)
travel = time_machine.travel(NOW, tick=False)
YEAR_ONE = -62135596800  # 0001-01-01T00:00:00Z in Unix seconds


def derived() -> tuple[list, ...]:
    models = (ElectricityConsumption, GasConsumption, HourStatistics, DayStatistics)
    return tuple(list(model.objects.order_by("pk").values_list()) for model in models)


def clean_stream() -> list[DsmrReading]:
    return steady_stream(utc(2026, 3, 2, 22), utc(2026, 3, 3, 4), step=timedelta(seconds=60))


def insert_sql(seconds: int, *, gas_seconds: int | None = None) -> None:
    """A reading written by hand, past every check: the stored integers themselves."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO readings_dsmrreading (timestamp, electricity_delivered_1, electricity_returned_1, "
            "electricity_delivered_2, electricity_returned_2, electricity_currently_delivered, "
            "electricity_currently_returned, extra_device_timestamp, extra_device_delivered) "
            "VALUES (%s, 1000, 0, 1000, 0, 500, 0, %s, %s)",
            [seconds, gas_seconds, None if gas_seconds is None else 7000],
        )


POISON = {
    "year 1": lambda: store(reading(utc(1, 1, 1), "1", "1")),
    "1900": lambda: store(reading(utc(1900, 1, 1), "1", "1")),
    "reset clock": lambda: store(reading(utc(1999, 12, 31, 23), "1", "1")),
    "two days ahead": lambda: store(reading(NOW + timedelta(days=2), "2000", "1")),
    "year 1 by SQL": lambda: insert_sql(YEAR_ONE),
    "no date at all by SQL": lambda: insert_sql(-(10**11)),
    "gas in year 1": lambda: store(reading(utc(2026, 3, 3, 5), "1200", "0", gas=(utc(1, 1, 1), "600"))),
    "gas in 1900 by SQL": lambda: insert_sql(int(utc(2026, 3, 3, 5).timestamp()), gas_seconds=-2208988800),
}


@travel
@pytest.mark.parametrize("poison", list(POISON))
def test_processing_sets_an_implausible_row_aside_and_processes_the_rest(poison, caplog):
    caplog.set_level(logging.WARNING, logger="dsmrhub.processing")
    store(*clean_stream())
    POISON[poison]()
    out = StringIO()
    call_command("process", stdout=out)  # `dsmrhub process`: on main this died ("year 0 is out of range")
    assert "processed" in out.getvalue()
    assert not PendingMinute.objects.exists()
    entry = QuarantinedReading.objects.get()
    assert entry.whole == (not poison.startswith("gas"))
    assert ("only its gas value is left out" in entry.reason) == poison.startswith("gas")
    assert entry.quarantined_at == NOW
    assert [r.getMessage() for r in caplog.records if "left out of processing" in r.getMessage()] == [
        f"reading {_text(entry.reading_at)} left out of processing: {entry.reason}"
    ]
    with_poison = derived()

    # What a database without the row (or, for a bad gas clock, without its gas value) gives:
    DsmrReading.objects.filter(pk=entry.reading_at).update(
        extra_device_timestamp=None, extra_device_delivered=None
    )
    if entry.whole:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM readings_dsmrreading WHERE timestamp = %s", [entry.reading_at])
    processing_rebuild()
    assert derived() == with_poison
    assert not QuarantinedReading.objects.exists()  # re-judged: the row is gone or now fine


def _text(seconds: int) -> str:
    from dsmrhub.readings.plausibility import seconds_text

    return seconds_text(seconds)


@travel
def test_an_entry_is_logged_once_and_goes_away_when_its_reading_is_deleted(caplog):
    caplog.set_level(logging.WARNING, logger="dsmrhub.processing")
    store(*clean_stream(), reading(utc(1900, 1, 1), "1", "1"))
    processing_run_pending()
    DsmrReading.objects.filter(timestamp=utc(1900, 1, 1)).update(electricity_currently_delivered="0.700")
    processing_run_pending()  # its minute is judged again: still set aside, not logged again
    processing_rebuild()  # everything judged again
    assert QuarantinedReading.objects.get().reason.startswith("timestamp 1900-01-01T00:00:00Z lies before")
    assert len([r for r in caplog.records if "left out of processing" in r.getMessage()]) == 1

    assert readings_delete(ids=[int(utc(1900, 1, 1).timestamp())]).count == 1
    processing_run_pending()
    assert not QuarantinedReading.objects.exists()


@travel
def test_a_reading_ahead_of_the_clock_is_placed_once_its_time_has_come():
    store(*clean_stream())
    ahead = NOW + timedelta(days=2)
    store(reading(ahead, "1100", "0"))
    processing_run_pending()
    assert QuarantinedReading.objects.get().reason.endswith("lies more than 24 hours in the future")
    assert not ElectricityConsumption.objects.filter(read_at=ahead).exists()
    with time_machine.travel(ahead, tick=False):
        processing_run_pending()
        assert not QuarantinedReading.objects.exists()
        assert ElectricityConsumption.objects.filter(read_at=ahead).exists()
        incremental = derived()
        processing_rebuild()
        assert derived() == incremental


@travel
def test_a_reset_clock_row_does_not_restate_every_day_since_2000():
    store(*clean_stream())
    processing_run_pending()
    store(reading(utc(2000, 1, 1), "1", "1"))
    result = processing_run_pending()
    assert result.days == 0
    assert DayStatistics.objects.order_by("day").first().day.year == 2026


def test_dsmrhub_process_finishes_and_readings_delete_clears_the_quarantine(install):  # noqa: F811
    """Real processes: `dsmrhub process` on rows written by hand, then `dsmrhub readings-delete`."""
    columns = (
        "timestamp, electricity_delivered_1, electricity_returned_1, electricity_delivered_2, "
        "electricity_returned_2, electricity_currently_delivered, electricity_currently_returned"
    )
    good = [int(utc(2026, 3, 2, 10, minute).timestamp()) for minute in range(0, 30, 10)]
    for seconds in [YEAR_ONE, int(utc(1900, 1, 1).timestamp()), *good]:
        install.query(
            f"INSERT INTO readings_dsmrreading ({columns}) VALUES (%s, 1000, 0, 1000, 0, 500, 0) "
            "RETURNING timestamp",
            (seconds,),
        )
    assert install.run("process").stdout.startswith("processed")
    assert install.query("SELECT reading_at, whole FROM processing_quarantinedreading ORDER BY 1") == [
        (YEAR_ONE, True),
        (-2208988800, True),
    ]
    assert install.query("SELECT COUNT(*) FROM processing_electricityconsumption") == [(3,)]
    deleted = install.run("readings-delete", "--before", "2001-01-01T00:00Z").stdout
    assert deleted.startswith("deleted 2 readings, from 0001-01-01T00:00:00Z to 1900-01-01T00:00:00Z;")
    install.run("process")
    assert install.query("SELECT COUNT(*) FROM processing_quarantinedreading") == [(0,)]
    assert install.stored_timestamps() == good


@travel
def test_the_live_figures_never_show_a_row_from_the_future():
    from dsmrhub.processing.live import electricity_live_figures

    placeable = reading(NOW - timedelta(seconds=5), "1500", "0")
    store(placeable)
    store(reading(NOW + timedelta(days=400), "1500", "9"))  # past every check, as by hand-written SQL
    figures = electricity_live_figures()
    assert figures.timestamp == placeable.timestamp
