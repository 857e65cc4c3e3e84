"""Gas rows at the meter's own resolution (ProcessingSettings.gas_resolution = "meter") or per hour (the
default): the rows follow the setting, the hours and days derived from them do not change."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dsmrhub.processing.models import DayStatistics, GasConsumption, HourStatistics, ProcessingSettings
from dsmrhub.processing.periods import to_epoch
from dsmrhub.processing.selectors import consumption_today
from dsmrhub.processing.services import processing_rebuild, processing_run_pending, processing_settings_update
from tests.processing.builders import reading, steady_stream, store, utc

pytestmark = pytest.mark.django_db
D = Decimal
MARCH_2 = date(2026, 3, 2)


def stamps_of(rows) -> list[tuple]:
    """(stamp, value) of every distinct gas value in the readings, in time order."""
    seen = {}
    for row in rows:
        if row.extra_device_timestamp is not None:
            seen[row.extra_device_timestamp] = row.extra_device_delivered
    return sorted(seen.items())


def gas_rows() -> list[tuple]:
    return list(GasConsumption.objects.values_list("read_at", "delivered", "currently_delivered"))


def derived() -> tuple[list, list]:
    hours = list(HourStatistics.objects.values_list("hour_start", "gas"))
    days = list(DayStatistics.objects.values_list("day", "gas", "gas_reading"))
    return hours, days


@pytest.fixture
def dsmr5():
    # 2026-03-02 local (23:00 UTC the day before) and an hour of the next day; gas every 5 minutes.
    rows = steady_stream(utc(2026, 3, 1, 23), utc(2026, 3, 3, 0), step=timedelta(minutes=1))
    store(*rows)
    processing_run_pending()
    return rows


def test_meter_resolution_gives_one_row_per_gas_value_and_the_same_statistics(dsmr5):
    hourly_rows, before = gas_rows(), derived()
    # the default: one row per hour H holding the values stamped in (H, H + 1 h]
    assert GasConsumption.objects.count() == len(
        {(to_epoch(stamp) - 1) // 3600 for stamp, _ in stamps_of(dsmr5)}
    )
    processing_settings_update(gas_resolution="meter")
    values = stamps_of(dsmr5)
    expected = [(values[0][0], values[0][1], D("0.000"))] + [
        (stamp, value, value - previous)
        for (_, previous), (stamp, value) in zip(values, values[1:], strict=False)
    ]
    assert gas_rows() == expected
    assert derived() == before  # hour and day gas, the day's gas position: unchanged
    processing_rebuild()
    assert gas_rows() == expected and derived() == before
    processing_settings_update(gas_resolution="hour")
    assert gas_rows() == hourly_rows and derived() == before


def test_new_values_at_meter_resolution_are_added_as_they_come(dsmr5):
    processing_settings_update(gas_resolution="meter")
    last = dsmr5[-1]
    later = [
        reading(
            last.timestamp + timedelta(minutes=n),
            last.electricity_delivered_1,
            gas=(last.timestamp + timedelta(minutes=n), str(last.extra_device_delivered + D("0.010") * n)),
        )
        for n in (5, 10)
    ]
    store(*later)
    processing_run_pending()
    newest = gas_rows()[-2:]
    assert newest == [(row.extra_device_timestamp, row.extra_device_delivered, D("0.050")) for row in later]


def test_a_setting_changed_around_the_service_is_followed_by_the_processor(dsmr5):
    hourly = GasConsumption.objects.count()
    ProcessingSettings.store(gas_resolution="meter")  # as the admin or SQL would
    assert GasConsumption.objects.count() == hourly
    processing_run_pending()
    assert GasConsumption.objects.count() == len(stamps_of(dsmr5))


def test_today_and_the_gas_api_keep_their_shape_at_both_resolutions(dsmr5, api_client):
    with time_machine.travel(utc(2026, 3, 3, 0, 30), tick=False):  # 01:30 local on 3 March
        hourly_today = consumption_today()
        hourly_api = api_client.get("/api/v2/consumption/gas?limit=1").json()["results"][0]
        processing_settings_update(gas_resolution="meter")
        assert consumption_today() == hourly_today
        meter_api = api_client.get("/api/v2/consumption/gas?limit=2").json()["results"]
    assert set(meter_api[0]) == set(hourly_api)
    first_stamp = stamps_of(dsmr5)[0][0]
    assert meter_api[0]["read_at"] == first_stamp.isoformat().replace("+00:00", "Z")
    assert meter_api[1]["currently_delivered"] == str(stamps_of(dsmr5)[1][1] - stamps_of(dsmr5)[0][1])


def test_a_dsmr4_meter_at_meter_resolution_has_its_hourly_values_at_their_stamps():
    # DSMR 4: one gas value per hour, stamped on the hour, carried by the readings after it.
    rows = [
        reading(
            utc(2026, 3, 2, 9) + timedelta(minutes=m),
            "100",
            gas=(utc(2026, 3, 2, 9 + m // 60), str(D("50.000") + D(m // 60).scaleb(-1))),
        )
        for m in range(0, 180, 10)
    ]
    store(*rows)
    processing_settings_update(gas_resolution="meter")
    processing_run_pending()
    assert gas_rows() == [
        (utc(2026, 3, 2, 9), D("50.000"), D("0.000")),
        (utc(2026, 3, 2, 10), D("50.100"), D("0.100")),
        (utc(2026, 3, 2, 11), D("50.200"), D("0.100")),
    ]
    # the value stamped 10:00 closes the hour 09:00-10:00, at either resolution
    assert list(HourStatistics.objects.values_list("hour_start", "gas"))[:2] == [
        (utc(2026, 3, 2, 9), D("0.100")),
        (utc(2026, 3, 2, 10), D("0.100")),
    ]


def test_a_bad_resolution_is_refused_with_its_choices():
    with pytest.raises(ValueError, match="one of hour, meter"):
        processing_settings_update(gas_resolution="minute")
    with pytest.raises(CommandError, match="one of hour, meter"):
        call_command("processing-settings", "--gas-resolution", "5")
    out = StringIO()
    call_command("processing-settings", "--gas-resolution", "meter", stdout=out)
    assert out.getvalue().startswith("gas resolution: meter")
    assert ProcessingSettings.peek().gas_resolution == "meter"


@pytest.mark.parametrize("resolution", ["hour", "meter"])
def test_the_cost_engine_books_gas_on_the_days_the_statistics_do(dsmr5, resolution):
    """A value stamped at local midnight closes the day before, at either resolution (the engine reads gas
    through processing.gas, as the statistics do)."""
    from dsmrhub.processing.costs import costs_by_period, usage_load

    processing_settings_update(gas_resolution=resolution)
    first, last = MARCH_2, MARCH_2 + timedelta(days=1)
    usage = usage_load(first=first, last=last, now=utc(2026, 3, 3, 0))
    engine = {cost.start.date(): cost.gas for cost in costs_by_period(usage=usage, period="day")}
    days = dict(DayStatistics.objects.values_list("day", "gas"))
    assert engine[MARCH_2] == days[MARCH_2] > 0
    midnight = [stamp for stamp, _ in stamps_of(dsmr5) if stamp == utc(2026, 3, 2, 23)]
    assert midnight, "the stream has a gas value stamped at local midnight"
