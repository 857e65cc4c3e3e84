"""Archive: imported history (processing.history) is marked on its days and hours, with a short note;
the export page names the gas rows as they are stored (hours, or the meter's own values in meter mode)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dsmrhub.processing.history import statistics_import
from dsmrhub.processing.services import processing_settings_update
from tests.processing.test_history import imported_day, imported_hours
from tests.web.days import store_days

pytestmark = pytest.mark.django_db
MARCH_1, MARCH_2, MARCH_3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
NOTE = 'id="archive-imported-note"'
MARK = '<small class="imported muted"'


def _history_then_own_readings() -> None:
    store_days(MARCH_3, MARCH_3)  # own readings from March 3
    statistics_import(days=[imported_day(MARCH_1), imported_day(MARCH_2)], hours=imported_hours(MARCH_1))


def _row(page: str, label: str) -> str:
    start = page.index(f">{label}<")
    return page[start : page.index("</tr>", start)]


def test_imported_days_are_marked_in_the_month_with_the_note(client):
    _history_then_own_readings()
    page = client.get("/archive/", {"period": "month", "date": "2026-03"}).content.decode()
    assert NOTE in page and "DSMR-reader" in page
    assert MARK in _row(page, "Sun 1") and MARK in _row(page, "Mon 2")
    assert MARK not in _row(page, "Tue 3")  # own readings
    assert page.count(MARK) == 2


def test_an_imported_day_marks_its_hours_and_says_so(client):
    _history_then_own_readings()
    page = client.get("/archive/", {"period": "day", "date": "2026-03-01"}).content.decode()
    assert "This day is imported history." in page
    assert page.count(MARK) == 24  # every imported hour of the 24-hour day
    own = client.get("/archive/", {"period": "day", "date": "2026-03-03"}).content.decode()
    assert NOTE not in own and MARK not in own


def test_the_gas_export_label_follows_the_gas_rows(client):
    store_days(MARCH_3, MARCH_3)
    page = client.get("/export/").content.decode()
    assert "Gas consumption (one row per hour)" in page
    processing_settings_update(gas_resolution="meter")  # rebuilds the gas rows at the meter's resolution
    page = client.get("/export/").content.decode()
    assert "Gas consumption (one row per hour)" not in page
    assert "Gas consumption (one row per gas value of the meter, every 5 minutes on DSMR 5)" in page
    response = client.get("/export/csv/", {"dataset": "gas", "start": "2026-03-03", "end": "2026-03-03"})
    rows = b"".join(response.streaming_content).decode().split("\r\n")[1:-1]
    # store_days stamps a gas value every 5 minutes: a row per value, not per hour
    assert len(rows) == timedelta(days=1) // timedelta(minutes=5)
