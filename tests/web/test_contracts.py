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
    assert "€\u00a024.00" in page
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
    assert "€\u00a024,00" in page and "0,123456" in page


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
    assert "€\u00a024.00" in browser_page.page.locator(".contract .total-cost").inner_text()
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
    assert "€\u00a032.64" in page.locator(f"#contract-{march.pk} .total-cost").inner_text()
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


# ---------------------------------------------------------------- every contract kind


def _bands_post(description: str, start: str, bands: list[tuple[str, str, str, str]], **more: str) -> dict:
    """A bands contract as the form posts it: rows of (name, delivered, returned, periods), 3 empty rows."""
    rows = [*bands, *[("", "", "", "")] * 3]
    data = {
        **_form(description, start),
        "kind": "bands",
        "band-TOTAL_FORMS": str(len(rows)),
        "band-INITIAL_FORMS": "0",
        **more,
    }
    for i, (name, delivered, returned, periods) in enumerate(rows):
        data.update({
            f"band-{i}-name": name, f"band-{i}-delivered_price": delivered,
            f"band-{i}-returned_price": returned, f"band-{i}-periods": periods,
        })  # fmt: skip
    return data


PEAK_OFF_PEAK = [
    ("peak", "0.30", "0.10", "mon-fri 07:00-23:00"),
    ("off-peak", "0.20", "0.05", "mon-fri 23:00-07:00; sat,sun"),
]


def _dynamic_post(description: str, start: str, terms: dict[str, tuple[str, str, str]], **more: str) -> dict:
    data = {**_form(description, start), "kind": "dynamic", **more}
    for commodity, (markup, tax, vat) in terms.items():
        data.update({
            f"{commodity}-markup": markup, f"{commodity}-tax": tax, f"{commodity}-vat_percent": vat,
        })  # fmt: skip
    return data


def _invalid(page: str, field_id: str) -> bool:
    """The input with ``field_id`` carries aria-invalid="true"."""
    start = page.index(f'id="{field_id}"')
    tag = page[page.rindex("<", 0, start) : page.index(">", start)]
    return 'aria-invalid="true"' in tag


@pytest.mark.django_db
def test_adding_a_bands_contract_stores_its_bands_and_prices_the_days(logged_in):
    _two_days()  # Monday 2026-03-02 and Tuesday: 1.8 kW all day, so 16 peak hours and 8 off-peak hours
    response = logged_in.post("/contracts/add/", _bands_post("Peak", "2026-03-02", PEAK_OFF_PEAK))
    assert response.status_code == 302
    contract = EnergyContract.objects.get()
    assert contract.kind == "bands"
    assert [(b.name, b.delivered_price) for b in contract.bands.order_by("id")] == [
        ("peak", D("0.300000")),
        ("off-peak", D("0.200000")),
    ]
    day = DayStatistics.objects.get(day=MARCH_2)
    electricity = 16 * D("1.8") * D("0.30") + 8 * D("1.8") * D("0.20")
    assert (day.electricity1_cost, day.costs_missing) == (electricity.quantize(D("0.01")), 0)
    page = logged_in.get("/contracts/").content.decode()
    assert "Time-of-use bands (by weekday and time)" in page
    assert "mon-fri 07:00-23:00" in page and "mon-fri 23:00-07:00; sat,sun" in page
    # the tariff 1/2 prices do not apply to a bands contract and are not listed
    assert "Electricity delivered, tariff 1" not in page


@pytest.mark.django_db
def test_editing_a_bands_contract_shows_its_bands_and_changes_them(logged_in):
    logged_in.post("/contracts/add/", _bands_post("Peak", "2026-01-01", PEAK_OFF_PEAK))
    contract = EnergyContract.objects.get()
    form = logged_in.get(f"/contracts/{contract.pk}/edit/").context["form"]
    rows = [band.initial for band in form.band_forms if band.initial]
    assert [(r["name"], r["periods"]) for r in rows] == [
        ("peak", "mon-fri 07:00-23:00"),
        ("off-peak", "mon-fri 23:00-07:00; sat,sun"),
    ]
    changed = [("peak", "0.35", "0.10", "mon-fri 07:00-23:00"), PEAK_OFF_PEAK[1]]
    response = logged_in.post(f"/contracts/{contract.pk}/edit/", _bands_post("Peak", "2026-01-01", changed))
    assert response.status_code == 302
    assert contract.bands.get(name="peak").delivered_price == D("0.350000")
    # a post without the kind (or with it empty) keeps the stored kind and reads the bands
    for kind in (None, ""):
        data = _bands_post("Peak", "2026-01-01", PEAK_OFF_PEAK)
        if kind is None:
            del data["kind"]
        else:
            data["kind"] = kind
        assert logged_in.post(f"/contracts/{contract.pk}/edit/", data).status_code == 302
        contract.refresh_from_db()
        assert (contract.kind, contract.bands.get(name="peak").delivered_price) == ("bands", D("0.300000"))
    # switching to fixed drops the bands
    response = logged_in.post(
        f"/contracts/{contract.pk}/edit/", {**_form("Peak", "2026-01-01"), "kind": "fixed"}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.kind, contract.bands.count()) == ("fixed", 0)


