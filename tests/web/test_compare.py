"""The compare page: contracts priced over the own history per month, next to the ones in force."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client

from dsmrhub.processing.contracts import contract_save
from tests.prices.days import GAS_PER_DAY, KWH_PER_DAY, two_days

pytestmark = pytest.mark.django_db
D = Decimal


def R(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_the_page_shows_each_contract_per_month_and_the_total():
    two_days()
    stored = contract_save(
        description="Fixed 2026",
        start=date(2026, 1, 1),
        prices={"electricity_delivered_1_price": D("0.25"), "gas_price": D("1.0"), "capacity_price": D("40")},
    ).contract
    client = Client()
    assert client.get("/compare/").status_code == 200
    spec = {"description": "Try", "electricity_delivered_1_price": "0.20", "gas_price": "1.0"}
    query = {"start": "2026-03-02", "end": "2026-03-03", "contract": stored.pk, "spec": json.dumps(spec)}
    page = client.get("/compare/", query).content.decode()
    in_force = R(R(2 * KWH_PER_DAY * D("0.25")) + R(2 * GAS_PER_DAY) + R(D("2.5") * 40 / 12))
    tried = R(R(2 * KWH_PER_DAY * D("0.20")) + R(2 * GAS_PER_DAY))
    assert 'id="compare-table"' in page and "March 2026" in page
    assert f"€\u00a0{in_force}" in page and f"€\u00a0{tried}" in page
    assert 'id="capacity-table"' in page and "1.800" in page  # 1.8 kW all day: below the 2.5 kW minimum


def test_bad_input_is_shown_on_the_page():
    client = Client()
    response = client.get("/compare/", {"start": "2026-03-03", "end": "2026-03-02"})
    assert (
        response.status_code == 400 and "The last day lies before the first day." in response.content.decode()
    )
    response = client.get("/compare/", {"start": "2026-03-02", "end": "2026-03-03", "spec": "{oops"})
    assert response.status_code == 400 and "Not JSON" in response.content.decode()
