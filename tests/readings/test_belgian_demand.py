"""Belgian meters' demand registers (1-0:1.4.0, 1-0:1.6.0, 0-0:98.1.0) stored on every telegram path, and
the meter's own month peaks (readings.peaks). Expected values are read from the telegram text here, with
the local time zone (the S/W flag for the doubled hour), not through the parser."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command

from dsmrhub.readings.bulk import readings_ingest_bulk
from dsmrhub.readings.models import DsmrReading, MeterMonthPeak
from dsmrhub.readings.peaks import MeterPeak, meter_month_peaks
from dsmrhub.readings.services import reading_ingest_telegram
from tests.corpus import corpus_bytes, corpus_entries
from tests.helpers import demo_telegrams, replace_line

pytestmark = pytest.mark.django_db
STAMP = r"(\d{12}[SW])"


def peak_telegram(entry) -> bool:
    return entry["country"] == "BE" and entry["crc"]["valid"] and b"1-0:1.6.0(" in corpus_bytes(entry)


def moment(stamp: str) -> datetime | None:
    """YYMMDDhhmmss + S/W, as e-MUCS sends it: local time in the configured zone, the flag choosing
    summer (S) or winter (W) time only for the hour that occurs twice; None if not a date."""
    try:
        local = datetime.strptime("20" + stamp[:12], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    zone = ZoneInfo(settings.TIME_ZONE)
    return local.replace(tzinfo=zone, fold=0 if stamp[12] == "S" else 1).astimezone(UTC)


def month_of(at: datetime) -> date:
    return at.astimezone(ZoneInfo(settings.TIME_ZONE)).date().replace(day=1)


def expected(text: str) -> dict:
    average = re.search(r"^1-0:1\.4\.0\(([\d.]+)\*kW\)", text, re.MULTILINE)
    stamp, value = re.search(rf"^1-0:1\.6\.0\({STAMP}\)\(([\d.]+)\*kW\)", text, re.MULTILINE).groups()
    history_line = re.search(r"^0-0:98\.1\.0\(.*$", text, re.MULTILINE).group(0)
    history = {}
    for closed, at, kw in re.findall(rf"\({STAMP}\)\({STAMP}\)\(([\d.]+)\*kW\)", history_line):
        if moment(at) is not None:  # 632525252525W: a month without a peak
            history[month_of(moment(closed) - timedelta(seconds=1))] = (moment(at), Decimal(kw))
    clock = re.search(rf"^0-0:1\.0\.0\({STAMP}\)", text, re.MULTILINE).group(1)
    return {
        "timestamp": moment(clock),
        "current_average_demand": Decimal(average.group(1)) if average else None,
        "maximum_demand_month": Decimal(value),
        "maximum_demand_month_at": moment(stamp),
        "history": history,
    }


def _api_v1(client, api_key, raw: bytes, tmp_path):
    response = client.post(
        "/api/v1/datalogger/dsmrreading",
        {"telegram": raw.decode("latin-1")},
        HTTP_AUTHORIZATION=f"Token {api_key}",
    )
    assert response.status_code == 201, response.content


def _datalogger_one(client, api_key, raw: bytes, tmp_path):
    assert reading_ingest_telegram(telegram=raw).created


def _datalogger_batch(client, api_key, raw: bytes, tmp_path):
    assert readings_ingest_bulk(telegrams=[(raw, None)]).stored == 1


def _import(client, api_key, raw: bytes, tmp_path):
    capture = tmp_path / "capture.txt"
    capture.write_bytes(raw)
    out = StringIO()
    call_command("import", str(capture), "--quiet", stdout=out)
    assert "stored 1," in out.getvalue()


@pytest.mark.parametrize("entry", corpus_entries(peak_telegram))
@pytest.mark.parametrize("path", [_api_v1, _datalogger_one, _datalogger_batch, _import])
def test_every_path_stores_the_demand_registers_and_the_month_history(path, entry, client, api_key, tmp_path):
    raw = corpus_bytes(entry)
    truth = expected(raw.decode("latin-1"))
    path(client, api_key, raw, tmp_path)
    reading = DsmrReading.objects.get()
    assert reading.timestamp == truth["timestamp"]
    for name in ("current_average_demand", "maximum_demand_month", "maximum_demand_month_at"):
        assert getattr(reading, name) == truth[name], name
    assert {row.month: (row.occurred_at, row.value) for row in MeterMonthPeak.objects.all()} == truth[
        "history"
    ]
    running = month_of(truth["timestamp"])
    peaks = [MeterPeak(month, kw, at, True) for month, (at, kw) in sorted(truth["history"].items())]
    if month_of(truth["maximum_demand_month_at"]) == running and running not in truth["history"]:
        peaks.append(
            MeterPeak(running, truth["maximum_demand_month"], truth["maximum_demand_month_at"], False)
        )
    assert meter_month_peaks() == peaks
    assert peaks[-1].final is False  # every one of these telegrams has a running month


def test_a_meter_without_the_registers_stores_nothing_of_them():
    assert reading_ingest_telegram(telegram=demo_telegrams(1)[0][1]).created
    reading = DsmrReading.objects.get()
    assert (
        reading.current_average_demand,
        reading.maximum_demand_month,
        reading.maximum_demand_month_at,
    ) == (
        None,
        None,
        None,
    )
    assert meter_month_peaks() == [] and not MeterMonthPeak.objects.exists()


def be_telegram(clock: str, peak: str, history: str) -> str:
    """The 13-month-peaks capture with its clock, 1-0:1.6.0 and 0-0:98.1.0 replaced (CRC recomputed)."""
    text = corpus_bytes({"file": "xjenergymeter-fluvius-13month-peaks-1.txt"}).decode("latin-1")
    text = replace_line(text, "0-0:1.0.0", f"0-0:1.0.0({clock})")
    text = replace_line(text, "1-0:1.6.0", f"1-0:1.6.0{peak}")
    return replace_line(text, "0-0:98.1.0", f"0-0:98.1.0{history}")


HEAD = "(1-0:1.6.0)(1-0:1.6.0)"


def test_the_history_follows_the_newest_telegram_and_bounds_select_months():
    first = be_telegram(
        "250502164035S", "(250501101500S)(01.194*kW)", f"(2){HEAD}(250401000000S)(250314164500W)(04.323*kW)"
        "(250501000000S)(250416203000S)(03.535*kW)"
    )  # fmt: skip
    assert reading_ingest_telegram(telegram=first).created
    # A month later: May is closed with a higher peak than 1.6.0 showed on 2 May; March drops off.
    later = be_telegram(
        "250601001000S", "(250515120000S)(02.500*kW)", f"(2){HEAD}(250501000000S)(250416203000S)(03.535*kW)"
        "(250601000000S)(250520181500S)(06.001*kW)"
    )  # fmt: skip
    assert reading_ingest_telegram(telegram=later).created
    march, april, may = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)
    stored = {row.month: row.value for row in MeterMonthPeak.objects.all()}
    assert stored == {march: Decimal("4.323"), april: Decimal("3.535"), may: Decimal("6.001")}
    # Just after midnight on 1 June, 1-0:1.6.0 still shows May's time: June has no running entry yet.
    assert [(peak.month, peak.final) for peak in meter_month_peaks()] == [
        (march, True),
        (april, True),
        (may, True),
    ]
    assert [peak.month for peak in meter_month_peaks(first=date(2025, 4, 17), last=date(2025, 4, 30))] == [
        april
    ]
    june = be_telegram(
        "250601003000S", "(250601001500S)(00.812*kW)", f"(1){HEAD}(250601000000S)(250520181500S)(06.001*kW)"
    )
    assert reading_ingest_telegram(telegram=june).created
    running = meter_month_peaks(first=date(2025, 6, 1))
    assert running == [MeterPeak(date(2025, 6, 1), Decimal("0.812"), moment("250601001500S"), False)]
    assert meter_month_peaks(last=date(2025, 5, 31))[-1].month == may
