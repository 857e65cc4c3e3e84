"""prices_fetch and the schedule against local fake providers (real HTTP on 127.0.0.1, recorded formats)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.backoff import Backoff
from dsmrhub.spotprices.fetch import (
    IDLE,
    PriceFetchError,
    prices_fetch,
    prices_fetch_due,
    prices_schedule_step,
)
from dsmrhub.spotprices.models import MarketPrice, PriceFetchSettings
from dsmrhub.spotprices.selectors import market_prices, prices_missing_for
from dsmrhub.spotprices.services import PricePeriod, market_prices_store
from tests.spotprices.conftest import FIXTURES

pytestmark = pytest.mark.django_db

D = Decimal
H = timedelta(hours=1)
Q = timedelta(minutes=15)
DEC4 = date(2026, 12, 4)
DEC4_START = datetime(2026, 12, 3, 23, tzinfo=UTC)  # local midnight (CET)
NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)  # 15:00 local on Dec 4: the 5th is published
ELECTRICITY = (FIXTURES / "energyzero_electricity_2026-12-04.json").read_bytes()
GAS = (FIXTURES / "energyzero_gas_2026-12-04.json").read_bytes()
MARCH29 = (FIXTURES / "entsoe_a44_nl_2026-03-29_pt15m_a03.xml").read_bytes()
CONFLICT = (
    b'{"Prices": [{"price": 0.1, "readingDate": "2026-12-04T05:00:00Z"},'
    b' {"price": 0.2, "readingDate": "2026-12-04T05:00:00Z"}], "intervalType": 4}'
)
NO_DATA = (FIXTURES / "entsoe_acknowledgement_no_data.xml").read_bytes()


def energyzero(provider, *, electricity: bytes = ELECTRICITY, gas: bytes = GAS) -> None:
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    provider.answer = lambda path, query: (200, electricity if query["usageType"] == "1" else gas)


def rows() -> list[tuple]:
    return list(
        MarketPrice.objects.order_by("commodity", "start").values_list(
            "commodity", "start", "price", "source"
        )
    )


def test_energyzero_day_fetched_and_stored(fake_provider):
    energyzero(fake_provider)
    result = prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert result.days == (DEC4,) and result.not_published == ()
    # 24 hours of electricity (stored for delivered and returned) and 24 of gas
    assert (result.stored.added, result.stored.total) == (72, 72)
    delivered = market_prices(commodity="electricity_delivered", start=DEC4_START, end=DEC4_START + 24 * H)
    assert [row.start for row in delivered] == [DEC4_START + n * H for n in range(24)]
    assert (delivered[0].price, delivered[23].price, delivered[0].source) == (
        D("0.0912"),
        D("0.09874"),
        "energyzero",
    )
    assert [
        row.price
        for row in market_prices(commodity="electricity_returned", start=DEC4_START, end=DEC4_START + 24 * H)
    ] == [row.price for row in delivered]
    assert prices_missing_for(day=DEC4) == []
    # the requests: the day in UTC, till its last millisecond, hours, electricity and gas, no VAT
    assert [(path, query["usageType"]) for path, query in fake_provider.requests] == [
        ("/api", "1"),
        ("/api", "3"),
    ]
    query = fake_provider.requests[0][1]
    assert (query["fromDate"], query["tillDate"], query["interval"], query["inclBtw"]) == (
        "2026-12-03T23:00:00.000Z", "2026-12-04T22:59:59.999Z", "4", "false"
    )  # fmt: skip
    config = PriceFetchSettings.peek()
    assert (config.last_attempt_at, config.last_success_at, config.last_error) == (NOW, NOW, "")

    # the same answer again (a duplicate fetch): nothing changes
    again = prices_fetch(days=[DEC4], now=NOW + H, base_url=fake_provider.url)
    assert (again.stored.added, again.stored.unchanged) == (0, 72)


def test_entsoe_fetch_sends_token_and_zone_and_stores_quarter_hours(fake_provider):
    PriceFetchSettings.store(
        enabled=True, provider="entsoe", token="secret-token-123", zone="10YBE----------2"
    )
    fake_provider.answer = lambda path, query: (200, MARCH29)
    march29 = date(2026, 3, 29)
    result = prices_fetch(
        days=[march29], now=datetime(2026, 3, 28, 13, tzinfo=UTC), base_url=fake_provider.url
    )
    assert result.stored.added == 2 * 92  # 23 hours of quarter hours, delivered and returned
    ((path, query),) = fake_provider.requests
    assert query == {
        "securityToken": "secret-token-123", "documentType": "A44", "in_Domain": "10YBE----------2",
        "out_Domain": "10YBE----------2", "contract_MarketAgreement.type": "A01",
        "periodStart": "202603282300", "periodEnd": "202603292200",
    }  # fmt: skip
    assert prices_missing_for(day=march29) == []


def test_only_http_urls_are_asked(tmp_path):
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    with pytest.raises(PriceFetchError, match="only http and https URLs"):
        prices_fetch(days=[DEC4], now=NOW, base_url=(tmp_path / "prices.json").as_uri())


def test_entsoe_without_token_is_an_error_before_asking(fake_provider):
    PriceFetchSettings.store(enabled=True, provider="entsoe", token="")
    with pytest.raises(PriceFetchError, match="needs a security token"):
        prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert fake_provider.requests == []


def test_entsoe_refusal_shows_its_reason_and_never_the_token(fake_provider):
    PriceFetchSettings.store(enabled=True, provider="entsoe", token="secret-token-123")
    fake_provider.answer = lambda path, query: (400, NO_DATA)
    with pytest.raises(PriceFetchError, match="HTTP 400: ENTSO-E sent no prices: No matching data") as error:
        prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert "secret-token-123" not in str(error.value)
    assert "secret-token-123" not in PriceFetchSettings.peek().last_error


def test_unreachable_provider_stores_nothing_and_records_the_error(closed_port_url):
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    with pytest.raises(PriceFetchError, match="energyzero: cannot reach http://127.0.0.1:\\d+/api"):
        prices_fetch(days=[DEC4], now=NOW, base_url=closed_port_url)
    config = PriceFetchSettings.peek()
    assert config.last_attempt_at == NOW and config.last_success_at is None
    assert config.last_error.startswith("energyzero: cannot reach")
    assert rows() == []


@pytest.mark.parametrize(
    ("status", "gas", "says"),
    [
        (200, b"<html>502 Bad Gateway</html>", "not JSON"),
        (500, b"oops", "answered HTTP 500"),
        (200, CONFLICT, "two different prices"),
    ],
)  # fmt: skip
def test_a_bad_second_answer_stores_nothing_of_the_first(fake_provider, status, gas, says):
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    fake_provider.answer = lambda path, query: (
        (200, ELECTRICITY) if query["usageType"] == "1" else (status, gas)
    )
    with pytest.raises(PriceFetchError, match=says):
        prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert rows() == []


def test_a_partial_day_is_refused(fake_provider):
    # 20 of the 24 hours: cut the last four entries out of the recorded answer
    data = json.loads(ELECTRICITY)
    data["Prices"] = data["Prices"][:20]
    energyzero(fake_provider, electricity=json.dumps(data).encode())
    with pytest.raises(
        PriceFetchError, match="prices for 2026-12-04 cover 20:00:00 of 1 day, 0:00:00 .*partial"
    ):
        prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert rows() == []


def test_tomorrow_not_published_yet_keeps_today(fake_provider):
    empty = b'{"Prices": [], "intervalType": 4, "average": 0}'
    energyzero(fake_provider)  # the fixture holds Dec 4 only: Dec 5 has no prices yet
    result = prices_fetch(days=[DEC4, DEC4 + timedelta(days=1)], now=NOW, base_url=fake_provider.url)
    assert result.days == (DEC4,) and result.not_published == (date(2026, 12, 5),)
    assert prices_missing_for(day=DEC4) == []
    # nothing at all for a future day only: an error (retried later), nothing stored
    energyzero(fake_provider, electricity=empty, gas=empty)
    with pytest.raises(PriceFetchError, match="no prices for 2026-12-05 yet"):
        prices_fetch(days=[date(2026, 12, 5)], now=NOW, base_url=fake_provider.url)


def test_schedule_fetches_what_is_due_and_backs_off_on_failure(fake_provider, closed_port_url, monkeypatch):
    backoff = Backoff(initial=60, cap=1800)
    energyzero(fake_provider)
    morning = datetime(2026, 12, 4, 9, tzinfo=UTC)  # 10:00 local: only today is due
    assert prices_fetch_due(now=morning) == [DEC4]
    assert prices_fetch_due(now=NOW) == [DEC4, date(2026, 12, 5)]

    # the provider unreachable: pauses double (the project's Backoff), nothing stored
    monkeypatch.setenv("DSMRHUB_PRICES_URL", closed_port_url)
    assert [prices_schedule_step(now=morning, backoff=backoff) for _ in range(3)] == [60, 120, 240]
    assert rows() == [] and PriceFetchSettings.peek().last_error.startswith("energyzero: cannot reach")

    # reachable again: today is fetched, the backoff starts over, then nothing is due until 13:15 local
    monkeypatch.setenv("DSMRHUB_PRICES_URL", fake_provider.url)
    assert prices_schedule_step(now=morning, backoff=backoff) == IDLE
    assert prices_missing_for(day=DEC4) == [] and PriceFetchSettings.peek().last_error == ""
    requests = len(fake_provider.requests)
    assert prices_schedule_step(now=morning + H, backoff=backoff) == IDLE
    assert len(fake_provider.requests) == requests  # nothing due: nothing asked
    # after 13:15 local, tomorrow is due but not published (the fixture has Dec 4 only): retried with backoff
    assert prices_schedule_step(now=NOW, backoff=backoff) == 60
    assert prices_schedule_step(now=NOW, backoff=backoff) == 120

    # fetching disabled: idle, nothing asked
    PriceFetchSettings.store(enabled=False)
    requests = len(fake_provider.requests)
    assert prices_schedule_step(now=NOW, backoff=backoff) == IDLE
    assert len(fake_provider.requests) == requests


def test_todays_gas_hours_make_today_due_only_for_a_provider_with_gas():
    morning = datetime(2026, 12, 4, 9, tzinfo=UTC)
    electricity = [
        PricePeriod(commodity, DEC4_START + n * H, DEC4_START + (n + 1) * H, D("0.1"))
        for n in range(24)
        for commodity in ("electricity_delivered", "electricity_returned")
    ]
    # gas until 06:00 local only (the previous gas day), as asked the afternoon before
    gas = [PricePeriod("gas", DEC4_START + n * H, DEC4_START + (n + 1) * H, D("0.46")) for n in range(6)]
    market_prices_store(periods=electricity + gas, source="energyzero")
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    assert prices_fetch_due(now=morning) == [DEC4]
    PriceFetchSettings.store(provider="entsoe")
    assert prices_fetch_due(now=morning) == []
