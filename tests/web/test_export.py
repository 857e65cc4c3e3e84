"""CSV export: exact rows for known readings, streaming, filenames, bad input, a download in the browser."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dsmrhub.processing import export as export_module
from tests.web.days import store_days

DAY_COLUMNS = [
    *("day", "electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas"),
    *("electricity1_reading", "electricity2_reading", "electricity1_returned_reading"),
    *("electricity2_returned_reading", "gas_reading"),
    *("electricity1_cost", "electricity2_cost", "gas_cost", "fixed_cost", "total_cost"),
]


def _day_header(line: str) -> list[str]:
    """The day statistics' header: the columns above in this order, ``imported`` last (a column added
    later, such as the count of unpriced periods, may come between)."""
    header = line.split(",")
    assert header[: len(DAY_COLUMNS)] == DAY_COLUMNS and header[-1] == "imported"
    return header


def _csv(response) -> list[str]:
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode().split("\r\n")[:-1]


@pytest.mark.django_db
def test_day_statistics_exact_rows(client):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    response = client.get("/export/csv/?dataset=day&start=2026-10-24&end=2026-10-25")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dsmrhub-day-2026-10-24-2026-10-25.csv"'
    header_line, *lines = _csv(response)
    header = _day_header(header_line)
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines]
    # fixed_cost with 2 decimals like every amount (stored unrounded: 0.500000)
    assert [",".join(row[name] for name in [*DAY_COLUMNS, "imported"]) for row in rows] == [
        "2026-10-24,9.600,38.400,0.000,2.400,2.880,1000.000,1000.000,0.000,1000.000,500.000,"
        "1.92,9.36,2.88,0.50,14.66,false",
        "2026-10-25,10.800,38.400,0.000,2.400,3.000,1009.600,1038.400,0.000,1002.400,502.880,"
        "2.16,9.36,3.00,0.50,15.02,false",
    ]


@pytest.mark.django_db
def test_hour_statistics_of_the_25_hour_day_with_offsets(client):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    lines = _csv(client.get("/export/csv/?dataset=hour&start=2026-10-25&end=2026-10-25"))
    assert (
        lines[0]
        == "hour_start,electricity1,electricity2,electricity1_returned,electricity2_returned,gas,imported"
    )
    assert len(lines) == 1 + 25
    assert lines[1:5] == [
        "2026-10-25T00:00:00+02:00,1.200,0.000,0.000,0.000,0.120,false",
        "2026-10-25T01:00:00+02:00,1.200,0.000,0.000,0.000,0.120,false",
        "2026-10-25T02:00:00+02:00,1.200,0.000,0.000,0.000,0.120,false",
        "2026-10-25T02:00:00+01:00,1.200,0.000,0.000,0.000,0.120,false",
    ]
    assert lines[13] == "2026-10-25T11:00:00+01:00,0.000,2.400,0.000,0.600,0.120,false"
    assert lines[-1] == "2026-10-25T23:00:00+01:00,1.200,0.000,0.000,0.000,0.120,false"


@pytest.mark.django_db
def test_consumption_minutes_and_gas_hours(client):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    minutes = _csv(client.get("/export/csv/?dataset=electricity&start=2026-10-25&end=2026-10-25"))
    header = minutes[0].split(",")
    assert header[:7] == [
        "read_at",
        "delivered_1",
        "returned_1",
        "delivered_2",
        "returned_2",
        "currently_delivered",
        "currently_returned",
    ]
    assert header[-2:] == ["gas_timestamp", "gas_delivered"]
    assert len(minutes) == 1 + 25 * 12  # a reading every 5 minutes; a minute belongs to the day it ends in
    assert minutes[1] == (
        "2026-10-25T00:05:00+02:00,1009.700,0.000,1038.400,1002.400,1.200,0.000"
        + "," * 12
        + ",2026-10-25T00:05:00+02:00,502.890"
    )
    assert minutes[-1].startswith("2026-10-26T00:00:00+01:00,1020.400,0.000,1076.800,1004.800,")
    gas = _csv(client.get("/export/csv/?dataset=gas&start=2026-10-24&end=2026-10-25"))
    assert gas[0] == "read_at,delivered,currently_delivered"
    assert len(gas) == 1 + 24 + 25
    assert gas[1] == "2026-10-24T00:00:00+02:00,500.120,0.120"
    assert gas[-1] == "2026-10-25T23:00:00+01:00,505.880,0.120"


@pytest.mark.django_db
def test_the_csv_is_streamed_in_pieces_from_a_chunked_query(client, monkeypatch):
    store_days(date(2026, 10, 24), date(2026, 10, 24), contract=False)
    monkeypatch.setattr(export_module, "LINES_PER_WRITE", 50)
    chunk_sizes = []
    original = export_module.export_queryset

    def spy(**kwargs):
        queryset = original(**kwargs)
        real_iterator = queryset.__class__.iterator

        class Spy(queryset.__class__):
            def iterator(self, chunk_size=None):
                chunk_sizes.append(chunk_size)
                return real_iterator(self, chunk_size=chunk_size)

        queryset.__class__ = Spy
        return queryset

    monkeypatch.setattr(export_module, "export_queryset", spy)
    response = client.get("/export/csv/?dataset=electricity&start=2026-10-24&end=2026-10-24")
    pieces = list(response.streaming_content)
    assert chunk_sizes == [export_module.CHUNK_SIZE]
    assert len(pieces) == 6  # 1 header + 288 minutes in pieces of 50 lines
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode())))
    assert len(rows) == 289 and rows[-1][0] == "2026-10-25T00:00:00+02:00"


@pytest.mark.django_db
def test_an_empty_range_is_just_the_header(client):
    header, *rows = _csv(client.get("/export/csv/?dataset=day&start=2020-01-01&end=2020-12-31"))
    _day_header(header)
    assert rows == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("dataset=day&start=2026-10-26&end=2026-10-24", "The last day lies before the first day."),
        ("dataset=readings&start=2026-10-24&end=2026-10-24", "Select a valid choice"),
        ("dataset=day&start=2026-02-30&end=2026-03-01", "Enter a valid date"),
        ("dataset=day&start=2026-10-24", "This field is required"),
        ("start=2026-10-24&end=2026-10-25", "This field is required"),
        ("dataset=day&start=0001-01-01&end=2026-10-24", "Choose a date from 1971 to 2199"),
    ],
)
def test_bad_requests_give_the_same_page_from_the_url_as_from_the_form(client, query, message):
    response = client.get(f"/export/csv/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert message in page and 'role="alert"' in page and 'id="export-form"' in page
    if "dataset=" in query:  # the page only validates a submitted form
        form = client.get(f"/export/?{query}")
        assert form.status_code == 400
        assert _alerts(form.content.decode()) == _alerts(page)


def _alerts(page: str) -> list[str]:
    """The error messages a page shows (role="alert"), in order."""
    return re.findall(r'role="alert"[^>]*>([^<]*)<', page)


@pytest.mark.django_db
def test_the_page_sends_a_valid_form_to_the_download(client):
    page = client.get("/export/")
    assert page.status_code == 200
    assert b'id="export-form"' in page.content
    response = client.get("/export/?dataset=hour&start=2026-10-24&end=2026-10-25")
    assert response.status_code == 302
    assert response["Location"] == "/export/csv/?dataset=hour&start=2026-10-24&end=2026-10-25"


def test_download_in_the_browser(browser_page):
    store_days(date(2026, 10, 24), date(2026, 10, 26))
    page = browser_page.page
    browser_page.open("/export/")
    page.select_option("#export-form select[name=dataset]", "hour")
    page.fill("#export-form input[name=start]", "2026-10-25")
    page.fill("#export-form input[name=end]", "2026-10-26")
    browser_page.screenshot("export")
    with page.expect_download() as info:
        page.click("#export-download")
    download = info.value
    assert download.suggested_filename == "dsmrhub-hour-2026-10-25-2026-10-26.csv"
    lines = Path(download.path()).read_bytes().decode().split("\r\n")[:-1]
    assert len(lines) == 1 + 25 + 24
    assert lines[1] == "2026-10-25T00:00:00+02:00,1.200,0.000,0.000,0.000,0.120,false"
    assert lines[-1] == "2026-10-26T23:00:00+01:00,1.200,0.000,0.000,0.000,0.120,false"
    assert browser_page.errors == []


def test_a_backwards_range_shows_the_form_error_in_the_browser(browser_page):
    page = browser_page.page
    browser_page.open("/export/")
    page.fill("#export-form input[name=start]", "2026-10-26")
    page.fill("#export-form input[name=end]", "2026-10-24")
    page.click("#export-download")
    page.wait_for_selector("#end-error")
    assert page.locator("#end-error").inner_text() == "The last day lies before the first day."
    assert page.locator("#export-form input[name=start]").input_value() == "2026-10-26"
    # the only console message is the browser's note about the 400 status of the page itself
    assert all("status of 400" in error for error in browser_page.errors)


@pytest.mark.django_db
@pytest.mark.parametrize(("per_day", "written"), [("0.125", "0.13"), ("0.124999", "0.12"), ("0.3", "0.30")])
def test_fixed_cost_is_written_in_cents_half_up(client, per_day, written):
    from dsmrhub.processing.contracts import contract_save

    contract_save(
        description="fixed only", start=date(2026, 1, 1), prices={"fixed_daily_cost": Decimal(per_day)}
    )
    store_days(date(2026, 10, 24), date(2026, 10, 24), contract=False)
    header_line, line = _csv(client.get("/export/csv/?dataset=day&start=2026-10-24&end=2026-10-24"))
    row = dict(zip(_day_header(header_line), line.split(","), strict=True))
    assert row["fixed_cost"] == written
    assert row["total_cost"] == written  # no energy prices: the fixed cost alone, rounded once


def test_a_backwards_range_in_the_url_shows_the_same_page_in_the_browser(browser_page):
    page = browser_page.page
    browser_page.open("/export/csv/?dataset=day&start=2026-10-26&end=2026-10-24", status=400)
    assert page.locator("#end-error").inner_text() == "The last day lies before the first day."
    assert page.locator("#export-form input[name=start]").input_value() == "2026-10-26"
    assert page.locator("#export-form input[name=end]").input_value() == "2026-10-24"
    browser_page.screenshot("export-backwards-url")
    assert all("status of 400" in error for error in browser_page.errors)
