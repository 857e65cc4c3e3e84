from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsmrhub.readings.models import DsmrReading
from dsmrhub.readings.selectors import reading_count
from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 10, 22, 50, tzinfo=UTC)


@pytest.fixture
def readings_over_three_hours(db):
    """A reading every 7 s from 22:50 to about 01:40 UTC: ragged hour ends on both sides."""
    from dsmrhub.readings.services import reading_ingest_telegram

    for _, telegram in demo_telegrams(1460, start=START, step=timedelta(seconds=7)):
        reading_ingest_telegram(telegram=telegram)


def test_count_without_bounds_is_every_reading(readings_over_three_hours):
    assert reading_count() == DsmrReading.objects.count() == 1460


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # read-only
@given(
    since=st.one_of(st.none(), st.integers(-600, 3 * 3600 + 600)),
    length=st.one_of(st.none(), st.integers(0, 4 * 3600)),
    fraction=st.sampled_from([0, 250_000]),
)
def test_count_matches_count_star_for_any_range(readings_over_three_hours, since, length, fraction):
    low = None if since is None else START + timedelta(seconds=since, microseconds=fraction)
    base = low or START
    high = None if length is None else base + timedelta(seconds=length, microseconds=fraction)
    expected = DsmrReading.objects.all()
    if low is not None:
        expected = expected.filter(timestamp__gte=low)
    if high is not None:
        expected = expected.filter(timestamp__lte=high)
    assert reading_count(since=low, until=high) == expected.count()


def test_deleting_readings_updates_the_counts(readings_over_three_hours):
    DsmrReading.objects.filter(timestamp__lt=START + timedelta(hours=1)).delete()
    assert reading_count() == DsmrReading.objects.count()
    assert reading_count(until=START + timedelta(hours=1)) == 0


def test_orm_range_lookups_with_sub_seconds_are_exact(readings_over_three_hours):
    first = DsmrReading.objects.order_by("timestamp").first().timestamp
    later = first + timedelta(microseconds=250_000)
    assert not DsmrReading.objects.filter(
        timestamp__gte=later, timestamp__lt=first + timedelta(seconds=7)
    ).exists()
    assert DsmrReading.objects.filter(timestamp__lte=later).count() == 1
    assert DsmrReading.objects.filter(timestamp__lt=later).count() == 1
    assert DsmrReading.objects.filter(timestamp__gt=later).count() == 1459
