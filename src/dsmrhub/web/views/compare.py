"""Compare contracts: what stored contracts (and one entered as JSON) would have cost over the own history,
per month, next to the contracts in force; with the capacity tariff's monthly peaks where one applies.
Read-only (GET): the figures come from ``processing.compare``."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import ContractError
from dsmrhub.processing.compare import compare_tariff, contracts_compare
from dsmrhub.processing.periods import local_zone


class CompareForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("First day"))
    end = forms.DateField(label=gettext_lazy("Last day"))
    contract = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Stored contracts"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    spec = forms.CharField(
        label=gettext_lazy("A contract to try (JSON, as for `dsmrhub contract add --spec`)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [(c.pk, str(c)) for c in EnergyContract.objects.order_by("-start")]


def _initial() -> dict[str, object]:
    today = timezone.now().astimezone(local_zone()).date()
    first = date(today.year - 1, today.month, 1)
    return {"start": first, "end": today - timedelta(days=1)}


def compare(request: HttpRequest) -> HttpResponse:
    if "start" not in request.GET:
        return render(request, "web/pages/compare.html", {"form": CompareForm(initial=_initial())})
    form = CompareForm(request.GET)
    if not form.is_valid():
        return render(request, "web/pages/compare.html", {"form": form}, status=400)
    data = form.cleaned_data
    values: list[object] = list(data["contract"])
    try:
        if data["spec"].strip():
            try:
                values.append(json.loads(data["spec"]))
            except json.JSONDecodeError as error:
                raise ContractError(_("Not JSON: %(reason)s.") % {"reason": error.msg}) from None
        tariffs = [compare_tariff(value, number=n) for n, value in enumerate(values, start=1)]
        comparison = contracts_compare(first=data["start"], last=data["end"], tariffs=tariffs)
    except ContractError as error:
        form.add_error(None, str(error))
        return render(request, "web/pages/compare.html", {"form": form}, status=400)
    rows = [
        {"month": month, "cells": [column.months[index] for column in comparison.contracts]}
        for index, month in enumerate(comparison.months)
    ]
    in_force = comparison.contracts[0].months
    capacity = [row for row in in_force if row.capacity_peak is not None]
    return render(
        request,
        "web/pages/compare.html",
        {"form": form, "comparison": comparison, "rows": rows, "capacity": capacity},
    )


urlpatterns = [path("", compare, name="compare")]
