"""The status page with processed statistics: the latest day statistic (ISO text from the status
selector) is shown as a day in the page's format, not a server error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db


def test_status_shows_the_latest_day_statistic(client, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 21:00 local: the 1st is a day with statistics
    for _, telegram in demo_telegrams(30, start=start, step=timedelta(minutes=10)):
        reading_ingest_telegram(telegram=telegram)
    call_command("process")
    response = client.get("/status/")
    assert response.status_code == 200
    assert "1 Mar 2026" in response.content.decode()
