"""The capacity tariff (Belgium): monthly peaks, the rolling 12-month average and the cost per month.
Read-only; the figures come from ``web.capacity.capacity_overview`` (the cost engine's rules)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from dsmrhub.web.capacity import capacity_overview


def capacity(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/capacity.html", {"overview": capacity_overview()})


# Named "contracts-…": the page belongs with the contracts in the navigation.
urlpatterns = [path("", capacity, name="contracts-capacity")]
