from __future__ import annotations

import pytest

from dsmrhub.readings.services import reading_ingest_telegram
from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db


def test_home_page_says_there_are_no_readings_yet(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"No readings yet" in response.content


def test_home_page_shows_the_latest_reading(client):
    for _, telegram in demo_telegrams(3):
        reading_ingest_telegram(telegram=telegram)
    response = client.get("/")
    assert response.status_code == 200
    latest = response.context["reading"]
    assert latest.timestamp == demo_telegrams(3)[-1][0]
    assert f"{latest.electricity_currently_delivered} kW".encode() in response.content
    assert b'http-equiv="refresh"' in response.content
