"""Alerts through Apprise to a local JSON endpoint: a problem appears, stays, clears; an endpoint that is
down; the daily summary; the command line and the `upkeep` part as real processes."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from dsmrhub.alerts import problems as problems_module
from dsmrhub.alerts.models import AlertMessage, AlertState, AlertTarget, AnnouncedProblem
from dsmrhub.alerts.problems import problems_current
from dsmrhub.alerts.services import (
    RETRY_FIRST,
    AlertError,
    alert_settings_update,
    alert_target_add,
    alerts_step,
    alerts_summary,
    summary_text,
)
from dsmrhub.backup.services import BackupError, backup_run
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.services import reading_ingest_telegram
from tests.alerts.endpoint import Endpoint
from tests.helpers import demo_telegrams
from tests.processes import stop_process, wait_until


def _fail_a_backup(tmp_path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the backups should go")
    with pytest.raises(BackupError):
        backup_run(directory=blocked / "backups")


@pytest.mark.django_db(transaction=True)  # a backup needs committed data
def test_a_problem_is_announced_once_when_it_appears_and_once_when_it_clears(endpoint, tmp_path):
    alert_target_add(url=endpoint.url)
    now = timezone.now()
    alerts_step(now=now)
    baseline = [problem.text for problem in problems_current(now=now)]
    assert "No readings have been stored yet." in baseline
    assert sorted(message["message"] for message in endpoint.messages) == sorted(baseline)

    _fail_a_backup(tmp_path)
    alerts_step(now=now + timedelta(seconds=30))
    [appeared] = endpoint.messages[len(baseline) :]
    assert appeared["title"].startswith("Problem: The last backup failed (1 times since the last good one)")
    assert "cannot write the backup to" in appeared["message"]

    _fail_a_backup(tmp_path)  # still failing (its count changes): no second message
    alerts_step(now=now + timedelta(seconds=60))
    alerts_step(now=now + timedelta(seconds=90))
    assert len(endpoint.messages) == len(baseline) + 1

    backup_run(directory=tmp_path / "backups")
    alerts_step(now=now + timedelta(seconds=120))
    [cleared] = endpoint.messages[len(baseline) + 1 :]
    assert cleared["title"].startswith("Solved: The last backup failed")
    assert AlertState.peek().sent == len(baseline) + 2
    assert AlertMessage.objects.count() == 0
    assert "apprise" not in sys.modules  # ~45 MB: loaded only in the short-lived sending process


@pytest.mark.django_db
def test_an_endpoint_that_is_down_is_retried_later_and_counted(tmp_path, caplog):
    down = Endpoint()
    port = down.port
    down.stop()  # nothing listens on the port now
    alert_target_add(url=f"json://127.0.0.1:{port}/notify")
    now = timezone.now()
    with caplog.at_level(logging.WARNING, logger="dsmrhub.alerts"):
        pause = alerts_step(now=now)  # never raises
    waiting = AlertMessage.objects.count()
    assert waiting == len(problems_current(now=now)) > 0
    state = AlertState.peek()
    assert state.failed_attempts == waiting and state.sent == 0
    assert "Connection error" in state.last_error and f"127.0.0.1:{port}" in state.last_error
    assert 1 <= pause <= RETRY_FIRST
    assert all(m.next_attempt_at == now + timedelta(seconds=RETRY_FIRST) for m in AlertMessage.objects.all())

    alerts_step(now=now + timedelta(seconds=RETRY_FIRST / 2))  # not due yet: no attempt
    assert AlertState.peek().failed_attempts == waiting

    alerts_step(now=now + timedelta(seconds=RETRY_FIRST))  # due, still down: the pause doubles
    assert AlertState.peek().failed_attempts == 2 * waiting
    assert {m.attempts for m in AlertMessage.objects.all()} == {2}
    again = now + timedelta(seconds=RETRY_FIRST * 3)
    assert all(m.next_attempt_at == again for m in AlertMessage.objects.all())

    up = Endpoint(port=port)
    try:
        alerts_step(now=again)
        assert len(up.messages) == waiting  # each problem once, after the endpoint came back
        assert AlertMessage.objects.count() == 0 and AlertState.peek().sent == waiting
    finally:
        up.stop()


@pytest.mark.django_db
def test_a_broken_part_never_ends_the_alerts(endpoint, monkeypatch, caplog):
    AlertTarget.objects.create(url="nonsense://not-apprise")  # stored before a check refused it
    alert_target_add(url=endpoint.url)
    now = timezone.now()
    alerts_step(now=now)
    assert AlertState.peek().last_error.endswith("not a valid notification URL")
    assert len(endpoint.messages) == len(problems_current(now=now))

    def broken(*, now):
        raise RuntimeError("a selector that fails")

    monkeypatch.setattr(problems_module, "PROBLEM_SOURCES", (("dsmrhub.test", broken),))
    with caplog.at_level(logging.ERROR, logger="dsmrhub.alerts"):
        assert alerts_step(now=now + timedelta(seconds=30)) > 0
    assert "alerts: this turn failed" in caplog.text


@pytest.mark.django_db
def test_no_targets_or_disabled_announce_nothing_and_remember_nothing(endpoint):
    now = timezone.now()
    alerts_step(now=now)
    assert AnnouncedProblem.objects.count() == 0 and AlertMessage.objects.count() == 0
    alert_target_add(url=endpoint.url)
    alert_settings_update(enabled=False)
    alerts_step(now=now)
    assert endpoint.messages == [] and AnnouncedProblem.objects.count() == 0
    alert_settings_update(enabled=True)
    alerts_step(now=now)
    assert len(endpoint.messages) == len(problems_current(now=now))


@pytest.mark.django_db
def test_targets_are_checked_and_never_stored_twice():
    for url in ("", "nonsense://x", "https://"):
        with pytest.raises(AlertError):
            alert_target_add(url=url)
    alert_target_add(url="ntfy://ntfy.example.org/my-topic")
    with pytest.raises(AlertError, match="there already"):
        alert_target_add(url="ntfy://ntfy.example.org/my-topic")
    with pytest.raises(AlertError, match="0 to 23"):
        alert_settings_update(summary_hour=24)


@pytest.mark.django_db
def test_the_daily_summary_tells_yesterdays_use_and_cost_once_a_day(endpoint):
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.now().astimezone(zone).date()
    yesterday = today - timedelta(days=1)
    start = timezone.make_aware(timezone.datetime(yesterday.year, yesterday.month, yesterday.day, 10), zone)
    for moment, telegram in demo_telegrams(130, start=start, step=timedelta(minutes=10)):  # into today
        reading_ingest_telegram(telegram=telegram, received_at=moment)
    processing_run_pending()
    day = DayStatistics.objects.get(day=yesterday)
    used = day.electricity1 + day.electricity2
    assert used > 0

    alert_target_add(url=endpoint.url)
    alert_settings_update(daily_summary=True, summary_hour=8)
    morning = timezone.make_aware(timezone.datetime(today.year, today.month, today.day, 7, 59), zone)
    assert alerts_summary(now=morning) is False  # before the hour
    assert alerts_summary(now=morning + timedelta(minutes=1)) is True
    assert alerts_summary(now=morning + timedelta(hours=2)) is False  # once a day
    text = summary_text(day=yesterday)
    assert text.startswith(f"{yesterday}: electricity {used.quantize(Decimal('0.001'))} kWh used")
    if day.total_cost is None:
        assert text.endswith("Cost unknown (prices missing).")
    else:
        assert text.endswith(f"Cost € {day.total_cost.quantize(Decimal('0.01'))}.")
    assert [m.body for m in AlertMessage.objects.all()] == [text]
    assert "No statistics for" in summary_text(day=yesterday - timedelta(days=30))


def _one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if " dsmrhub.db.migrate" not in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_the_alerts_command(install, endpoint):
    secret = "ntfy://someone:hunter2secret@ntfy.example.org/my-topic"
    assert install.run("alerts", "--add", secret).stdout.startswith("added 1")
    assert install.run("alerts", "--add", endpoint.url).stdout.startswith("added 2")
    shown = install.run("alerts", "--summary", "--summary-hour", "7").stdout
    assert "alerts enabled, daily summary at 07:00" in shown
    assert "1: ntfy://someone:****@ntfy.example.org/my-topic" in shown and "hunter2secret" not in shown
    assert f"2: {endpoint.url}" in shown
    install.run("alerts", "--remove", "1")
    tested = install.run("alerts", "--test")
    assert tested.stdout.strip() == f"{endpoint.url}: delivered"
    [message] = endpoint.messages
    assert (message["title"], message["message"], message["type"]) == (
        "dsmrhub",
        "A test message from dsmrhub: alerts reach you here.",
        "info",
    )
    for args, says in (
        (("--add", "nonsense://x"), "Not a notification URL that Apprise knows"),
        (("--remove", "7"), "No notification URL has number 7."),
        (("--summary-hour", "25"), "The summary hour is 0 to 23."),
    ):
        result = install.run("alerts", *args, check=False)
        assert result.returncode == 2 and says in _one_line_error(result), result.stderr
    endpoint.status = 500
    failed = install.run("alerts", "--test", check=False)
    assert failed.returncode == 1 and "not every test message was delivered" in _one_line_error(failed)


def test_the_upkeep_part_announces_problems_and_stops_on_sigterm(install, endpoint):
    install.run("alerts", "--add", endpoint.url)
    install.run("backup", "--no-daily")
    upkeep = install.start("upkeep", log="upkeep")
    try:
        wait_until(lambda: endpoint.messages, timeout=30, message="the first alert")
    finally:
        assert stop_process(upkeep) == 0, install.log_text("upkeep")
    assert "Problem: No readings have been stored yet." in endpoint.titles()
    assert "Traceback" not in install.log_text("upkeep")
