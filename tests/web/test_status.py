"""Status page: latest reading and its age, datalogger, rejected telegrams, processing, epochs, MQTT."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dsmrhub import __version__
from dsmrhub.datalogger.models import DataloggerState
from dsmrhub.db.singleton import SINGLETON_ID
from dsmrhub.processing.models import MeterEpoch
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.services import ReadingRejected, reading_ingest_telegram, readings_delete
from dsmrhub.web.status import age_text, database_size, status_gather
from tests.helpers import demo_telegrams


def _text(html: str, element_id: str) -> str:
    """The text of the element with this id (a div or an article; tags removed, spaces collapsed)."""
    match = re.search(rf'<(div|article) [^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def _known_data(*, minutes_ago: int = 10) -> None:
    """30 telegrams, the last ``minutes_ago`` minutes ago; 2 rejected ones; a datalogger that rejected 5."""
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(minutes=minutes_ago, seconds=290)
    for moment, telegram in demo_telegrams(30, start=start):
        reading_ingest_telegram(telegram=telegram, received_at=moment)
    for garbage in ("/no telegram at all", "/XMX5LGBBFG1009\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!0000\r\n"):
        with pytest.raises(ReadingRejected):
            reading_ingest_telegram(telegram=garbage)
    processing_run_pending()
    DataloggerState.objects.create(
        pk=SINGLETON_ID,
        source="serial:///dev/ttyUSB0",
        connected=True,
        started_at=now - timedelta(hours=1),
        updated_at=timezone.now(),
        last_telegram_at=now - timedelta(minutes=minutes_ago),
        telegrams_per_minute=6.0,
        received_telegrams=1234,
        rejected_telegrams=5,
    )


@pytest.mark.django_db
def test_status_shows_the_latest_reading_age_and_the_rejected_counts(client):
    _known_data(minutes_ago=10)
    html = client.get("/status/").content.decode()
    assert _text(html, "latest-reading").startswith("Latest reading 10 minutes ago")
    assert _text(html, "rejected").startswith("Rejected telegrams 2")
    datalogger = _text(html, "datalogger")
    assert "connected" in datalogger and "serial:///dev/ttyUSB0" in datalogger
    assert re.search(r'class="number datalogger-rejected">5<', html)
    assert "1234" in datalogger and "6.0" in datalogger
    assert _text(html, "unprocessed").startswith("Readings waiting for processing 0")
    assert "✓ Electricity" in html and "✓ Three phases" in html
    assert "2 telegrams were rejected (see the log)." in html
    assert _text(html, "version").endswith(__version__)
    size = _text(html, "database-size")
    assert re.search(r"\d+(\.\d)? (KB|MB|bytes)", size), size


@pytest.mark.django_db
def test_status_without_any_data(client):
    response = client.get("/status/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "none yet" in _text(html, "latest-reading")
    assert "No readings have been stored yet." in html
    assert "never ran here" in _text(html, "datalogger")
    assert "disabled" in _text(html, "mqtt")


@pytest.mark.django_db
def test_status_lists_meter_epochs_and_unprocessed_work(client):
    _known_data(minutes_ago=3)
    MeterEpoch.objects.create(
        timestamp=timezone.now() - timedelta(days=2),
        register="electricity_delivered_1",
        before=Decimal("5000"),
        after=Decimal("1.5"),
    )
    html = client.get("/status/").content.decode()
    epochs = _text(html, "meter-epochs")
    assert "electricity_delivered_1" in epochs and "5000.000" in epochs and "1.500" in epochs
    assert "went down from 5000.000 to 1.500" in html  # listed among the problems too
    # a new reading that the processor has not seen yet
    reading_ingest_telegram(telegram=demo_telegrams(1, start=timezone.now() - timedelta(seconds=30))[0][1])
    html = client.get("/status/").content.decode()
    # counted over the pending minutes, which include the minute of the reading's gas stamp
    waiting = re.fullmatch(
        r"Readings waiting for processing (\d+) oldest \d+ (second|minute)s?", _text(html, "unprocessed")
    )
    assert waiting and int(waiting.group(1)) >= 1, _text(html, "unprocessed")


@pytest.mark.django_db
def test_a_stopped_datalogger_is_a_problem(client):
    _known_data()
    DataloggerState.objects.filter(pk=SINGLETON_ID).update(updated_at=timezone.now() - timedelta(minutes=5))
    status = status_gather()
    assert status["datalogger"]["running"] is False
    assert any("stopped reporting" in p["problem"] for p in status["problems"])
    assert "not running" in _text(client.get("/status/").content.decode(), "datalogger")


@pytest.mark.django_db
def test_problems_are_in_the_visitors_language(client):
    _known_data()
    DataloggerState.objects.filter(pk=SINGLETON_ID).update(updated_at=timezone.now() - timedelta(minutes=5))
    page = client.get("/status/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "De datalogger meldt zich niet meer" in _text(page, "problems")
    assert "telegrammen zijn afgewezen" in _text(page, "problems")
    assert "stopped reporting" not in page


@pytest.mark.django_db
def test_readings_left_out_of_processing_are_a_problem_until_deleted(client):
    from tests.processing.builders import reading, store, utc

    _known_data()
    poisoned = [utc(1, 1, 1), utc(1900, 1, 1), utc(1999, 12, 31, 23), utc(2000, 6, 1)]
    store(*(reading(moment, "1", "1") for moment in poisoned))
    processing_run_pending()
    html = client.get("/status/").content.decode()
    problems = _text(html, "problems")
    assert "4 stored readings have an implausible time and are left out of processing" in problems
    # the first three, oldest first, with their reasons
    assert "0001-01-01T00:00:00Z: timestamp 0001-01-01T00:00:00Z lies before 2001-01-01" in problems
    assert "1900-01-01T00:00:00Z: timestamp" in problems and "1999-12-31T23:00:00Z: timestamp" in problems
    assert "2000-06-01" not in problems
    assert "dsmrhub readings-delete" in problems
    assert re.search(r'class="number quarantined">4<', html)

    readings_delete(ids=[int(poisoned[0].timestamp())])  # shown as gone at once, before the next pass
    assert "3 stored readings have an implausible time" in _text(
        client.get("/status/").content.decode(), "problems"
    )
    readings_delete(until=utc(2001, 1, 1))
    processing_run_pending()
    html = client.get("/status/").content.decode()
    assert "implausible time" not in _text(html, "problems")
    assert re.search(r'class="number quarantined">0<', html)


@pytest.mark.django_db
def test_database_size_is_measured():
    assert database_size() > 0


def test_age_text_picks_a_sensible_unit():
    assert [age_text(s) for s in (None, 1, 59, 119, 120, 7199, 7200, 172_799, 172_800)] == [
        "–",
        "1 second",
        "59 seconds",
        "119 seconds",
        "2 minutes",
        "119 minutes",
        "2 hours",
        "47 hours",
        "2 days",
    ]


def test_status_page_in_the_browser(browser_page):
    _known_data(minutes_ago=10)
    browser_page.open("/status/")
    page = browser_page.page
    assert page.locator("#latest-reading .value").inner_text() == "10 minutes ago"
    assert page.locator("#rejected .value").inner_text() == "2"
    assert page.locator(".datalogger-rejected").inner_text() == "5"
    browser_page.screenshot("status")
    assert browser_page.errors == []


def test_status_page_fits_a_phone(phone_page):
    _known_data()
    phone_page.open("/status/")
    assert phone_page.fits_width()
    assert phone_page.errors == []


# ---------------------------------------------------------------- issues 17 and 18


@pytest.mark.django_db
def test_every_problem_renders_as_text_with_commands_as_code(client):
    from dsmrhub.alerts.problems import problems_current
    from dsmrhub.processing.models import ProcessingState

    _known_data()
    DataloggerState.objects.filter(pk=SINGLETON_ID).update(updated_at=timezone.now() - timedelta(minutes=5))
    ProcessingState.store(
        last_error='<img src=x onerror="alert(1)"> broke `on purpose'
    )  # an unpaired backtick
    html = client.get("/status/").content.decode()
    problems = html.split('id="problems"', 1)[1].split("</article>", 1)[0]
    texts = [problem.text for problem in problems_current()]
    assert len(re.findall(r'<li class="problem"', problems)) == len(texts) >= 3
    assert (
        "<img" not in problems
        and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; broke `on purpose" in problems
    )
    assert "is <code>dsmrhub run</code> (or <code>datalogger</code>) running?" in problems
    # no other markup than <code>, no backtick left but the unpaired one
    tags = set(re.findall(r"</?([a-z][a-z0-9]*)", problems)) - {"h2", "ul", "li", "small", "code"}
    assert tags == set(), tags
    assert _text(html, "problems").count("`") == 1


@pytest.mark.django_db
def test_dates_use_the_pages_local_style(client):
    _known_data()
    html = client.get("/status/").content.decode()
    local = r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}"  # units.moment: "5 Mar 2026 09:05", local time
    assert re.search(rf'<small class="muted">{local}</small>', _html(html, "latest-reading"))
    assert re.fullmatch(
        rf"As of {local}; this page updates itself every 10 seconds\.", _text_of(html, "status-updated")
    )
    assert " a.m." not in html and " p.m." not in html


def _html(html: str, element_id: str) -> str:
    match = re.search(rf'<(div|article|p) [^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, element_id
    return match.group(2)


def _text_of(html: str, element_id: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", _html(html, element_id)).split())


@pytest.mark.django_db(transaction=True)  # a backup reads committed data
def test_backups_and_alerts_are_on_the_status_page(client, tmp_path):
    from dsmrhub.alerts.services import alert_target_add, alerts_step
    from dsmrhub.backup.services import BackupError, backup_run
    from tests.alerts.endpoint import Endpoint

    html = client.get("/status/").content.decode()
    assert "Daily backup at 03:00, the last 7 kept" in _text(html, "backups")
    assert "Last backup none yet" in _text(html, "backups")
    assert "no notification URL set" in _text(html, "alerts")

    made = backup_run(directory=tmp_path)
    endpoint = Endpoint()
    try:
        alert_target_add(url=endpoint.url)
        alerts_step()
        html = client.get("/status/").content.decode()
    finally:
        endpoint.stop()
    backups = _text(html, "backups")
    assert made.path.name in backups and re.search(r"Size \d+(\.\d)? (KB|bytes)", backups), backups
    assert re.search(r"Next backup \d{1,2} [A-Z][a-z]{2} \d{4} 03:00", backups), backups
    alerts = _text(html, "alerts")
    assert "enabled, 1 notification URL" in alerts
    assert f"Sent {len(endpoint.messages)} " in alerts and len(endpoint.messages) >= 1

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(BackupError):
        backup_run(directory=blocked / "sub")
    html = client.get("/status/").content.decode()
    assert "cannot write the backup to" in _text(html, "backups")
    assert "The last backup failed (1 times since the last good one)" in _text(html, "problems")


@pytest.mark.django_db
def test_a_nearly_full_disk_is_a_problem(client, monkeypatch):
    from dsmrhub.backup import selectors

    monkeypatch.setattr(selectors, "DISK_FREE_MIN_BYTES", 1 << 62)  # more than any disk has free
    problems = _text(client.get("/status/").content.decode(), "problems")
    assert re.search(r"The disk of \S+ is nearly full: [\d.]+ [KMGT]B free of [\d.]+ [KMGT]B\.", problems), (
        problems
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_status_page_refreshes_itself_and_keeps_the_scroll(
    request, transactional_db, scheme, width, tmp_path
):
    from dsmrhub.backup.services import BackupError, backup_run

    browser_page = request.getfixturevalue("browser_page" if width == "desktop" else "phone_page")
    _known_data()
    page = browser_page.page
    page.emulate_media(color_scheme=scheme)
    browser_page.open("/status/")
    assert page.locator(".backup-error").inner_text() == "–"
    page.evaluate("document.getElementById('alerts').scrollIntoView()")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    assert page.evaluate("window.scrollY") > 0
    where = "document.getElementById('alerts').getBoundingClientRect().top"
    before = page.evaluate(where)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(BackupError):
        backup_run(directory=blocked / "sub")
    # no reload: the page fetches itself every 10 s and swaps in the new figures
    page.locator(".backup-error", has_text="cannot write the backup").wait_for(timeout=25_000)
    assert page.evaluate("window.notReloaded") is True
    # what was in view stays where it was, although a problem (lines of text) appeared above it
    assert abs(page.evaluate(where) - before) < 2, (before, page.evaluate(where))
    assert browser_page.fits_width()
    browser_page.screenshot(f"status-{width}-{scheme}")
    assert browser_page.errors == []
