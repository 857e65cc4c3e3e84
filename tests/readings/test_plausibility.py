"""One timestamp rule on every path: reset and far-off clocks are refused, a bad gas clock costs only gas."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from dsmrhub.readings.bulk import readings_ingest_bulk
from dsmrhub.readings.models import DsmrReading, MBusReading, MeterStatistics
from dsmrhub.readings.plausibility import EARLIEST, timestamp_problem
from dsmrhub.readings.services import ReadingRejected, reading_ingest_telegram
from tests.helpers import demo_telegrams, replace_line

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
travel = time_machine.travel(NOW, tick=False)
RESET_CLOCK = "0-0:1.0.0(000101000000W)"  # a meter whose clock was reset counts from 2000-01-01 00:00


def test_the_rule_keeps_2001_and_the_next_24_hours_and_nothing_else():
    assert timestamp_problem(EARLIEST, now=NOW) is None
    assert timestamp_problem(NOW + timedelta(hours=24), now=NOW) is None
    assert "before 2001-01-01" in timestamp_problem(EARLIEST - timedelta(seconds=1), now=NOW)
    assert "more than 24 hours in the future" in timestamp_problem(
        NOW + timedelta(hours=24, seconds=1), now=NOW
    )
    year_one = timestamp_problem(datetime(1, 1, 1, tzinfo=UTC), now=NOW, what="extra_device_timestamp")
    assert year_one.startswith("extra_device_timestamp 0001-01-01T00:00:00Z lies before 2001-01-01")


def _telegram(line: str, obis: str = "0-0:1.0.0") -> str:
    return replace_line(demo_telegrams(1)[0][1], obis, line)


@travel
@pytest.mark.parametrize(
    "clock",
    ["000101000000W", "001231235959W", "000601120000S"],
    ids=["reset", "end of 2000", "mid 2000"],
)
def test_a_telegram_from_a_reset_meter_clock_is_refused_and_counted(clock):
    with pytest.raises(ReadingRejected, match="before 2001-01-01"):
        reading_ingest_telegram(telegram=_telegram(f"0-0:1.0.0({clock})"))
    assert not DsmrReading.objects.exists()
    assert MeterStatistics.objects.get().rejected_telegrams == 1


@travel
@pytest.mark.parametrize(
    "gas_clock", ["000101000000W", "270101000000W", "632525252525W"], ids=["reset", "next year", "impossible"]
)
def test_a_wrong_gas_clock_costs_the_gas_value_not_the_reading(gas_clock, caplog):
    caplog.set_level(logging.WARNING, logger="dsmrhub.readings")
    moments = demo_telegrams(3)
    for _, telegram in moments:
        reading_ingest_telegram(
            telegram=replace_line(telegram, "0-1:24.2.1", f"0-1:24.2.1({gas_clock})(02345.678*m3)")
        )
    readings = list(DsmrReading.objects.all())
    assert [r.timestamp for r in readings] == [moment for moment, _ in moments]
    assert all(r.extra_device_delivered is None and r.extra_device_timestamp is None for r in readings)
    assert all(r.electricity_delivered_1 > 0 for r in readings)
    assert not MBusReading.objects.exists()  # an M-Bus value is stored only at a plausible time of its own
    assert MeterStatistics.objects.get().rejected_telegrams == 0
    gas_warnings = [r for r in caplog.records if "gas value 2345.678 not stored" in r.getMessage()]
    assert len(gas_warnings) == 1  # once, not once per telegram


@travel
def test_the_bulk_path_and_the_import_count_the_same_rejections_and_drop_the_same_gas(tmp_path):
    moments = demo_telegrams(4)
    texts = [
        moments[0][1],
        replace_line(moments[1][1], "0-0:1.0.0", RESET_CLOCK),
        replace_line(moments[2][1], "0-1:24.2.1", "0-1:24.2.1(000101000000W)(02345.678*m3)"),
        replace_line(moments[3][1], "0-0:1.0.0", "0-0:1.0.0(260304120000W)"),  # two days ahead
    ]
    result = readings_ingest_bulk(telegrams=[(text, None) for text in texts])
    assert result.stored == 2
    assert sorted(result.rejected) == [
        "timestamp 1999-12-31T23:00:00Z lies before 2001-01-01 (a meter clock that was reset?)",
        "timestamp 2026-03-04T11:00:00Z lies more than 24 hours in the future",
    ]
    assert MeterStatistics.objects.get().rejected_telegrams == 2
    gasless = DsmrReading.objects.get(timestamp=moments[2][0])
    assert gasless.extra_device_delivered is None and gasless.extra_device_timestamp is None
    assert MBusReading.objects.count() == 1  # the first telegram's gas only

    DsmrReading.objects.all().delete()
    MBusReading.objects.all().delete()
    MeterStatistics.objects.all().delete()
    path = tmp_path / "telegrams.txt"
    path.write_text("".join(texts), encoding="latin-1", newline="")
    out = StringIO()
    call_command("import", str(path), "--quiet", stdout=out)
    assert "stored 2, duplicates 0, rejected 2" in out.getvalue(), out.getvalue()
    assert "before 2001-01-01" in out.getvalue()
    assert MeterStatistics.objects.get().rejected_telegrams == 2
    assert DsmrReading.objects.count() == 2
