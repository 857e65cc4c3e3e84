"""Energy contracts page: totals over each contract's period, add/edit/delete with recomputed costs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.contracts import contract_save, contract_totals
from dsmrhub.processing.models import DayStatistics
from dsmrhub.processing.services import processing_run_pending
from tests.processing.builders import steady_stream, store, utc
from tests.web.conftest import log_in

D = Decimal
MARCH_2 = date(2026, 3, 2)
MARCH_3 = date(2026, 3, 3)
PRICES = {
    "electricity_delivered_1_price": "0.2",
    "electricity_delivered_2_price": "0.3",
    "electricity_returned_1_price": "0.05",
    "electricity_returned_2_price": "0.05",
    "gas_price": "1.125",
    "fixed_daily_cost": "0.123456",
}


def _two_days() -> None:
    """Local days 2026-03-02 and 03-03 at 1.8 kW on tariff 1 (43.200 kWh) and 2.880 m3 gas each."""
    store(*steady_stream(utc(2026, 3, 1, 22), utc(2026, 3, 4, 0), step=timedelta(minutes=1)))
    processing_run_pending()
    day = DayStatistics.objects.get(day=MARCH_2)
    assert (day.electricity1, day.gas, day.total_cost) == (D("43.200"), D("2.880"), D("0.00"))


def _contract(description: str = "March", start: date = MARCH_2, end: date | None = MARCH_2, **prices):
    values = {name: D(value) for name, value in {**PRICES, **prices}.items()}
    return contract_save(description=description, start=start, end=end, prices=values).contract


def _form(description: str, start: str, end: str = "", **prices: str) -> dict[str, str]:
    return {"description": description, "start": start, "end": end, **PRICES, **prices}


@pytest.fixture
def logged_in(client, django_user_model) -> Client:
    user = django_user_model.objects.create_user("editor", password="secret secret")
    client.force_login(user)
    return client


# ---------------------------------------------------------------- list and totals


@pytest.mark.django_db
def test_totals_are_the_sums_of_the_days_in_the_contracts_period():
    _two_days()
    march = _contract(end=None)
    totals = contract_totals(contract=march)
    # Two days: 2 × 43.200 kWh; costs per day 8.64 + 3.24 + 0.123456 → 12.00
    assert totals.days == 2
    assert (totals.electricity1, totals.electricity, totals.gas) == (D("86.400"), D("86.400"), D("5.760"))
    costs = (totals.electricity_cost, totals.gas_cost, totals.total_cost)
    assert costs == (D("17.28"), D("6.48"), D("24.00"))
    assert totals.fixed_cost == D("0.246912")
    one_day = contract_totals(contract=EnergyContract(start=MARCH_3, end=MARCH_3))
    assert (one_day.days, one_day.total_cost) == (1, D("12.00"))
    none = contract_totals(contract=EnergyContract(start=date(2027, 1, 1), end=None))
    assert (none.days, none.total_cost, none.gas) == (0, D(0), D(0))


@pytest.mark.django_db
def test_the_list_shows_period_prices_and_costs_and_no_edit_links_for_visitors(client):
    _two_days()
    march = _contract(description="Energy March", end=None)
    page = client.get("/contracts/").content.decode()
    assert "Energy March" in page
    assert "open end" in page
    assert "0.123456" in page and "1.125" in page and "0.20" in page  # significant decimals, at least two
    assert "86.400 kWh" in page and "5.760 m³" in page
    assert "€ 24.00" in page
    assert f"/contracts/{march.pk}/edit/" not in page and "/contracts/add/" not in page


@pytest.mark.django_db
def test_the_list_without_contracts_says_so(client):
    response = client.get("/contracts/")
    assert response.status_code == 200
    assert b'id="no-contracts"' in response.content


@pytest.mark.django_db
def test_the_list_in_dutch_uses_a_decimal_comma(client):
    _two_days()
    _contract(end=None)
    page = client.get("/contracts/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "€ 24,00" in page and "0,123456" in page


# ---------------------------------------------------------------- changes need a login


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/contracts/add/", "/contracts/{id}/edit/", "/contracts/{id}/delete/"])
def test_changes_need_a_login(client, path):
    contract = _contract()
    url = path.format(id=contract.pk)
    assert client.get(url)["Location"].startswith("/accounts/login/?next=")
    response = client.post(url, _form("Sneaky", "2030-01-01"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert list(EnergyContract.objects.values_list("description", flat=True)) == ["March"]


@pytest.mark.django_db
def test_a_post_without_csrf_token_is_refused(django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("editor", password="secret secret"))
    response = client.post("/contracts/add/", _form("No token", "2026-01-01"))
    assert response.status_code == 403
    assert not EnergyContract.objects.exists()


# ---------------------------------------------------------------- add, edit, delete


@pytest.mark.django_db
def test_adding_a_contract_prices_its_days_at_once(logged_in):
    _two_days()
    response = logged_in.post("/contracts/add/", _form("March", "2026-03-02", "2026-03-02"), follow=True)
    assert response.redirect_chain == [("/contracts/", 302)]
    assert "the costs of 1 day were recomputed" in response.content.decode()
    day = DayStatistics.objects.get(day=MARCH_2)
    # 43.200 × 0.2 = 8.64; 2.880 × 1.125 = 3.24; R(8.64 + 3.24 + 0.123456) = 12.00
    assert (day.electricity1_cost, day.gas_cost, day.fixed_cost, day.total_cost) == (
        D("8.64"),
        D("3.24"),
        D("0.123456"),
        D("12.00"),
    )
    assert DayStatistics.objects.get(day=MARCH_3).total_cost == D("0.00")


@pytest.mark.django_db
def test_an_overlapping_contract_is_a_form_error(logged_in):
    _contract(description="Spring", start=date(2026, 3, 1), end=date(2026, 5, 31))
    response = logged_in.post("/contracts/add/", _form("Overlap", "2026-05-31", "2026-12-31"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "overlaps the contract “Spring”" in page and 'role="alert"' in page
    assert EnergyContract.objects.count() == 1
    # an open-ended one before it overlaps too; one that starts the day after is fine
    assert b"overlaps" in logged_in.post("/contracts/add/", _form("Open", "2025-01-01")).content
    response = logged_in.post("/contracts/add/", _form("Summer", "2026-06-01"))
    assert response.status_code == 302
    assert EnergyContract.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end": "2026-01-01", "start": "2026-02-01"}, "end", "The last day lies before the first day."),
        ({"gas_price": "-1"}, "gas_price", "greater than or equal to 0"),
        ({"gas_price": "cheap"}, "gas_price", "Enter a number."),
        ({"gas_price": "0.1234567"}, "gas_price", "no more than 6 decimal places"),
        ({"gas_price": ""}, "gas_price", "This field is required."),
        ({"start": "2026-13-01"}, "start", "Enter a valid date."),
        ({"description": "   "}, "description", "This field is required."),
    ],
)
def test_bad_input_is_a_form_error_not_a_500(logged_in, changes, field, message):
    response = logged_in.post("/contracts/add/", {**_form("Bad", "2026-01-01"), **changes})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not EnergyContract.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2026-01-01", "9999-12-31", "end"), ("1999-12-31", "", "start"), ("2100-01-01", "", "start")],
)
def test_days_out_of_range_are_a_form_error(logged_in, start, end, field):
    response = logged_in.post("/contracts/add/", _form("Forever", start, end))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert errors == [
        "Choose a day from 2000-01-01 through 2099-12-31 (leave the last day empty for no end)."
    ]
    assert not EnergyContract.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 1, 1), date(9999, 12, 31)), (date(1, 1, 1), date(1, 1, 1)), (date(9999, 12, 31), None)],
)
def test_contracts_stored_with_any_date_never_break_the_pages(logged_in, start, end):
    """Contracts written before the range was enforced (or around the services): every page still works."""
    _two_days()
    odd = EnergyContract.objects.create(description="Odd", start=start, end=end, gas_price=D("1"))
    page = logged_in.get("/contracts/")
    assert page.status_code == 200 and "Odd" in page.content.decode()
    form = logged_in.get("/contracts/add/").context["form"]
    assert form["start"].value() is None and form["gas_price"].value() == D("1.000000")
    assert logged_in.get(f"/contracts/{odd.pk}/edit/").status_code == 200
    resave = logged_in.post(
        f"/contracts/{odd.pk}/edit/", _form("Odd", start.isoformat(), end and end.isoformat() or "")
    )
    assert resave.status_code == 200 and "Choose a day from 2000-01-01" in resave.content.decode()
    fixed = logged_in.post(f"/contracts/{odd.pk}/edit/", _form("Fixed", "2026-03-02", ""))
    assert fixed.status_code == 302
    assert DayStatistics.objects.get(day=MARCH_3).gas_cost == D("3.24")  # 2.880 m3 × 1.125


@pytest.mark.django_db
def test_editing_a_price_recomputes_the_day_costs(logged_in):
    _two_days()
    march = _contract(end=None)
    assert DayStatistics.objects.get(day=MARCH_2).total_cost == D("12.00")
    page = logged_in.get(f"/contracts/{march.pk}/edit/").content.decode()
    assert 'value="0.200000"' in page and 'value="2026-03-02"' in page
    form = _form("March", "2026-03-02", electricity_delivered_1_price="0.3")
    response = logged_in.post(f"/contracts/{march.pk}/edit/", form)
    assert response.status_code == 302
    # 43.200 × 0.3 = 12.96; R(12.96 + 3.24 + 0.123456) = 16.32, on both days
    for day in DayStatistics.objects.filter(day__in=[MARCH_2, MARCH_3]):
        assert (day.electricity1_cost, day.total_cost) == (D("12.96"), D("16.32"))
    march.refresh_from_db()
    assert march.electricity_delivered_1_price == D("0.300000")


@pytest.mark.django_db
def test_shortening_a_contract_reprices_the_days_it_no_longer_covers(logged_in):
    _two_days()
    march = _contract(end=None)
    assert DayStatistics.objects.get(day=MARCH_3).total_cost == D("12.00")
    response = logged_in.post(f"/contracts/{march.pk}/edit/", _form("March", "2026-03-02", "2026-03-02"))
    assert response.status_code == 302
    assert DayStatistics.objects.get(day=MARCH_2).total_cost == D("12.00")
    assert DayStatistics.objects.get(day=MARCH_3).total_cost == D("0.00")


@pytest.mark.django_db
def test_editing_may_keep_the_period_but_not_overlap_another(logged_in):
    first = _contract(description="First", start=date(2026, 1, 1), end=date(2026, 1, 31))
    _contract(description="Second", start=date(2026, 2, 1), end=None)
    same = logged_in.post(f"/contracts/{first.pk}/edit/", _form("First", "2026-01-01", "2026-01-31"))
    assert same.status_code == 302
    response = logged_in.post(f"/contracts/{first.pk}/edit/", _form("First", "2026-01-01", "2026-02-01"))
    assert "overlaps the contract “Second”" in response.content.decode()
    first.refresh_from_db()
    assert first.end == date(2026, 1, 31)


@pytest.mark.django_db
def test_delete_asks_first_then_removes_and_zeroes_the_costs(logged_in):
    _two_days()
    march = _contract(end=None)
    confirm = logged_in.get(f"/contracts/{march.pk}/delete/")
    assert confirm.status_code == 200 and "Delete the contract “March”?" in confirm.content.decode()
    assert EnergyContract.objects.filter(pk=march.pk).exists()
    response = logged_in.post(f"/contracts/{march.pk}/delete/", follow=True)
    assert "the costs of 2 days were recomputed" in response.content.decode()
    assert not EnergyContract.objects.exists()
    assert set(DayStatistics.objects.values_list("total_cost", flat=True)) == {D("0.00")}


@pytest.mark.django_db
def test_a_new_contract_starts_from_the_latest_ones_prices_the_day_after_it(logged_in):
    assert logged_in.get("/contracts/add/").context["form"]["gas_price"].value() == D(0)
    _contract(description="2026", start=date(2026, 1, 1), end=date(2026, 12, 31))
    form = logged_in.get("/contracts/add/").context["form"]
    assert form["start"].value() == date(2027, 1, 1)
    assert (form["gas_price"].value(), form["fixed_daily_cost"].value()) == (D("1.125"), D("0.123456"))
    assert form["description"].value() is None


@pytest.mark.django_db
def test_unknown_contracts_are_404(logged_in):
    assert logged_in.get("/contracts/999/edit/").status_code == 404
    assert logged_in.post("/contracts/999/delete/").status_code == 404


# ---------------------------------------------------------------- in the browser


def test_contracts_page_in_the_browser(browser_page, admin_user):
    _two_days()
    _contract(description="Energy 2026", end=None)
    browser_page.open("/contracts/")
    assert "€ 24.00" in browser_page.page.locator(".contract .total-cost").inner_text()
    browser_page.screenshot("contracts")
    log_in(browser_page)
    browser_page.open("/contracts/")
    browser_page.page.click("#contract-add")
    browser_page.page.wait_for_selector("form #contract-save")
    browser_page.screenshot("contract-form")
    assert browser_page.errors == []


def test_adding_an_overlapping_contract_in_the_browser_shows_the_error(browser_page, admin_user):
    _contract(description="Energy 2026", start=date(2026, 1, 1), end=date(2026, 12, 31))
    log_in(browser_page)
    browser_page.open("/contracts/add/")
    page = browser_page.page
    page.fill("#id_description", "Overlapping")
    page.fill("#id_start", "2026-06-01")
    for name, value in PRICES.items():
        page.fill(f"#id_{name}", value)
    page.click("#contract-save")
    alert = page.locator("#form-errors")
    alert.wait_for()
    assert "overlaps the contract “Energy 2026”" in alert.inner_text()
    assert EnergyContract.objects.count() == 1
    # a free period is accepted and listed
    page.fill("#id_start", "2027-01-01")
    page.click("#contract-save")
    page.wait_for_url("**/contracts/")
    assert page.locator(".contract").count() == 2
    assert browser_page.errors == []


def test_editing_a_price_in_the_browser_changes_the_costs(browser_page, admin_user):
    _two_days()
    march = _contract(description="March", end=None)
    log_in(browser_page)
    browser_page.open("/contracts/")
    page = browser_page.page
    page.click(f"#contract-{march.pk} a.edit")
    page.fill("#id_electricity_delivered_1_price", "0.3")
    page.click("#contract-save")
    page.wait_for_url("**/contracts/")
    assert page.locator("p.message.success").is_visible()
    assert "€ 32.64" in page.locator(f"#contract-{march.pk} .total-cost").inner_text()
    assert DayStatistics.objects.get(day=MARCH_2).total_cost == D("16.32")
    assert browser_page.errors == []


def test_contracts_fit_a_phone(phone_page, admin_user):
    _two_days()
    _contract(description="Energy 2026", end=None)
    phone_page.open("/contracts/")
    assert phone_page.fits_width()
    log_in(phone_page)
    phone_page.open("/contracts/add/")
    assert phone_page.fits_width()
    assert phone_page.errors == []
