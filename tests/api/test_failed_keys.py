"""A wrong API key is logged with the client's address, one line per address a minute."""

from __future__ import annotations

import logging

import pytest

from dsmrhub.api import services
from tests.helpers import demo_telegrams

pytestmark = pytest.mark.django_db
V1 = "/api/v1/datalogger/dsmrreading"
V2 = "/api/v2/datalogger/dsmrreading"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(services, "_failed_keys", services._FailedKeyLog(clock=clock))
    return clock


def _wrong_key_lines(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("API request with a wrong key")
    ]


def test_wrong_keys_are_logged_once_a_minute_per_address_with_the_count_in_between(
    client, api_key, clock, caplog
):
    caplog.set_level(logging.WARNING, logger="dsmrhub.api.services")
    telegram = demo_telegrams(1)[0][1]
    for _ in range(5):
        response = client.post(V1, {"telegram": telegram}, HTTP_AUTHORIZATION="Token wrong-key-1234567890")
        assert response.status_code == 401
    assert client.get(V2, HTTP_AUTHORIZATION="Token wrong-key", REMOTE_ADDR="10.0.0.9").status_code == 401
    assert _wrong_key_lines(caplog) == [
        "API request with a wrong key from 127.0.0.1",
        "API request with a wrong key from 10.0.0.9",
    ]
    clock.now += 61
    client.post(V1, {"telegram": telegram}, HTTP_X_AUTHKEY="another-wrong-key")
    assert _wrong_key_lines(caplog)[-1] == (
        "API request with a wrong key from 127.0.0.1 (4 more since the last line, not logged)"
    )
    assert client.post(V1, {"telegram": telegram}, HTTP_AUTHORIZATION=f"Token {api_key}").status_code == 201
    assert len(_wrong_key_lines(caplog)) == 3


def test_the_log_forgets_quiet_addresses_when_many_have_failed(clock):
    log = services._FailedKeyLog(clock=clock, max_addresses=3)
    for n in range(3):
        log.note(f"10.0.0.{n}")
    clock.now += 61
    log.note("10.0.0.3")
    assert set(log._seen) == {"10.0.0.3"}
