"""Water, heat and cooling meters on the pages: the dashboard's cards (and its JSON), the archive's columns,
the compared figures and the CSV export; hidden when there is no such meter. A water meter and a heat meter
(counting kWh) through telegrams (tests/web/devices_readings.py); expected figures worked out here."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine

from dsmrhub.devices.services import device_price_save
from tests.devices.builders import ingest, stream
from tests.web.archive_readings import NBSP
from tests.web.dashboard_readings import AMS
from tests.web.devices_readings import (
    GJ_PER_KWH,
    HEAT_KWH_PER_HOUR,
    HEAT_START_KWH,
    WATER_PER_HOUR,
    WATER_START,
    store_meters,
)

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 10)  # Tuesday, winter time
START = datetime.combine(TODAY - timedelta(days=2), time(0), tzinfo=AMS)  # local midnight, two days before
LAST = datetime.combine(TODAY, time(10, 0), tzinfo=AMS)  # the latest telegram
NOW = LAST + timedelta(minutes=1)
WATER_PRICE = D("1.50")  # € per m³


def R(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def three(amount: Decimal) -> str:
    return f"{amount.quantize(D('0.001'), rounding=ROUND_HALF_UP):,}"


@pytest.fixture
def meters():
    with time_machine.travel(NOW, tick=False):
        device_price_save(kind="water", start=date(2026, 1, 1), end=None, price=WATER_PRICE)
        store_meters(START, LAST)
        yield


# Today: midnight through 10:00 is 10 hours of each meter's rate.
WATER_TODAY = WATER_PER_HOUR * 10
HEAT_TODAY = HEAT_KWH_PER_HOUR * 10 * GJ_PER_KWH
WATER_NOW = WATER_START + WATER_PER_HOUR * 58  # 2 days and 10 hours after START
HEAT_NOW = (HEAT_START_KWH + HEAT_KWH_PER_HOUR * 58) * GJ_PER_KWH


def test_dashboard_shows_a_card_per_meter_with_position_today_and_cost(client, meters):
    with time_machine.travel(NOW, tick=False):
        page = client.get("/").content.decode()
        live = client.get("/dashboard/live").json()
    water, heat = live["devices"]["water"], live["devices"]["heat"]
    assert set(live["devices"]) == {"water", "heat"}
    assert D(water["today"]) == WATER_TODAY
    assert D(water["position"]) == WATER_NOW
    assert D(water["cost"]) == R(WATER_TODAY * WATER_PRICE)
    assert water["unit"] == "m³" and water["label"] == "Water meter"
    assert D(heat["today"]) == HEAT_TODAY.quantize(D("0.001"), rounding=ROUND_HALF_UP)
    assert D(heat["position"]) == HEAT_NOW.quantize(D("0.001"), rounding=ROUND_HALF_UP)
    assert heat["cost"] is None and heat["unit"] == "GJ"
    # this month and year so far: the 8th and 9th whole and today so far (the 7th: the first value, no use)
    assert D(live["month"]["water"]) == D(live["year"]["water"]) == 2 * WATER_PER_HOUR * 24 + WATER_TODAY
    assert 'id="month-water"' in page and 'id="year-heat"' in page and 'id="month-cooling"' not in page
    assert 'id="device-water"' in page and 'id="device-heat"' in page and 'id="device-cooling"' not in page
    assert f"{three(WATER_TODAY)} m³" in page
    assert f"€{NBSP}{R(WATER_TODAY * WATER_PRICE)}" in page


def test_dashboard_without_such_meters_has_no_cards(client):
    with time_machine.travel(NOW, tick=False):
        store_meters(START, LAST, heat=False, water=False)
        page = client.get("/").content.decode()
        live = client.get("/dashboard/live").json()
    assert live["devices"] == {}
    assert 'id="devices"' not in page


# A whole day (the 9th): 24 hours of each meter's rate.
WATER_DAY = WATER_PER_HOUR * 24
HEAT_DAY = HEAT_KWH_PER_HOUR * 24 * GJ_PER_KWH


def test_archive_day_has_an_hour_column_per_meter_with_totals(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/archive/?period=day&date=2026-03-09")
    assert response.status_code == 200
    columns = response.context["device_columns"]
    assert [column["kind"] for column in columns] == ["water", "heat"]
    assert not any(column["priced"] for column in columns)  # hours have no costs per row
    rows = response.context["rows"]
    assert len(rows) == 24
    assert all(
        [cell["use"] for cell in row["devices"]] == [WATER_PER_HOUR, HEAT_KWH_PER_HOUR * GJ_PER_KWH]
        for row in rows
    )
    water, heat = (column["total"] for column in columns)
    assert (water.use, water.unit, water.cost) == (WATER_DAY, "m³", R(WATER_DAY * WATER_PRICE))
    assert (heat.use, heat.unit, heat.cost) == (HEAT_DAY, "GJ", None)
    page = response.content.decode()
    assert "Water <small>m³</small>" in page and "Heat <small>GJ</small>" in page
    assert f'id="total-water">{three(WATER_DAY)} m³' in page
    assert f"€{NBSP}{R(WATER_DAY * WATER_PRICE)}" in page


def test_archive_today_runs_to_now(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/archive/?period=day&date=2026-03-10")
    rows = response.context["rows"]
    water = [cell["use"] for row in rows for cell in row["devices"][:1] if cell["use"] is not None]
    assert sum(water) == WATER_TODAY
    assert rows[-1]["so_far"]
    assert response.context["device_columns"][0]["total"].use == WATER_TODAY


def test_archive_month_has_days_with_costs_where_priced(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/archive/?period=month&date=2026-03")
    columns = response.context["device_columns"]
    assert [(column["kind"], column["priced"]) for column in columns] == [("water", True), ("heat", False)]
    rows = {row["label"]: row for row in response.context["rows"]}
    ninth = rows["Mon 9"]["devices"]
    assert (ninth[0]["use"], ninth[0]["cost"], ninth[1]["use"]) == (
        WATER_DAY,
        R(WATER_DAY * WATER_PRICE),
        HEAT_DAY,
    )
    assert rows["Tue 10"]["devices"][0]["use"] == WATER_TODAY
    assert rows["Wed 4"]["devices"][0]["use"] is None
    water = columns[0]["total"]
    # the 8th and 9th whole, today so far; each day's cost rounded to cents, then added
    assert water.use == 2 * WATER_DAY + WATER_TODAY
    assert water.cost == 2 * R(WATER_DAY * WATER_PRICE) + R(WATER_TODAY * WATER_PRICE)
    assert water.unpriced_days == 0
    page = response.content.decode()
    assert "Water <small>€</small>" in page and "Heat <small>€</small>" not in page


def test_archive_year_sums_the_months(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/archive/?period=year&date=2026")
    rows = {row["label"]: row for row in response.context["rows"]}
    assert rows["Mar"]["devices"][0]["use"] == 2 * WATER_DAY + WATER_TODAY
    assert rows["Feb"]["devices"][0]["use"] is None
    assert rows["Mar"]["devices"][1]["use"] == 2 * HEAT_DAY + HEAT_TODAY


def test_archive_without_meters_has_no_device_columns(client):
    with time_machine.travel(NOW, tick=False):
        store_meters(START, LAST, heat=False, water=False)
        response = client.get("/archive/?period=month&date=2026-03")
    assert response.context["device_columns"] == []
    assert "device-column" not in response.content.decode()


def test_archive_year_reads_the_meters_in_a_fixed_number_of_queries(
    client, meters, django_assert_max_num_queries
):
    # the archive's own (at most 20, tests/web/test_archive.py) plus the meters: whether any, figures, prices
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(25):
        response = client.get("/archive/?period=year&date=2026")
    assert response.status_code == 200


def test_trends_compare_includes_the_meters_present(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/trends/?a=2026-03-10&b=2026-03-09")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["comparison"].rows}
    names = [row["name"] for row in response.context["comparison"].rows]
    assert names.index("gas") + 1 == names.index("water") and names.index("water") + 1 == names.index("heat")
    assert "cooling" not in rows
    water = rows["water"]
    assert (water["a"], water["b"]) == (WATER_TODAY, WATER_DAY)
    assert water["difference"] == WATER_TODAY - WATER_DAY
    percent = ((WATER_TODAY - WATER_DAY) * 100 / WATER_DAY).quantize(D("0.1"), rounding=ROUND_HALF_UP)
    assert water["percent"] == percent
    assert (rows["heat"]["a"], rows["heat"]["b"]) == (HEAT_TODAY, HEAT_DAY)
    page = response.content.decode()
    assert 'data-figure="water"' in page and "Water m³" in page and "Heat GJ" in page


def test_trends_compare_without_meters_has_no_meter_rows(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/trends/?a=2026-02&b=2026-01")
    names = [row["name"] for row in response.context["comparison"].rows]
    assert not {"water", "heat", "cooling"} & set(names)


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_day_statistics_carry_the_meters_and_their_costs(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/export/csv/?dataset=day&start=2026-03-09&end=2026-03-09")
    (row,) = _csv(response)
    assert list(row)[-7:] == [
        "water",
        "water_cost",
        "heat",
        "heat_cost",
        "cooling",
        "cooling_cost",
        "imported",
    ]
    # six decimals, as the API's day statistics
    assert row["water"] == f"{WATER_DAY:.6f}" and row["water_cost"] == str(R(WATER_DAY * WATER_PRICE))
    assert D(row["heat"]) == HEAT_DAY and row["heat_cost"] == ""
    assert row["cooling"] == row["cooling_cost"] == ""


def test_export_hour_statistics_carry_the_meters(client, meters):
    with time_machine.travel(NOW, tick=False):
        rows = _csv(client.get("/export/csv/?dataset=hour&start=2026-03-09&end=2026-03-09"))
    assert len(rows) == 24
    assert list(rows[0])[-4:] == ["water", "heat", "cooling", "imported"]
    assert {(D(row["water"]), D(row["heat"]), row["cooling"]) for row in rows} == {
        (WATER_PER_HOUR, HEAT_KWH_PER_HOUR * GJ_PER_KWH, "")
    }


def test_export_device_hours_one_row_per_meter_and_hour(client, meters):
    with time_machine.travel(NOW, tick=False):
        form = client.get("/export/").content.decode()
        rows = _csv(client.get("/export/csv/?dataset=device-hour&start=2026-03-09&end=2026-03-09"))
    assert 'value="device-hour"' in form and 'value="device-five-minutes"' in form
    assert len(rows) == 48
    assert [(row["channel"], row["kind"], row["unit"]) for row in rows[:2]] == [
        ("3", "heat", "GJ"),
        ("4", "water", "m³"),
    ]
    assert rows[0]["start"] == "2026-03-09T00:00:00+01:00"
    water = [row for row in rows if row["kind"] == "water"]
    assert {D(row["use"]) for row in water} == {WATER_PER_HOUR}
    # the position at the hour's end: 24 hours after START, plus the hour
    assert D(water[0]["position"]) == WATER_START + WATER_PER_HOUR * 25


def test_export_without_meters_keeps_the_statistics_columns(client):
    with time_machine.travel(NOW, tick=False):
        store_meters(START, LAST, heat=False, water=False)
        rows = _csv(client.get("/export/csv/?dataset=hour&start=2026-03-09&end=2026-03-09"))
    assert "water" not in rows[0] and list(rows[0])[-1] == "imported"


def test_trends_compare_chart_offers_the_meters(client, meters):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/trends/?a=2026-03-09&b=2026-03-08")
    chart = response.context["compare_chart"]
    assert list(chart["figures"])[3:5] == ["water", "heat"]
    assert [D(value) for value in chart["figures"]["water"]["a"]] == [WATER_PER_HOUR] * 24
    assert chart["units"]["heat"] == "GJ"
    assert '<option value="water">Water</option>' in response.content.decode()


def test_export_device_five_minutes(client, meters):
    with time_machine.travel(NOW, tick=False):
        rows = _csv(client.get("/export/csv/?dataset=device-five-minutes&start=2026-03-09&end=2026-03-09"))
    water = [row for row in rows if row["kind"] == "water"]
    # a value every five minutes: 12 a hour, each a twelfth of the hour's use
    assert len(water) == 24 * 12
    assert {D(row["use"]) for row in water} == {WATER_PER_HOUR / 12}
    assert water[1]["start"] == "2026-03-09T00:05:00+01:00"


def test_a_cooling_meter_has_its_card_and_archive_column(client):
    # type 10 (cooling) on channel 2, in GJ: 0.006 GJ an hour from 3.000, for the two hours before 02:00
    start = datetime.combine(TODAY, time(0), tzinfo=AMS)
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        ingest(stream(start, 2, [(2, 10, "C0001", D("3.000"), D("0.006"), "GJ")]))
        live = client.get("/dashboard/live").json()
        archive = client.get("/archive/?period=day&date=2026-03-10")
    assert list(live["devices"]) == ["cooling"]
    cooling = live["devices"]["cooling"]
    assert (cooling["label"], cooling["unit"]) == ("Cooling meter", "GJ")
    assert (D(cooling["today"]), D(cooling["position"])) == (D("0.012"), D("3.012"))
    assert cooling["cost"] is None
    (column,) = archive.context["device_columns"]
    assert (column["kind"], column["total"].use) == ("cooling", D("0.012"))
