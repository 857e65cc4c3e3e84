"""Energy contracts in the Django admin: the same checks and the same repricing as the pages and the CLI."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import MORE_PRICE_FIELDS, PRICE_FIELDS, ContractError, contract_validate
from dsmrhub.processing.contracts import contract_delete, contract_save

# The kind, bands and price terms are edited on the contracts page or with `dsmrhub contract add --spec`;
# the admin shows the kind.
EDITED = (*PRICE_FIELDS, *MORE_PRICE_FIELDS)


def _prices(data: dict[str, Any]) -> dict[str, Any]:
    """The prices given (the fields added with the contract kinds may be left empty: kept)."""
    return {name: data[name] for name in EDITED if data.get(name) is not None}


class EnergyContractForm(forms.ModelForm):
    class Meta:
        model = EnergyContract
        fields = ["description", "start", "end", *EDITED]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in MORE_PRICE_FIELDS:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            contract_validate(
                contract_id=self.instance.pk,
                description=data["description"],
                start=data["start"],
                end=data.get("end"),
                prices=_prices(data),
            )
        except ContractError as error:
            self.add_error(error.field, error.args[0])
        return data


@admin.register(EnergyContract)
class EnergyContractAdmin(admin.ModelAdmin):
    form = EnergyContractForm
    list_display = [
        "description",
        "start",
        "end",
        "kind",
        "electricity_delivered_1_price",
        "electricity_delivered_2_price",
        "gas_price",
        "fixed_daily_cost",
    ]

    def save_model(self, request: HttpRequest, obj: EnergyContract, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = contract_save(
            contract_id=obj.pk if change else None,
            description=data["description"],
            start=data["start"],
            end=data.get("end"),
            prices=_prices(data),
        )
        obj.pk = saved.contract.pk  # the admin logs and redirects to this object
        obj.refresh_from_db()
        self._repriced(request, saved.days_repriced)

    def delete_model(self, request: HttpRequest, obj: EnergyContract) -> None:
        self._repriced(request, contract_delete(contract_id=obj.pk).days_repriced)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[EnergyContract]) -> None:
        days = sum(
            contract_delete(contract_id=pk).days_repriced for pk in queryset.values_list("pk", flat=True)
        )
        self._repriced(request, days)

    def _repriced(self, request: HttpRequest, days: int) -> None:
        message = ngettext(
            "The costs of %(days)d day were recomputed.", "The costs of %(days)d days were recomputed.", days
        )
        self.message_user(request, message % {"days": days}, messages.INFO)
