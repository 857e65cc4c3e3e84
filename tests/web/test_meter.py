"""The Meter page: positions, identifiers, power-failure log, sags and swells, a day's power quality and the
tariff names, with the Django client (exact figures) and in Chromium (desktop and phone, light and dark)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import expect

from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.models import TariffSettings
from dsmrhub.readings.services import reading_ingest_telegram
from dsmrhub.web.templatetags.units import moment_text
from tests.corpus import CORPUS, corpus_entries
from tests.helpers import with_crc
from tests.processing.builders import reading, store, utc
from tests.readings.test_tariffs import BELGIAN  # a Belgian (e-MUCS) meter on tariff 2
from tests.web.conftest import ARTIFACTS, DESKTOP, PHONE, BrowserPage, log_in

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A Dutch DSMR 5 meter with two phases, a gas meter on channel 1 and a water meter on channel 2, written for
# these tests: its power-failure log has two entries, its counters differ per phase.
FAILURE_LOG = [("260301101500W", 240), ("260215083005W", 3725)]  # (end, local winter time), seconds
DUTCH = with_crc(
    "/ISK5\\2M550T-1012\r\n\r\n"
    "1-3:0.2.8(50)\r\n"
    "0-0:1.0.0(260302120000W)\r\n"
    "0-0:96.1.1(4530303434303037313331363530363138)\r\n"
    "1-0:1.8.1(012345.678*kWh)\r\n"
    "1-0:1.8.2(009876.543*kWh)\r\n"
    "1-0:2.8.1(000111.222*kWh)\r\n"
    "1-0:2.8.2(000333.444*kWh)\r\n"
    "0-0:96.14.0(0001)\r\n"
    "1-0:1.7.0(00.512*kW)\r\n"
    "1-0:2.7.0(00.000*kW)\r\n"
    "0-0:96.7.21(00017)\r\n"
    "0-0:96.7.9(00003)\r\n"
    f"1-0:99.97.0(2)(0-0:96.7.19)({FAILURE_LOG[0][0]})({FAILURE_LOG[0][1]:010d}*s)"
    f"({FAILURE_LOG[1][0]})({FAILURE_LOG[1][1]:010d}*s)\r\n"
    "1-0:32.32.0(00004)\r\n"
    "1-0:52.32.0(00001)\r\n"
    "1-0:32.36.0(00002)\r\n"
    "1-0:52.36.0(00007)\r\n"
    "0-0:96.13.0()\r\n"
    "1-0:32.7.0(229.8*V)\r\n"
    "1-0:52.7.0(231.4*V)\r\n"
    "1-0:31.7.0(002*A)\r\n"
    "1-0:51.7.0(001*A)\r\n"
    "1-0:21.7.0(00.300*kW)\r\n"
    "1-0:41.7.0(00.212*kW)\r\n"
    "1-0:22.7.0(00.000*kW)\r\n"
    "1-0:42.7.0(00.000*kW)\r\n"
    "0-1:24.1.0(003)\r\n"
    "0-1:96.1.0(4730303339303031363532303530323136)\r\n"
    "0-1:24.2.1(260302115500W)(04321.987*m3)\r\n"
    "0-2:24.1.0(007)\r\n"
    "0-2:96.1.0(3853414731323334353637383930)\r\n"
    "0-2:24.2.1(260302115500W)(00123.456*m3)\r\n"
    "!"
)


@pytest.fixture(autouse=True)
def _mbus_values_stored_afresh():
    """The ingest service skips an M-Bus value this process stored before (a per-process memory that outlives
    the test database): the same telegram in an earlier test would leave this test without its devices."""
    from dsmrhub.readings import services

    services._last_mbus_stored.clear()


def page_text(client, path: str = "/meter/", status: int = 200) -> str:
    """The page with its white space (no-break spaces too) collapsed to single spaces."""
    response = client.get(path)
    assert response.status_code == status, response.content[:500]
    return " ".join(response.content.decode().split())


def row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, row_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def cell(html: str, row_id: str, css: str) -> str:
    found = re.search(rf'<tr id="{re.escape(row_id)}".*?class="[^"]*\b{css}\b[^"]*">(.*?)</td>', html, re.S)
    assert found, (row_id, css)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def local(text: str) -> datetime:
    """A meter's YYMMDDhhmmssW stamp (W: winter time, UTC+1)."""
    moment = datetime.strptime(text[:12], "%y%m%d%H%M%S")
    return moment.replace(tzinfo=UTC) - timedelta(hours=1 if text[12] == "W" else 2)


