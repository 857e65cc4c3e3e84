from django import forms
from django.contrib import admin

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import ContractError, contract_check_overlap


class EnergyContractForm(forms.ModelForm):
    class Meta:
        model = EnergyContract
        exclude: list[str] = []

    def clean(self):
        data = super().clean()
        if data.get("start"):
            try:
                contract_check_overlap(start=data["start"], end=data.get("end"), exclude_id=self.instance.pk)
            except ContractError as error:
                raise forms.ValidationError(str(error)) from None
        return data


@admin.register(EnergyContract)
class EnergyContractAdmin(admin.ModelAdmin):
    form = EnergyContractForm
    list_display = [
        "description",
        "start",
        "end",
        "electricity_delivered_1_price",
        "electricity_delivered_2_price",
        "gas_price",
        "fixed_daily_cost",
    ]
