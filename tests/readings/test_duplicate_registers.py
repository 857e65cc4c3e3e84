"""A telegram holding one register twice (with a valid CRC) is rejected with the parser's reason on every
path that stores telegrams: the ingest service (datalogger, API v1), the one check it shares with the bulk
path (import, datalogger batches), API v1 itself and `dsmrhub import`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from dsmrhub.readings.check import reading_check_telegram
from dsmrhub.readings.models import DsmrReading, MeterStatistics
from dsmrhub.readings.services import ReadingRejected, reading_ingest_telegram
from tests.helpers import demo_telegrams, with_crc

pytestmark = pytest.mark.django_db


def with_line_twice(telegram: str, obis: str) -> tuple[str, int, int]:
    """The telegram with the ``obis`` line again before its '!', a valid CRC, and both line numbers."""
    body = telegram[: telegram.index("!") + 1]
    line = next(line for line in body.split("\r\n") if line.startswith(obis + "("))
    number = body.split("\r\n").index(line) + 1
    twice = body.replace("\r\n!", f"\r\n{line}\r\n!")
    return with_crc(twice), number, twice.count("\r\n")


@pytest.fixture
def duplicate() -> tuple[str, str]:
    """(a telegram with 1-0:1.8.1 twice, the reason)"""
    telegram, first, again = with_line_twice(demo_telegrams(1)[0][1], "1-0:1.8.1")
    return telegram, f"duplicate register 1-0:1.8.1 on lines {first} and {again}"


def test_the_ingest_service_rejects_and_counts_it(duplicate):
    telegram, reason = duplicate
    with pytest.raises(ReadingRejected) as caught:
        reading_ingest_telegram(telegram=telegram)
    assert caught.value.reason == reason
    assert MeterStatistics.objects.get().rejected_telegrams == 1
    assert DsmrReading.objects.count() == 0


def test_the_check_gives_the_same_reason_cold_and_warm(duplicate):
    telegram, reason = duplicate
    moment, good = demo_telegrams(1)[0]
    for _ in range(2):  # the second time the lines come from the parser's line cache
        assert not isinstance(reading_check_telegram(good, received_at=moment), str)
        assert reading_check_telegram(telegram, received_at=moment) == reason
        assert reading_check_telegram(telegram.encode(), received_at=moment) == reason


def test_api_v1_answers_400_with_the_reason(client, api_key, duplicate):
    telegram, reason = duplicate
    response = client.post(
        "/api/v1/datalogger/dsmrreading", {"telegram": telegram}, HTTP_AUTHORIZATION=f"Token {api_key}"
    )
    assert response.status_code == 400
    assert response.content.decode() == f"telegram rejected: {reason}"
    assert MeterStatistics.objects.get().rejected_telegrams == 1


def test_import_rejects_it_and_stores_the_rest(tmp_path):
    (_, first), (_, second), (_, third) = demo_telegrams(3)
    telegram, number, again = with_line_twice(second, "0-1:24.2.1")  # the gas reading twice
    capture = tmp_path / "capture.txt"
    capture.write_text(first + telegram + third)
    out = StringIO()
    call_command("import", str(capture), "--quiet", stdout=out)
    assert "stored 2, duplicates 0, rejected 1" in out.getvalue()
    assert f"rejected 1: duplicate register 0-1:24.2.1 on lines {number} and {again}" in out.getvalue()
    assert DsmrReading.objects.count() == 2
