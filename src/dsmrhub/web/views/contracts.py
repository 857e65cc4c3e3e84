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

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import ContractError, contract_day_after
from dsmrhub.processing.contracts import contract_delete, contract_save, contracts_with_totals
from dsmrhub.web.forms import PRICE_LABELS, ContractForm


def _price_text(value: Decimal) -> str:
    """A price with its significant decimals, at least two (0.21 → "0.21", 0.123456 → "0.123456")."""
    exponent = value.normalize().as_tuple().exponent
    decimals = max(2, -exponent if isinstance(exponent, int) else 2)
    return number_format(value, decimal_pos=decimals)


def contracts(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "contract": totals.contract,
            "totals": totals,
            "prices": [
                (label, _price_text(getattr(totals.contract, name))) for name, label in PRICE_LABELS.items()
            ],
        }
        for totals in contracts_with_totals()
    ]
    return render(request, "web/pages/contracts.html", {"contracts": rows})


def _initial(contract: EnergyContract | None) -> dict[str, object]:
    """A new contract starts from the latest one's prices, the day after it ends."""
    if contract is not None:
        return {}
    latest = EnergyContract.objects.order_by("-start").first()
    if latest is None:
        return {name: Decimal(0) for name in PRICE_LABELS}
    initial: dict[str, object] = {name: getattr(latest, name) for name in PRICE_LABELS}
    initial["start"] = contract_day_after(latest)
    return initial


def _form_page(request: HttpRequest, contract: EnergyContract | None) -> HttpResponse:
    form = ContractForm(request.POST or None, instance=contract, initial=_initial(contract))
    if request.method == "POST" and form.is_valid():
        try:
            change = contract_save(
                contract_id=contract.pk if contract else None,
                description=form.cleaned_data["description"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                prices=form.prices(),
            )
        except ContractError as error:  # e.g. a contract added meanwhile by someone else
            form.add_error(error.field, error.args[0])
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
