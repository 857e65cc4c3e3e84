"""Provider faults against local fake servers: answers cut off mid-body, a provider that never answers,
ENTSO-E answers that are malformed, partial or repeated. Each is a clear one-line error with nothing
stored (or, for a repeat, nothing changed), recorded for the status page and retried by the schedule."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dsmrhub.backoff import Backoff
from dsmrhub.spotprices.fetch import PriceFetchError, prices_fetch, prices_schedule_step
from dsmrhub.spotprices.models import MarketPrice, PriceFetchSettings
from dsmrhub.spotprices.providers import ProviderError, http_get
from dsmrhub.spotprices.selectors import day_bounds, prices_missing_for
from tests.spotprices.conftest import FIXTURES

pytestmark = pytest.mark.django_db

DEC4 = date(2026, 12, 4)
NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)  # 10:00 local: only today is due
ELECTRICITY = (FIXTURES / "energyzero_electricity_2026-12-04.json").read_bytes()
GAS = (FIXTURES / "energyzero_gas_2026-12-04.json").read_bytes()
MARCH29 = date(2026, 3, 29)
MARCH29_FETCHED = datetime(2026, 3, 28, 13, tzinfo=UTC)
A03 = (FIXTURES / "entsoe_a44_nl_2026-03-29_pt15m_a03.xml").read_bytes()


def entsoe(provider, body: bytes, status: int = 200) -> None:
    PriceFetchSettings.store(
        enabled=True, provider="entsoe", token="secret-token-123", zone="10YNL----------L"
    )
    provider.answer = lambda path, query: (status, body)


def entsoe_hours(start: datetime, prices: list[str]) -> bytes:
    """A day-ahead document (A44, curve A01, hourly) with ``prices`` (€/MWh) from ``start`` (UTC) on."""
    end = start + timedelta(hours=len(prices))
    stamp = "%Y-%m-%dT%H:%MZ"
    points = "".join(
        f"<Point><position>{n}</position><price.amount>{price}</price.amount></Point>"
        for n, price in enumerate(prices, start=1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Publication_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3">'
        "<type>A44</type><TimeSeries><currency_Unit.name>EUR</currency_Unit.name>"
        "<price_Measure_Unit.name>MWH</price_Measure_Unit.name><curveType>A01</curveType>"
        f"<Period><timeInterval><start>{start:{stamp}}</start><end>{end:{stamp}}</end></timeInterval>"
        f"<resolution>PT60M</resolution>{points}</Period></TimeSeries></Publication_MarketDocument>"
    ).encode()


@pytest.fixture
def raw_server() -> Iterator[tuple[str, list]]:
    """A bare TCP server on 127.0.0.1; the test sets ``behaviour[0]`` to what it does with a connection:
    "truncate" (headers promising 5,000 bytes, then 40 and a close), "chunked" (a chunked answer that stops
    after its first chunk) or "silent" (never answers until the test ends)."""
    behaviour: list = ["truncate"]
    done = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                if behaviour[0] == "truncate":
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                        + ELECTRICITY[:40]
                    )
                elif behaviour[0] == "chunked":  # one chunk of 40 bytes, then the connection closes
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + b"Transfer-Encoding: chunked\r\n\r\n"
                        + b"28\r\n"
                        + ELECTRICITY[:40]
                        + b"\r\n"
                    )
                else:
                    done.wait()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/api", behaviour
    finally:
        done.set()
        thread.join()
        server.close()


@pytest.mark.parametrize("how", ["truncate", "chunked"])
def test_an_answer_cut_off_mid_body_is_a_clear_error_and_the_schedule_retries(raw_server, monkeypatch, how):
    url, behaviour = raw_server
    behaviour[0] = how
    PriceFetchSettings.store(enabled=True, provider="energyzero")
    with pytest.raises(PriceFetchError, match=r"energyzero: .*127\.0\.0\.1.*cut off"):
        prices_fetch(days=[DEC4], now=NOW, base_url=url)
    assert not MarketPrice.objects.exists()
    assert "cut off" in PriceFetchSettings.peek().last_error
    # the schedule keeps going: a pause from the backoff, not a crash of `dsmrhub run`'s price part
    monkeypatch.setenv("DSMRHUB_PRICES_URL", url)
    backoff = Backoff(initial=60, cap=1800)
    assert [prices_schedule_step(now=NOW, backoff=backoff) for _ in range(2)] == [60, 120]


def test_a_provider_that_never_answers_times_out(raw_server):
    url, behaviour = raw_server
    behaviour[0] = "silent"
    with pytest.raises(ProviderError, match=r"cannot reach http://127\.0\.0\.1:\d+/api: .*timed out"):
        http_get(url, timeout=0.3)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<html><body>Service Unavailable</body></html>", "not an ENTSO-E price document"),
        (b'{"Prices": []}', "not an XML document"),
        (A03.replace(b"<type>A44</type>", b"<type>A25</type>"), "type A25, expected A44"),
        (A03.replace(b"MWH", b"KWH"), "unknown unit 'KWH'"),
        (A03[: len(A03) // 2], "not an XML document"),
    ],
)
def test_malformed_entsoe_answers_store_nothing(fake_provider, body, says):
    entsoe(fake_provider, body)
    with pytest.raises(PriceFetchError, match=f"entsoe: .*{says}"):
        prices_fetch(days=[MARCH29], now=MARCH29_FETCHED, base_url=fake_provider.url)
    assert not MarketPrice.objects.exists()
    assert says in PriceFetchSettings.peek().last_error
    assert "secret-token-123" not in PriceFetchSettings.peek().last_error


def test_a_partial_entsoe_day_is_refused_and_a_past_day_without_prices_too(fake_provider):
    start = day_bounds(day=DEC4)[0]
    entsoe(fake_provider, entsoe_hours(start, ["91.5"] * 20))  # 20 of the 24 hours
    with pytest.raises(PriceFetchError, match="prices for 2026-12-04 cover 20:00:00 of 1 day.*partial"):
        prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert not MarketPrice.objects.exists()
    # an answer for another day only: today is not covered at all, and today is not "not published yet"
    entsoe(fake_provider, entsoe_hours(start - timedelta(days=1), ["80"] * 24))
    with pytest.raises(PriceFetchError, match="prices for 2026-12-04 cover 0:00:00 of 1 day"):
        prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert not MarketPrice.objects.exists()


def test_a_repeated_entsoe_answer_changes_nothing_and_a_revision_replaces_its_own_prices(fake_provider):
    start = day_bounds(day=DEC4)[0]
    prices = [f"{80 + n}.5" for n in range(24)]
    entsoe(fake_provider, entsoe_hours(start, prices))
    first = prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert (first.stored.added, first.stored.unchanged) == (48, 0)  # delivered and returned
    again = prices_fetch(days=[DEC4], now=NOW + timedelta(hours=1), base_url=fake_provider.url)
    assert (again.stored.added, again.stored.replaced, again.stored.unchanged) == (0, 0, 48)
    prices[5] = "-12.25"  # a corrected hour
    entsoe(fake_provider, entsoe_hours(start, prices))
    revised = prices_fetch(days=[DEC4], now=NOW + timedelta(hours=2), base_url=fake_provider.url)
    assert (revised.stored.added, revised.stored.replaced, revised.stored.unchanged) == (0, 2, 46)
    assert MarketPrice.objects.count() == 48
    hour5 = MarketPrice.objects.get(commodity="electricity_delivered", start=start + timedelta(hours=5))
    assert hour5.price == Decimal("-12.25") / 1000
    assert prices_missing_for(day=DEC4) == []


def test_an_entsoe_answer_with_the_same_hour_twice_at_different_prices_is_refused(fake_provider):
    start = day_bounds(day=DEC4)[0]
    body = entsoe_hours(start, ["80"] * 24)
    series = body[body.index(b"<TimeSeries>") : body.index(b"</TimeSeries>") + len(b"</TimeSeries>")]
    twice = body.replace(series, series + series.replace(b"<price.amount>80<", b"<price.amount>81<", 1))
    entsoe(fake_provider, twice)
    with pytest.raises(PriceFetchError, match="two different prices for 2026-12-03T23:00:00"):
        prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url)
    assert not MarketPrice.objects.exists()
    # the same series twice with the same prices (a duplicate): stored once
    entsoe(fake_provider, body.replace(series, series + series))
    assert prices_fetch(days=[DEC4], now=NOW, base_url=fake_provider.url).stored.added == 48
