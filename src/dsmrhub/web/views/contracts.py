"""Energy contracts: the list with each contract's totals and costs; add, edit and delete (logged in)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.formats import number_format
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from dsmrhub.prices.models import ContractKind, EnergyContract, TermCommodity
from dsmrhub.prices.services import (
    MORE_PRICE_FIELDS,
    PRICE_FIELDS,
    ContractError,
    band_periods_text,
    contract_day_after,
    contract_parts,
)
from dsmrhub.processing.contracts import contract_delete, contract_save, contracts_with_totals
from dsmrhub.web.forms import KIND_LABELS, MORE_PRICE_LABELS, PRICE_LABELS, TERM_LABELS, ContractForm


def _price_text(value: Decimal) -> str:
    """A price with its significant decimals, at least two (0.21 → "0.21", 0.123456 → "0.123456")."""
    exponent = value.normalize().as_tuple().exponent
    decimals = max(2, -exponent if isinstance(exponent, int) else 2)
    return number_format(value, decimal_pos=decimals)


# The prices each kind uses (the others keep their value but do not count).
KIND_PRICES = {
    ContractKind.FIXED: list(PRICE_FIELDS),
    ContractKind.BANDS: ["gas_price", "fixed_daily_cost"],
    ContractKind.DYNAMIC: ["gas_price", "fixed_daily_cost"],
}


def _contract_row(totals) -> dict[str, object]:
    """What the list shows of a contract: its kind, the prices that kind uses, its bands or formula and the
    add-ons (fixed cost per month, capacity tariff) when set."""
    contract = totals.contract
    bands, terms = contract_parts(contract)
    names = KIND_PRICES.get(contract.kind, list(PRICE_FIELDS))
    prices = [(PRICE_LABELS[name], _price_text(getattr(contract, name))) for name in names]
    if contract.kind == ContractKind.DYNAMIC and any(t.commodity == TermCommodity.GAS for t in terms):
        prices = [row for row in prices if row[0] != PRICE_LABELS["gas_price"]]
    for name in MORE_PRICE_FIELDS[:2]:  # the capacity minimum only matters with a capacity price
        if getattr(contract, name):
            prices.append((MORE_PRICE_LABELS[name], _price_text(getattr(contract, name))))
    return {
        "contract": contract,
        "kind": KIND_LABELS.get(contract.kind, contract.kind),
        "totals": totals,
        "prices": prices,
        "bands": [
            {
                "name": band.name,
                "delivered": _price_text(band.delivered_price),
                "returned": _price_text(band.returned_price),
                "periods": band_periods_text(band.periods),
            }
            for band in bands
        ],
        "terms": [
            {
                "label": TERM_LABELS.get(term.commodity, term.commodity),
                "markup": _price_text(term.markup),
                "tax": _price_text(term.tax),
                "vat": number_format(term.vat_percent, decimal_pos=2),
            }
            for term in terms
        ],
        "capacity_minimum": _price_text(contract.capacity_minimum) if contract.capacity_price else None,
    }


def contracts(request: HttpRequest) -> HttpResponse:
    rows = [_contract_row(totals) for totals in contracts_with_totals()]
    return render(request, "web/pages/contracts.html", {"contracts": rows})


def _initial(contract: EnergyContract | None, latest: EnergyContract | None) -> dict[str, object]:
    """A new contract starts from the latest one's kind and prices, the day after it ends (its bands and
    formula come along through the form's ``parts_from``)."""
    if contract is not None:
        return {}
    names = (*PRICE_FIELDS, *MORE_PRICE_FIELDS, "kind", "holidays_country")
    if latest is None:
        blank = EnergyContract()  # the model's defaults (0, and the capacity tariff's 2.5 kW minimum)
        return {name: Decimal(getattr(blank, name)) for name in (*PRICE_FIELDS, *MORE_PRICE_FIELDS)}
    initial: dict[str, object] = {name: getattr(latest, name) for name in names}
    initial["start"] = contract_day_after(latest)
    return initial


def _form_page(request: HttpRequest, contract: EnergyContract | None) -> HttpResponse:
    latest = None if contract else EnergyContract.objects.order_by("-start").first()
    form = ContractForm(
        request.POST or None, instance=contract, initial=_initial(contract, latest), parts_from=latest
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = contract_save(contract_id=contract.pk if contract else None, **form.contract())
        except ContractError as error:  # e.g. a contract added meanwhile by someone else
            form.add_error(error.field if error.field in form.fields else None, error.args[0])
        else:
            message = ngettext(
                "Contract “%(description)s” saved; the costs of %(days)d day were recomputed.",
                "Contract “%(description)s” saved; the costs of %(days)d days were recomputed.",
                change.days_repriced,
            )
            messages.success(
                request, message % {"description": change.contract.description, "days": change.days_repriced}
            )
            return redirect("contracts")
    return render(request, "web/pages/contract_form.html", {"form": form, "contract": contract})


@login_required
@require_http_methods(["GET", "POST"])
def contract_add(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(EnergyContract, pk=contract_id))


@login_required
@require_http_methods(["GET", "POST"])
def contract_remove(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_object_or_404(EnergyContract, pk=contract_id)
    if request.method == "POST":
        try:
            change = contract_delete(contract_id=contract.pk)
        except ContractError:  # deleted meanwhile
            raise Http404 from None
        message = ngettext(
            "Contract “%(description)s” deleted; the costs of %(days)d day were recomputed.",
            "Contract “%(description)s” deleted; the costs of %(days)d days were recomputed.",
            change.days_repriced,
        )
        messages.success(
            request, message % {"description": change.contract.description, "days": change.days_repriced}
        )
        return redirect("contracts")
    return render(request, "web/pages/contract_delete.html", {"contract": contract})


urlpatterns = [
    path("", contracts, name="contracts"),
    path("add/", contract_add, name="contracts-add"),
    path("<int:contract_id>/edit/", contract_edit, name="contracts-edit"),
    path("<int:contract_id>/delete/", contract_remove, name="contracts-delete"),
]