# ---------------------------------------------------------------- Django client


def test_positions_identifiers_failures_and_sags_of_a_dutch_meter(client):
    reading_ingest_telegram(telegram=DUTCH)
    html = page_text(client)
    assert row(html, "position-1.8.1").endswith("12,345.678 kWh")
    assert "low" in row(html, "position-1.8.1") and "normal" in row(html, "position-1.8.2")
    assert row(html, "position-2.8.2").endswith("333.444 kWh")
    assert "Gas meter" in row(html, "device-1") and row(html, "device-1").endswith("4,321.987 m³")
    assert "Water meter" in row(html, "device-2") and row(html, "device-2").endswith("123.456 m³")
    # the hex id spelled out: 45 30 30 34 ... → "E0044007131650618"
    expected_id = bytes.fromhex("4530303434303037313331363530363138").decode()
    assert expected_id == "E0044007131650618"
    assert expected_id in row(html, "equipment-identifier")
    assert "4530303434303037313331363530363138" in row(html, "equipment-identifier")
    gas_id = bytes.fromhex("4730303339303031363532303530323136").decode()
    assert gas_id == "G0039001652050216" and gas_id in row(html, "device-identifier-1")
    assert bytes.fromhex("3853414731323334353637383930").decode() in row(html, "device-identifier-2")
    assert row(html, "dsmr-version").endswith("5.0")
    assert "Netherlands: tariff 1 is the low tariff" in row(html, "tariff-country")

    assert 'id="power-failure-count">17<' in html and 'id="long-power-failure-count">3<' in html
    log = re.search(r'<table class="striped" id="power-failure-log">.*?</table>', html, re.S).group(0)
    shown = [
        tuple(re.sub(r"<[^>]+>", "", part).strip() for part in re.findall(r"<td[^>]*>(.*?)</td>", tr))
        for tr in re.findall(r"<tr><td.*?</tr>", log)
    ]
    expected = []
    for end_text, seconds in sorted(FAILURE_LOG, reverse=True):  # newest first
        end = local(end_text)
        hours, rest = divmod(seconds, 3600)
        parts = [f"{v} {u}" for v, u in ((hours, "h"), (rest // 60, "min"), (rest % 60, "s")) if v]
        expected.append((moment_text(end - timedelta(seconds=seconds)), moment_text(end), " ".join(parts)))
    assert expected[1][2] == "1 h 2 min 5 s"  # 3725 s
    assert expected[1][0] == "15 Feb 2026 07:28"  # 08:30:05 − 1:02:05
    assert shown == expected

    assert cell(html, "phase-l1", "sags") == "4" and cell(html, "phase-l1", "swells") == "2"
    assert cell(html, "phase-l2", "sags") == "1" and cell(html, "phase-l2", "swells") == "7"
    assert cell(html, "phase-l1", "voltage") == "229.8 V"
    assert 'id="phase-l3"' not in html  # a meter without L3: no row for it


def test_a_belgian_meter_is_labelled_day_and_night_and_renamed_tariffs_show(client, admin_user, api_client):
    reading_ingest_telegram(telegram=BELGIAN)
    html = page_text(client)
    assert "day" in row(html, "position-1.8.1") and "night" in row(html, "position-1.8.2")
    assert "Belgium: tariff 1 is the day tariff" in row(html, "tariff-country")
    assert row(html, "emucs-version").endswith("50217")
    assert 'id="tariff-login"' in html and 'id="tariff-form"' not in html  # renaming needs a login

    # not logged in: the POST is sent to the login page and nothing changes
    response = client.post("/meter/tariffs", {"tariff_1_name": "Peak", "tariff_2_name": "Off-peak"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not TariffSettings.objects.exists()

    client.force_login(admin_user)
    response = client.post("/meter/tariffs", {"tariff_1_name": "Peak", "tariff_2_name": "Off-peak"})
    assert response.status_code == 302 and response["Location"].endswith("/meter/#tariffs")
    html = page_text(client)
    assert "Peak" in row(html, "position-1.8.1") and "Off-peak" in row(html, "position-1.8.2")
    assert "own names" in row(html, "tariff-country")
    live = api_client.get("/api/v2/consumption/electricity-live").json()
    assert live["tariff_name"] == "Off-peak"  # the meter is on tariff 2

    response = client.post("/meter/tariffs", {"tariff_1_name": "x" * 33, "tariff_2_name": ""})
    assert response.status_code == 400
    assert TariffSettings.peek().tariff_1_name == "Peak"  # refused as a whole
    response = client.post("/meter/tariffs", {"tariff_1_name": "", "tariff_2_name": ""})
    html = page_text(client)
    assert "day" in row(html, "position-1.8.1") and "night" in row(html, "position-1.8.2")
    assert api_client.get("/api/v2/consumption/electricity-live").json()["tariff_name"] == "night"


def test_the_page_asks_for_the_tariff_names_once(client):
    reading_ingest_telegram(telegram=DUTCH)
    with CaptureQueriesContext(connection) as queries:
        page_text(client)
    settings_queries = [q for q in queries.captured_queries if "tariffsettings" in q["sql"].lower()]
    assert len(settings_queries) == 1, settings_queries


def _quality_readings() -> list:
    """Two phases on 2 March 2026 (UTC+1); L1 voltage and current vary, L2 voltage is steady, no current."""
    l1 = [  # (moment UTC, V, A)
        (utc(2026, 3, 2, 10, 0, 10), "230.0", "1.000"),
        (utc(2026, 3, 2, 10, 0, 40), "230.3", "2.001"),
        (utc(2026, 3, 2, 10, 5, 30), "228.4", "3.000"),
        (utc(2026, 3, 2, 10, 15, 0), "205.0", "0.500"),  # ends the minute 10:14–10:15: the first interval's
        (utc(2026, 3, 2, 10, 16, 0), "240.0", "4.000"),
        (utc(2026, 3, 2, 10, 29, 59), "250.1", "5.000"),
    ]
    rows = [
        reading(
            at,
            "100",
            "200",
            phase_voltage_l1=Decimal(volts),
            phase_power_current_l1=Decimal(amps),
            phase_voltage_l2=Decimal("231.0"),
        )
        for at, volts, amps in l1
    ]
    store(*rows)
    processing_run_pending()
    return l1


def _half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def test_quality_view_gives_min_mean_max_per_interval_and_day(client):
    _quality_readings()
    # By hand: minutes (read_at − 60 s, read_at], the minute's mean half up to the stored places, then each
    # 15-minute interval (by the minute's first second) and the day take min, mean (half up) and max of those.
    #   L1 V: 11:00 (local) interval: 10:01 mean(230.0, 230.3) = 230.15 → 230.2; 10:06 228.4; 10:15 205.0
    #         → min 205.0, mean (230.2 + 228.4 + 205.0) / 3 = 221.2, max 230.2
    #         11:15 interval: 10:16 240.0, 10:30 250.1 → min 240.0, mean 245.05 → 245.1, max 250.1
    #         day: mean (230.2 + 228.4 + 205.0 + 240.0 + 250.1) / 5 = 230.74 → 230.7; 205.0 < 207: 1 out
    #   L1 A: 10:01 mean(1.000, 2.001) = 1.5005 → 1.501; 3.000; 0.500 → mean 5.001 / 3 = 1.667; 4.000, 5.000
    assert _half_up((Decimal("230.2") + Decimal("228.4") + Decimal("205.0")) / 3, "0.1") == Decimal("221.2")
    assert _half_up((Decimal("240.0") + Decimal("250.1")) / 2, "0.1") == Decimal("245.1")
    day_mean = (
        Decimal("230.2") + Decimal("228.4") + Decimal("205.0") + Decimal("240.0") + Decimal("250.1")
    ) / 5
    assert _half_up(day_mean, "0.1") == Decimal("230.7")
    assert _half_up((Decimal("1.501") + Decimal("3.000") + Decimal("0.500")) / 3, "0.001") == Decimal("1.667")

    html = page_text(client, "/meter/?day=2026-03-02&interval=15")
    assert cell(html, "quality-l1", "voltage-low") == "205.0"
    assert cell(html, "quality-l1", "voltage-mean") == "230.7"
    assert cell(html, "quality-l1", "voltage-high") == "250.1"
    assert cell(html, "quality-l1", "outside") == "1"
    assert cell(html, "quality-l1", "current-low") == "0.500"
    assert cell(html, "quality-l1", "current-high") == "5.000"
    mean_current = _half_up((Decimal("1.501") + Decimal("3.000") + Decimal("0.500") + 4 + 5) / 5, "0.001")
    assert cell(html, "quality-l1", "current-mean") == f"{mean_current}"
    assert cell(html, "quality-l2", "voltage-mean") == "231.0" and cell(html, "quality-l2", "outside") == "0"
    assert cell(html, "quality-l2", "current-mean") == "–"
    assert 'id="quality-l3"' not in html

    import json

    data = json.loads(re.search(r'id="quality-data" type="application/json">(.*?)</script>', html).group(1))
    assert data["labels"] == ["11:00", "11:15"]  # local time
    assert data["phases"] == [1, 2]
    assert data["voltage"]["l1"] == {
        "low": ["205.0", "240.0"],
        "mean": ["221.2", "245.1"],
        "high": ["230.2", "250.1"],
    }
    assert data["current"]["l1"]["mean"] == ["1.667", "4.500"]
    assert data["voltage"]["l2"]["mean"] == ["231.0", "231.0"]
    assert data["current"]["l2"]["mean"] == [None, None]

    hourly = json.loads(
        re.search(
            r'id="quality-data" type="application/json">(.*?)</script>',
            page_text(client, "/meter/?day=2026-03-02&interval=60"),
        ).group(1)
    )
    assert hourly["labels"] == ["11:00"] and hourly["voltage"]["l1"]["mean"] == ["230.7"]
    assert 'id="quality-empty"' in page_text(client, "/meter/?day=2026-03-03")


@pytest.mark.parametrize(
    "query, says",
    [
        ("day=2026-02-30", "is not an existing date"),
        ("day=yesterday", "is not a date"),
        ("interval=7", "Choose an interval of 5, 15, 60 minutes."),
        ("interval=abc", "Choose an interval of 5, 15, 60 minutes."),
    ],
)
def test_a_bad_day_or_interval_is_a_400_with_the_reason(client, query, says):
    html = page_text(client, f"/meter/?{query}", status=400)
    assert says in re.search(r'id="quality-error">(.*?)</p>', html).group(1)


def test_without_readings_the_page_says_so(client):
    html = page_text(client)
    assert 'id="meter-empty"' in html and 'id="quality-empty"' in html


@pytest.mark.parametrize(
    "entry",
    corpus_entries(
        lambda e: (
            e["file"] in ("dsmrreader-iskra-mt382-dsmr50-spec-1.txt", "dsmrparser-fluvius-gas-water-1.txt")
        )
    ),
)
def test_corpus_meters_show_their_log_devices_and_names(client, entry):
    telegram = (CORPUS / entry["file"]).read_bytes().decode("latin-1")
    reading_ingest_telegram(telegram=telegram)
    values = entry["from_telegram"]["values"]
    html = page_text(client)
    names = {"NL": ("low", "normal"), "BE": ("day", "night")}[entry["country"]]
    assert names[0] in row(html, "position-1.8.1") and names[1] in row(html, "position-1.8.2")
    identifier = bytes.fromhex(values["equipment_identifier"]).decode()
    assert identifier in row(html, "equipment-identifier")
    for device in values.get("mbus_devices", []) or []:
        assert f"{Decimal(str(device['value'])):,.3f} m³" in row(html, f"device-{device['channel']}")
    log = values.get("power_failure_log") or {"events": []}
    durations = re.findall(r'class="number duration">(.*?)</td>', html)
    expected = [
        " ".join(f"{v} {u}" for v, u in ((s // 3600, "h"), (s % 3600 // 60, "min"), (s % 60, "s")) if v)
        for s in (
            event["duration_s"] for event in sorted(log["events"], key=lambda e: e["end_local"], reverse=True)
        )
    ]
    assert durations == expected
    if entry["country"] == "NL":
        assert durations == ["4 min", "5 min 1 s"]
        assert f'id="power-failure-count">{values["power_failure_count"]}<' in html
        assert cell(html, "phase-l2", "swells") == str(values["voltage_swell_count_l2"])


# ---------------------------------------------------------------- in Chromium


def _open(browser, live_server, *, viewport: dict, scheme: str):
    context = browser.new_context(locale="en-GB", viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(10_000)
    page = context.new_page()
    wrapped = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", lambda message: message.type == "error" and wrapped.errors.append(message.text))
    page.on("pageerror", lambda error: wrapped.errors.append(str(error)))
    return context, wrapped


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_meter_page_in_the_browser(browser, live_server, width, scheme):
    reading_ingest_telegram(telegram=DUTCH)
    _quality_readings()
    context, browser_page = _open(
        browser, live_server, viewport=DESKTOP if width == "desktop" else PHONE, scheme=scheme
    )
    try:
        browser_page.open("/meter/?day=2026-03-02&interval=15")
        page = browser_page.page
        expect(page.locator("#power-failure-count")).to_have_text("17")
        # the quality readings' five L1 minutes plus the telegram's (12:00 local, 229.8 V): 1383.5 / 6 → 230.6
        expect(page.locator("#quality-l1 .voltage-mean")).to_have_text("230.6")
        for name in ("voltage", "current"):
            page.wait_for_function(
                f"() => Chart.getChart(document.getElementById('quality-{name}')) !== undefined"
            )
            labels = page.evaluate(f"Chart.getChart(document.getElementById('quality-{name}')).data.labels")
            assert labels == ["11:00", "11:15", "11:45"]  # 12:00:00 ends the minute 11:59–12:00
        datasets = page.evaluate(
            "Chart.getChart(document.getElementById('quality-voltage')).data.datasets.length"
        )
        assert datasets == 6  # low, high and mean of L1 and L2
        assert page.locator("#site-pages a[href='/meter/']").get_attribute("aria-current") == "page"
        if width == "phone":
            assert browser_page.fits_width()
        browser_page.screenshot(f"meter-{width}-{scheme}")
        assert browser_page.errors == []
    finally:
        context.close()


def test_renaming_the_tariffs_in_the_browser(browser_page, admin_user):
    reading_ingest_telegram(telegram=BELGIAN)
    page = browser_page.page
    browser_page.open("/meter/")
    expect(page.locator("#position-1\\.8\\.1 .tariff-name")).to_have_text("day")
    expect(page.locator("#tariff-login")).to_be_visible()
    log_in(browser_page)
    browser_page.open("/meter/")
    assert page.locator("#id_tariff_1_name").get_attribute("placeholder") == "day"
    page.fill("#id_tariff_1_name", "Dagtarief")
    page.fill("#id_tariff_2_name", "Nachttarief")
    page.click("#tariff-save")
    expect(page.locator("#position-1\\.8\\.1 .tariff-name")).to_have_text("Dagtarief")
    expect(page.locator("#position-1\\.8\\.2 .tariff-name")).to_have_text("Nachttarief")
    expect(page.locator("p.message")).to_have_text("Tariff names saved.")
    browser_page.screenshot("meter-tariffs-renamed")
    assert browser_page.errors == []
    assert ARTIFACTS.exists()


def test_the_day_clocks_go_back_has_25_hours_and_names_the_repeated_hour(client):
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; the local day runs 22:00 UTC to 23:00 UTC next day
    moments = [
        utc(2026, 10, 24, 22, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 25, 22, 59),
    ]
    store(*(reading(at, "1", "1", phase_voltage_l1=Decimal("230.0")) for at in moments))
    processing_run_pending()
    import json

    html = page_text(client, "/meter/?day=2026-10-25&interval=60")
    data = json.loads(re.search(r'id="quality-data" type="application/json">(.*?)</script>', html).group(1))
    # 22:00:30 UTC = 00:00:30 CEST; 00:30 UTC = 02:30 CEST; 01:30 UTC = 02:30 CET; 22:59 UTC = 23:59 CET
    assert data["labels"] == ["00:00", "02:00 CEST", "02:00 CET", "23:00"]
    assert 'id="quality-summary"' in html and cell(html, "quality-l1", "voltage-mean") == "230.0"


def test_readings_posted_as_values_show_positions_and_dutch_names_without_identifiers(client):
    store(reading(utc(2026, 3, 2, 11), "1000.001", "2000.002", r1="3.003", r2="4.004"))
    html = page_text(client)
    assert row(html, "position-1.8.1").endswith("1,000.001 kWh") and "low" in row(html, "position-1.8.1")
    assert row(html, "position-2.8.2").endswith("4.004 kWh") and "normal" in row(html, "position-2.8.2")
    assert "no telegram stored" in row(html, "meter-kind")
    assert row(html, "equipment-identifier").endswith("–") and row(html, "dsmr-version").endswith("–")
    assert 'id="power-failure-log-empty"' in html
    assert 'id="device-1"' not in html


@pytest.mark.parametrize(
    "entry", corpus_entries(lambda e: e["file"] == "dsmr5rs-mcs-dsmr50-empty-values-1.txt")
)
def test_a_log_without_usable_times_still_shows_its_durations(client, entry):
    from dsmrhub.readings.models import MeterStatistics

    text = (CORPUS / entry["file"]).read_bytes().decode("latin-1")
    MeterStatistics.store(timestamp=utc(2026, 3, 2, 11), latest_telegram=text)
    html = page_text(client)
    log = re.findall(
        r'<td class="start">(.*?)</td><td class="end">(.*?)</td><td class="number duration">(.*?)</td>', html
    )
    # the telegram's entries: (000000000000S)(23) (…W)(00000000) (…W)(8) (…W)(14): no end, so no start either
    assert log == [("–", "–", "23 s"), ("–", "–", "0 s"), ("–", "–", "8 s"), ("–", "–", "14 s")]
    raw = entry["from_telegram"]["values"]["equipment_identifier"]
    assert row(html, "equipment-identifier") == f"Equipment identifier {raw}"  # zeros spell no text


def test_meter_page_in_dutch(dutch_page):
    reading_ingest_telegram(telegram=DUTCH)
    _quality_readings()
    dutch_page.open("/meter/?day=2026-03-02")
    page = dutch_page.page
    assert page.locator("html").get_attribute("lang") == "nl"
    # Dutch number style: a decimal comma, a point between thousands
    expect(page.locator("#position-1\\.8\\.1 .value")).to_have_text("12.345,678 kWh")
    expect(page.locator("#quality-l1 .voltage-low")).to_have_text("205,0")
    page.wait_for_function("() => Chart.getChart(document.getElementById('quality-voltage')) !== undefined")
    dutch_page.screenshot("meter-dutch")
    assert dutch_page.errors == []
