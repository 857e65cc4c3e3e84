"""Readings can be deleted (service, CLI, admin), and the data derived from them follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from dsmrhub.processing.models import (
    DayStatistics,
    ElectricityConsumption,
    GasConsumption,
    HourStatistics,
    QuarantinedReading,
)
from dsmrhub.processing.services import processing_rebuild, processing_run_pending
from dsmrhub.readings.models import DsmrReading, MBusReading, ReadingHourCount
from dsmrhub.readings.selectors import reading_count
from dsmrhub.readings.services import reading_ingest_telegram, readings_delete
from tests.helpers import demo_telegrams
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db


def derived() -> tuple[list, ...]:
    models = (ElectricityConsumption, GasConsumption, HourStatistics, DayStatistics)
    return tuple(list(model.objects.order_by("pk").values_list()) for model in models)


def test_deleting_a_range_restates_exactly_what_a_rebuild_gives():
    store(*steady_stream(utc(2026, 3, 1, 20), utc(2026, 3, 4, 4), step=timedelta(seconds=30)))
    processing_run_pending()
    days_before = DayStatistics.objects.count()
    # A whole evening gone, and a lone reading on another day: both gaps are restated.
    deleted = readings_delete(since=utc(2026, 3, 2, 17, 0, 15), until=utc(2026, 3, 2, 23, 59, 59))
    assert deleted.count == (7 * 3600 - 15) // 30
    assert deleted.first == int(utc(2026, 3, 2, 17, 0, 30).timestamp())
    assert deleted.last == int(utc(2026, 3, 2, 23, 59, 30).timestamp())
    readings_delete(ids=[int(utc(2026, 3, 3, 12).timestamp())])
    processing_run_pending()
    incremental = derived()
    assert DayStatistics.objects.count() == days_before
    assert not ElectricityConsumption.objects.filter(
        read_at__gt=utc(2026, 3, 2, 17, 1), read_at__lte=utc(2026, 3, 2, 23, 59)
    ).exists()
    processing_rebuild()
    assert derived()[1:] == incremental[1:]  # gas hours, hour and day statistics
    assert [row[1:] for row in derived()[0]] == [row[1:] for row in incremental[0]]


def test_a_dry_run_counts_and_deletes_nothing_and_nothing_is_no_range():
    store(*steady_stream(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11), step=timedelta(minutes=1)))
    assert readings_delete(until=utc(2026, 3, 2, 10, 30), dry_run=True).count == 31
    assert DsmrReading.objects.count() == 61
    with pytest.raises(ValueError, match="say which readings"):
        readings_delete()
    assert readings_delete(ids=[]).count == 0


def test_deleting_keeps_the_mbus_values_and_the_hourly_counts_follow():
    for _, telegram in demo_telegrams(12, step=timedelta(minutes=10)):
        reading_ingest_telegram(telegram=telegram)
    mbus = MBusReading.objects.count()
    assert readings_delete(since=utc(2026, 3, 2, 11, 30)).count == 9  # 11:30 .. 12:50
    assert MBusReading.objects.count() == mbus
    assert not MBusReading.objects.filter(reading__timestamp__gte=utc(2026, 3, 2, 11, 30)).exists()
    assert reading_count() == 3 == sum(ReadingHourCount.objects.values_list("count", flat=True))


def test_the_command_deletes_by_range_before_and_id_and_says_what(capsys):
    store(*steady_stream(utc(2026, 3, 2, 10), utc(2026, 3, 2, 12), step=timedelta(minutes=1), gas_every=None))
    store(reading(utc(1, 1, 1), "1", "1"), reading(utc(2000, 1, 1), "1", "1"))

    def run(*args: str) -> str:
        out = StringIO()
        call_command("readings-delete", *args, stdout=out)
        return out.getvalue()

    assert run("--before", "2001-01-01T00:00Z", "--dry-run") == (
        "would delete 2 readings, from 0001-01-01T00:00:00Z to 2000-01-01T00:00:00Z "
        "(dry run: nothing deleted)\n"
    )
    assert DsmrReading.objects.count() == 123
    assert run("--before", "2001-01-01T00:00Z").startswith(
        "deleted 2 readings, from 0001-01-01T00:00:00Z to 2000-01-01T00:00:00Z;"
    )
    # Without an offset, times are local (Amsterdam, UTC+1 in March): 11:00-11:09 local is 10:00-10:09 UTC.
    assert run("--from", "2026-03-02T11:00", "--to", "2026-03-02T11:09:59").startswith(
        "deleted 10 readings, from 2026-03-02T10:00:00Z to 2026-03-02T10:09:00Z;"
    )
    one = int(utc(2026, 3, 2, 12).timestamp())
    assert run("--id", str(one), "--id", str(one - 60)).startswith("deleted 2 readings")
    assert run("--id", str(one)) == "no readings match; nothing deleted\n"
    assert DsmrReading.objects.count() == 109
    for bad in (["--dry-run"], ["--from", "yesterday"], ["--to", "2026-03-02", "--before", "2026-03-03"]):
        with pytest.raises(CommandError):
            call_command("readings-delete", *bad)


@pytest.fixture
def admin_client(client):
    User.objects.create_superuser("admin", "admin@example.com", "secret-password-1")
    client.login(username="admin", password="secret-password-1")
    return client


def test_the_admin_deletes_selected_readings_through_the_service_and_processing_follows(admin_client):
    store(*steady_stream(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11), step=timedelta(minutes=1)))
    store(reading(utc(1900, 1, 1), "1", "1"))
    processing_run_pending()
    assert QuarantinedReading.objects.count() == 1
    chosen = [utc(1900, 1, 1), utc(2026, 3, 2, 10, 30)]
    changelist = "/admin/readings/dsmrreading/"
    page = admin_client.get(changelist)
    assert b'value="delete_selected"' in page.content
    confirm = admin_client.post(changelist, {"action": "delete_selected", "_selected_action": chosen})
    assert confirm.status_code == 200 and b"Are you sure" in confirm.content
    assert DsmrReading.objects.count() == 62
    done = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
    )
    assert done.status_code == 302
    assert DsmrReading.objects.count() == 60
    assert not DsmrReading.objects.filter(timestamp__in=chosen).exists()
    processing_run_pending()
    assert not QuarantinedReading.objects.exists()
    assert not ElectricityConsumption.objects.filter(read_at=utc(2026, 3, 2, 10, 30)).exists()
    # A single reading from its own page, and readings are still never added or changed.
    one = DsmrReading.objects.first()
    url = f"{changelist}{one.pk.isoformat()}/"
    assert (
        admin_client.post(url.replace("+00:00", "%2B00:00") + "delete/", {"post": "yes"}).status_code == 302
    )
    assert DsmrReading.objects.count() == 59
    assert admin_client.get(f"{changelist}add/").status_code == 403


def test_readings_far_from_today_can_be_deleted():
    # Year 5000: the change triggers' minute column (a 4-byte integer on PostgreSQL) ends in year 6053.
    store(
        reading(datetime(1, 1, 1, tzinfo=UTC), "1", "1"), reading(datetime(5000, 1, 1, tzinfo=UTC), "1", "1")
    )
    result = readings_delete(until=datetime(2000, 1, 1, tzinfo=UTC))
    assert (result.count, result.first) == (1, -62135596800)
    assert readings_delete(since=datetime(2100, 1, 1, tzinfo=UTC)).count == 1