@pytest.mark.django_db
def test_adding_a_dynamic_contract_with_capacity_and_monthly_cost(logged_in):
    terms = {"electricity_delivered": ("0.02", "0.10154", "21"), "electricity_returned": ("-0.015", "", "")}
    more = {"fixed_monthly_cost": "6.20", "capacity_price": "53.256", "capacity_minimum": "2.5"}
    response = logged_in.post("/contracts/add/", _dynamic_post("Dynamic", "2026-01-01", terms, **more))
    assert response.status_code == 302
    contract = EnergyContract.objects.get()
    assert (contract.kind, contract.fixed_monthly_cost, contract.capacity_price) == (
        "dynamic", D("6.200000"), D("53.256000"),
    )  # fmt: skip
    stored = {t.commodity: (t.markup, t.tax, t.vat_percent) for t in contract.terms.all()}
    assert stored == {
        "electricity_delivered": (D("0.020000"), D("0.101540"), D("21.00")),
        "electricity_returned": (D("-0.015000"), D("0"), D("0")),
    }
    page = logged_in.get("/contracts/").content.decode()
    assert "Dynamic (market prices plus a formula)" in page
    assert "€ 0.10154" in page and "€ -0.015" in page and "€ 53.256" in page and "2.50 kW" in page
    edit = logged_in.get(f"/contracts/{contract.pk}/edit/").content.decode()
    assert 'name="electricity_delivered-tax" value="0.101540"' in edit


@pytest.mark.django_db
def test_a_time_no_band_holds_is_shown_with_the_bands_and_their_periods_marked(logged_in):
    gap = [("peak", "0.30", "0.10", "mon-fri 07:00-23:00"), ("night", "0.20", "0.05", "mon-fri 23:00-07:00")]
    response = logged_in.post("/contracts/add/", _bands_post("Gap", "2026-01-01", gap))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["form"].bands_errors == ["No band holds on sat 00:00–24:00."]
    assert 'id="bands-errors"' in page and "No band holds on sat 00:00–24:00." in page
    assert _invalid(page, "id_band-0-periods") and _invalid(page, "id_band-1-periods")
    assert not EnergyContract.objects.exists()


@pytest.mark.django_db
def test_overlapping_bands_mark_both_rows(logged_in):
    overlap = [("peak", "0.30", "0.10", "mon-fri 07:00-23:00"), ("all", "0.20", "0.05", "all")]
    response = logged_in.post("/contracts/add/", _bands_post("Overlap", "2026-01-01", overlap))
    form = response.context["form"]
    message = "Bands “peak” and “all” overlap on mon 07:00–23:00."
    assert [band.errors.get("periods") for band in list(form.band_forms)[:2]] == [[message], [message]]
    page = response.content.decode()
    assert _invalid(page, "id_band-0-periods") and _invalid(page, "id_band-1-periods")
    assert not _invalid(page, "id_band-0-name")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (("peak", "0.30", "0.10", "mon-fry 07:00-23:00"), "periods", "unknown day 'mon-fry'"),
        (
            ("peak", "0.30", "0.10", "mon-fri 07:10-23:00"),
            "periods",
            "07:10–23:00 is not a period on quarter",
        ),
        (("peak", "-0.30", "0.10", "mon-fri 07:00-23:00"), "delivered_price", "greater than or equal to 0"),
        (("peak", "0.30", "11", "mon-fri 07:00-23:00"), "returned_price", "less than or equal to 10"),
        (("", "0.30", "0.10", "mon-fri 07:00-23:00"), "name", "Every band needs a name."),
        (("off-peak", "0.30", "0.10", "mon-fri 07:00-23:00"), "name", "Band names must differ."),
    ],
)
def test_a_bands_error_is_next_to_its_field(logged_in, row, field, message):
    response = logged_in.post("/contracts/add/", _bands_post("Bad", "2026-01-01", [row, PEAK_OFF_PEAK[1]]))
    assert response.status_code == 200
    first = list(response.context["form"].band_forms)[0]
    assert message in " ".join(first.errors[field])
    page = response.content.decode()
    assert _invalid(page, f"id_band-0-{field}")
    assert 'id="form-errors"' in page  # the summary at the top says it was not saved
    assert not EnergyContract.objects.exists()


@pytest.mark.django_db
def test_a_dynamic_contract_without_a_returned_term_marks_that_term(logged_in):
    terms = {"electricity_delivered": ("0.02", "0.10154", "21")}
    response = logged_in.post("/contracts/add/", _dynamic_post("Dynamic", "2026-01-01", terms))
    form = response.context["form"]
    returned = next(t for t in form.term_forms if t.commodity == "electricity_returned")
    assert returned.errors["markup"] == ["A dynamic contract needs price terms for electricity_returned."]
    assert _invalid(response.content.decode(), "id_electricity_returned-markup")
    terms["electricity_returned"] = ("0", "0", "120")
    response = logged_in.post("/contracts/add/", _dynamic_post("Dynamic", "2026-01-01", terms))
    returned = next(t for t in response.context["form"].term_forms if t.commodity == "electricity_returned")
    assert "less than or equal to 100" in returned.errors["vat_percent"][0]
    assert not EnergyContract.objects.exists()


