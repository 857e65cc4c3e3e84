"""API v2 /costs and /costs/compare: the engine's figures over HTTP, documented, bad input a 400."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dsmrhub.processing.contracts import contract_save
from tests.prices.days import GAS_PER_DAY, KWH_PER_DAY, two_days

pytestmark = pytest.mark.django_db
D = Decimal


def R(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def priced():
    two_days()  # 2026-03-02 and 03-03: 1.8 kW on tariff 1, 0.120 m3 gas an hour
    return contract_save(
        description="Fixed",
        start=date(2026, 1, 1),
        prices={
            "electricity_delivered_1_price": D("0.25"),
            "gas_price": D("1.1"),
            "fixed_daily_cost": D("0.4"),
        },
    ).contract


def test_costs_per_day_and_per_hour(api_client, priced):
    body = api_client.get("/api/v2/costs?from=2026-03-02&to=2026-03-03&period=day").json()
    assert (body["period"], body["contract"], len(body["periods"])) == ("day", None, 2)
    day = body["periods"][0]
    expected = R(R(KWH_PER_DAY * D("0.25")) + R(GAS_PER_DAY * D("1.1")) + D("0.4"))
    assert day["start"] == "2026-03-02T00:00:00+01:00"
    assert (day["total_cost"], D(day["delivered"]), day["missing"]) == (str(expected), KWH_PER_DAY, 0)
    hours = api_client.get("/api/v2/costs?from=2026-03-02&to=2026-03-02&period=hour").json()["periods"]
    assert len(hours) == 24
    assert hours[5]["electricity_cost"] == str(R(D("1.8") * D("0.25")))


def test_compare_by_get_and_by_post_with_an_ad_hoc_contract(api_client, priced):
    body = api_client.get(f"/api/v2/costs/compare?from=2026-03-02&to=2026-03-03&contract={priced.pk}").json()
    assert [c["label"] for c in body["contracts"]] == ["in force", "Fixed"]
    assert body["contracts"][0]["total"] == body["contracts"][1]["total"]
    spec = {"description": "cheap", "electricity_delivered_1_price": "0.20", "gas_price": "1.0"}
    response = api_client.post(
        "/api/v2/costs/compare",
        {"from": "2026-03-02", "to": "2026-03-03", "contracts": [spec]},
        format="json",
    )
    assert response.status_code == 200, response.content
    cheap = response.json()["contracts"][1]
    assert cheap["months"][0]["month"] == "2026-03"
    assert cheap["total"]["total_cost"] == str(R(R(2 * KWH_PER_DAY * D("0.20")) + R(2 * GAS_PER_DAY)))


@pytest.mark.parametrize(
    ("method", "url", "body", "says"),
    [
        ("get", "/api/v2/costs?from=2026-03-02", None, "to"),
        ("get", "/api/v2/costs?from=2026-03-03&to=2026-03-02", None, "lies before from"),
        ("get", "/api/v2/costs?from=2025-01-01&to=2026-03-02&period=quarter", None, "at most 366 days"),
        ("get", "/api/v2/costs?from=2026-03-02&to=2026-03-02&period=week", None, "period"),
        ("get", "/api/v2/costs?from=2026-03-02&to=2026-03-02&day=1", None, "unknown parameters day"),
        ("get", "/api/v2/costs?from=0001-01-01&to=2026-03-02", None, "a day from 2000-01-01"),
        ("get", "/api/v2/costs?from=2026-03-02&to=2026-03-02&contract=999", None, "there is no contract 999"),
        ("get", "/api/v2/costs/compare?from=2026-03-02&to=2026-03-02&contract=abc", None, "contract id or"),
        (
            "post",
            "/api/v2/costs/compare",
            {"from": "2026-03-02", "to": "2026-03-02", "contracts": [{"kind": "x"}]},
            "unknown contract kind 'x'",
        ),
        (
            "post",
            "/api/v2/costs/compare",
            {"from": "2026-03-02", "to": "2026-03-02", "contracts": [{"gas_price": "11"}]},
            "less than or equal to 10",
        ),
        (
            "post",
            "/api/v2/costs/compare",
            {"from": "2026-03-02", "to": "2026-03-02", "extra": 1},
            "unknown keys extra",
        ),
    ],
)
def test_bad_input_is_a_400_with_a_reason(api_client, method, url, body, says):
    response = getattr(api_client, method)(url, body, format="json") if body else api_client.get(url)
    assert response.status_code == 400
    assert says in response.content.decode()


def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/v2/schema", HTTP_ACCEPT="application/json").json()
    assert {"/api/v2/costs", "/api/v2/costs/compare"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/v2/costs/compare"]
