"""Energy contracts in the admin: the services' checks as form errors, and every change reprices at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import PRICE_FIELDS
from dsmrhub.processing.contracts import contract_save
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from tests.prices.days import KWH_PER_DAY, MARCH_2, MARCH_3, two_days
from tests.prices.days import rounded as _r
from tests.prices.days import total_cost as _total

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/admin/prices/energycontract/"


@pytest.fixture
def admin_client(client):
    User.objects.create_superuser("admin", "admin@example.com", "secret-password-1")
    client.login(username="admin", password="secret-password-1")
    return client


def _form(description: str, start: str, end: str = "", **prices: str) -> dict[str, str]:
    return {
        "description": description,
        "start": start,
        "end": end,
        **dict.fromkeys(PRICE_FIELDS, "0"),
        **prices,
    }


def test_adding_in_the_admin_reprices_at_once(admin_client):
    two_days()
    price = D("0.21")
    response = admin_client.post(
        f"{URL}add/",
        _form("Admin", "2026-03-02", "2026-03-02", electricity_delivered_1_price=str(price)),
        follow=True,
    )
    assert response.redirect_chain[-1] == (URL, 302)
    assert "The costs of 1 day were recomputed." in response.content.decode()
    assert (_total(MARCH_2), _total(MARCH_3)) == (_r(KWH_PER_DAY * price), D("0.00"))
    assert processing_run_pending().costs_refreshed == 0  # repriced already, not by the processor's fallback


def test_changing_in_the_admin_reprices_the_old_and_new_days(admin_client):
    two_days()
    contract = contract_save(
        description="March", start=MARCH_2, end=MARCH_2, prices={"electricity_delivered_1_price": D("0.2")}
    ).contract
    new_price = D("0.3")
    response = admin_client.post(
        f"{URL}{contract.pk}/change/",
        _form("March", "2026-03-03", "", electricity_delivered_1_price=str(new_price)),
    )
    assert response.status_code == 302
    assert (_total(MARCH_2), _total(MARCH_3)) == (D("0.00"), _r(KWH_PER_DAY * new_price))
    contract.refresh_from_db()
    assert (contract.start, contract.end, contract.electricity_delivered_1_price) == (
        MARCH_3,
        None,
        new_price,
    )


def test_deleting_in_the_admin_reprices_to_zero(admin_client):
    two_days()
    contract = contract_save(
        description="March", start=MARCH_2, prices={"electricity_delivered_1_price": D("0.2")}
    ).contract
    assert _total(MARCH_2) > 0
    response = admin_client.post(f"{URL}{contract.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not EnergyContract.objects.exists()
    assert set(DayStatistics.objects.values_list("total_cost", flat=True)) == {D("0.00")}


def test_bulk_delete_in_the_admin_reprices_every_contracts_days(admin_client):
    two_days()
    ids = [
        contract_save(description=str(day), start=day, end=day, prices={"gas_price": D("1")}).contract.pk
        for day in (MARCH_2, MARCH_3)
    ]
    response = admin_client.post(URL, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert not EnergyContract.objects.exists()
    assert set(DayStatistics.objects.values_list("total_cost", flat=True)) == {D("0.00")}


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"end": "9999-12-31"}, "end", "Choose a day from 2000-01-01 through 2099-12-31"),
        ({"start": "1970-01-01"}, "start", "Choose a day from 2000-01-01 through 2099-12-31"),
        ({"end": "2025-12-31"}, "end", "The last day lies before the first day."),
        ({"gas_price": "-1"}, "gas_price", "greater than or equal to 0"),
    ],
)
def test_bad_values_are_admin_form_errors(admin_client, changes, field, says):
    response = admin_client.post(f"{URL}add/", {**_form("Bad", "2026-01-01"), **changes})
    assert response.status_code == 200
    assert says in " ".join(response.context["adminform"].form.errors[field])
    assert not EnergyContract.objects.exists()


def test_an_overlap_is_an_admin_form_error(admin_client):
    contract_save(description="Spring", start=date(2026, 3, 1), end=date(2026, 5, 31), prices={})
    response = admin_client.post(f"{URL}add/", _form("Overlap", "2026-05-31"))
    assert response.status_code == 200
    assert "overlaps the contract “Spring” (2026-03-01 – 2026-05-31)" in response.content.decode()
    assert EnergyContract.objects.count() == 1