@pytest.mark.django_db
def test_the_overlap_error_is_red_at_the_top_and_marks_the_period(logged_in):
    _contract(description="Spring", start=date(2026, 3, 1), end=date(2026, 5, 31))
    page = logged_in.post("/contracts/add/", _form("Overlap", "2026-05-31", "2026-12-31")).content.decode()
    box = page[page.index('id="form-errors"') : page.index("</div>", page.index('id="form-errors"'))]
    assert '<p class="error"><strong>This period overlaps the contract “Spring”' in box
    assert _invalid(page, "id_start") and _invalid(page, "id_end")
    assert 'aria-describedby="form-errors"' in page


@pytest.mark.django_db
def test_parts_of_another_kind_are_ignored(logged_in):
    """A fixed contract posted with leftover band rows (hidden by the page) saves without bands."""
    data = {**_bands_post("Fixed", "2026-01-01", [("x", "bad", "", "nonsense")]), "kind": "fixed"}
    assert logged_in.post("/contracts/add/", data).status_code == 302
    contract = EnergyContract.objects.get()
    assert (contract.kind, contract.bands.count()) == ("fixed", 0)


def test_adding_a_bands_contract_in_the_browser(browser_page, admin_user):
    log_in(browser_page)
    browser_page.open("/contracts/add/")
    page = browser_page.page
    assert page.locator("#bands").is_hidden() and page.locator("#fixed-prices").is_visible()
    page.fill("#id_description", "Peak and off-peak")
    page.fill("#id_start", "2026-01-01")
    page.select_option("#id_kind", "bands")
    assert page.locator("#bands").is_visible() and page.locator("#fixed-prices").is_hidden()
    assert page.locator("#terms").is_hidden()
    for i, (name, delivered, returned, periods) in enumerate(PEAK_OFF_PEAK):
        page.fill(f"#id_band-{i}-name", name)
        page.fill(f"#id_band-{i}-delivered_price", delivered)
        page.fill(f"#id_band-{i}-returned_price", returned)
        page.fill(f"#id_band-{i}-periods", periods)
    page.fill("#id_band-1-periods", "mon-fri 23:00-07:00")  # first without the weekend: an error
    page.click("#contract-save")
    page.locator("#bands-errors").wait_for()
    assert "No band holds on sat 00:00–24:00." in page.locator("#bands-errors").inner_text()
    assert page.locator("#id_band-1-periods").get_attribute("aria-invalid") == "true"
    browser_page.screenshot("contract-bands-error")
    page.fill("#id_band-1-periods", PEAK_OFF_PEAK[1][3])
    page.click("#contract-save")
    page.wait_for_url("**/contracts/")
    contract = page.locator(".contract").first
    assert "Peak and off-peak" in contract.locator(".description").inner_text()
    assert contract.locator("tr.band").count() == 2
    assert "mon-fri 23:00-07:00; sat,sun" in contract.locator("table.bands").inner_text()
    browser_page.screenshot("contracts-bands")
    assert browser_page.errors == []


@pytest.mark.django_db
def test_a_contract_whose_days_lack_market_prices_says_its_costs_are_incomplete(logged_in):
    _two_days()  # 1.8 kW every quarter hour of 2026-03-02 and 03-03
    terms = {"electricity_delivered": ("0.02", "0.1", "21"), "electricity_returned": ("0", "0", "0")}
    assert logged_in.post("/contracts/add/", _dynamic_post("Dynamic", "2026-03-02", terms)).status_code == 302
    day = DayStatistics.objects.get(day=MARCH_2)
    assert (day.costs_missing, day.total_cost, day.gas_cost) == (96, None, D("3.24"))  # no market prices
    page = logged_in.get("/contracts/").content.decode()
    assert "(incomplete)" in page
    assert "Incomplete: 192 periods with use have no price" in page


@pytest.mark.django_db
def test_a_new_contract_starts_from_the_latest_ones_kind_bands_and_formula(logged_in):
    logged_in.post("/contracts/add/", _bands_post("2026", "2026-01-01", PEAK_OFF_PEAK, end="2026-12-31"))
    form = logged_in.get("/contracts/add/").context["form"]
    assert (form["kind"].value(), form["start"].value()) == ("bands", date(2027, 1, 1))
    assert [band.initial.get("name") for band in form.band_forms][:3] == ["peak", "off-peak", None]
    terms = {"electricity_delivered": ("0.02", "0.1", "21"), "electricity_returned": ("-0.01", "", "")}
    logged_in.post("/contracts/add/", _dynamic_post("2027", "2027-01-01", terms))
    form = logged_in.get("/contracts/add/").context["form"]
    assert form["kind"].value() == "dynamic"
    delivered = next(term for term in form.term_forms if term.commodity == "electricity_delivered")
    assert delivered.initial["tax"] == D("0.100000")
