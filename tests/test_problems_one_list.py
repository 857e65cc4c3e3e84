"""One list of problems: a situation with stale readings, processing behind and a failed backup shows the
same problems, word for word and from the same source, in API v2's monitoring, on the status page and in the
alerts; the dashboard's stale banner agrees; once processing catches up the problem leaves all three."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dsmrhub.alerts.services import alert_target_add, alerts_step
from dsmrhub.backup.services import BackupError, backup_run
from dsmrhub.processing.services import processing_run_pending
from dsmrhub.readings.services import reading_ingest_telegram
from dsmrhub.web.dashboard import dashboard_latest
from dsmrhub.web.status import problem_html
from dsmrhub.web.templatetags.units import moment_text
from tests.alerts.endpoint import Endpoint
from tests.helpers import demo_telegrams

NOW = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
LAST_READING = NOW - timedelta(minutes=10)
READINGS = 30  # one every 10 s, the last LAST_READING
FIRST_READING = LAST_READING - timedelta(seconds=10 * (READINGS - 1))

PROBLEM_ITEM = re.compile(
    r'<li class="problem" data-source="([^"]*)">(.*?)(?: <small class="muted">\(since (.*?)\)</small>)?</li>',
    re.S,
)


@pytest.fixture
def endpoint():
    server = Endpoint()
    yield server
    server.stop()


def _monitoring(api_client) -> list[dict]:
    response = api_client.get("/api/v2/application/monitoring")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"problems", "details", "healthy"}
    assert body["problems"] == len(body["details"]) and body["healthy"] is (not body["details"])
    return body["details"]


def _status_page(client) -> list[tuple[str, str, str | None]]:
    page = client.get("/status/").content.decode()
    section = page.split('id="problems"', 1)[1].split("</article>", 1)[0]
    found = PROBLEM_ITEM.findall(section)
    assert len(found) == section.count("<li ")  # every item has the shape the pattern reads
    return [(html.unescape(source), text, since or None) for source, text, since in found]


def _starting(problems: list[dict], words: str) -> list[dict]:
    return [problem for problem in problems if problem["description"].startswith(words)]


def _as_on_the_page(problem: dict) -> tuple[str, str, str | None]:
    since = problem["since"] and moment_text(datetime.fromisoformat(problem["since"]))
    return problem["source"], str(problem_html(problem["description"])), since


def _fail_a_backup(tmp_path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the backups should go")
    with pytest.raises(BackupError):
        backup_run(directory=blocked / "backups")


@pytest.mark.django_db(transaction=True)  # a backup reads committed data
def test_a_problem_shows_identically_in_the_api_the_status_page_and_the_alerts(
    api_client, client, endpoint, tmp_path
):
    with time_machine.travel(NOW, tick=False):
        for moment, telegram in demo_telegrams(READINGS, start=FIRST_READING):
            reading_ingest_telegram(telegram=telegram, received_at=moment)  # stored, not processed
        _fail_a_backup(tmp_path)
        alert_target_add(url=endpoint.url)
        alerts_step(now=NOW)

        api = _monitoring(api_client)
        lag = int((NOW - FIRST_READING.replace(second=0)).total_seconds())  # since the oldest pending minute
        [stale] = _starting(api, "No new reading")
        [behind] = _starting(api, f"{READINGS} readings wait")
        [failed] = _starting(api, "The last backup failed")
        assert stale == {
            "source": "dsmrhub.processing",
            "description": "No new reading for 10 minutes: is the meter connected?",
            "since": LAST_READING.isoformat().replace("+00:00", "Z"),
        }
        assert behind["description"] == (
            f"{READINGS} readings wait for processing for {lag} seconds: "
            "is the processor (`dsmrhub process --follow`) running?"
        )
        assert behind["since"] == FIRST_READING.replace(second=0).isoformat().replace("+00:00", "Z")
        assert failed["description"].startswith("The last backup failed (1 times since the last good one): ")
        assert failed["source"] == "dsmrhub.backup"  # new in monitoring: the status page and alerts had it
        assert failed["since"] == NOW.isoformat().replace("+00:00", "Z")

        # the status page: the same problems in the same order, each from its source, commands as <code>
        assert _status_page(client) == [_as_on_the_page(problem) for problem in api]
        assert "<code>dsmrhub process --follow</code>" in _as_on_the_page(behind)[1]

        # the alerts: one message per problem, its text the API's description
        assert sorted(message["message"] for message in endpoint.messages) == sorted(
            problem["description"] for problem in api
        )
        titles = {message["message"]: message["title"] for message in endpoint.messages}
        assert titles[stale["description"]] == "Problem: " + stale["description"]
        assert titles[behind["description"]].startswith("Problem: 30 readings wait for processing")
        assert "`" not in titles[behind["description"]]

        # the dashboard's banner follows the same staleness rule
        assert dashboard_latest(now=NOW)["stale"] is True

        # processing catches up: that problem leaves the API and the page, and the alerts say it is solved
        processing_run_pending()
        alerts_step(now=NOW)
        after = _monitoring(api_client)
        assert behind not in after and stale in after and failed in after
        assert len(after) == len(api) - 1
        assert _status_page(client) == [_as_on_the_page(problem) for problem in after]
        solved = endpoint.messages[len(api) :]
        assert [message["message"] for message in solved] == ["Solved: " + behind["description"]]

    fresh = LAST_READING + timedelta(minutes=5)  # the last reading exactly at the limit: not stale yet
    with time_machine.travel(fresh, tick=False):
        assert _starting(_monitoring(api_client), "No new reading") == []
        assert dashboard_latest(now=fresh)["stale"] is False
