"""Until the dashboard arrives: a page that shows the latest reading and refreshes itself."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dsmrhub.readings.models import DsmrReading, MeterStatistics


def latest_reading(request: HttpRequest) -> HttpResponse:
    reading = DsmrReading.objects.order_by("-timestamp").first()
    context = {
        "reading": reading,
        "age": (timezone.now() - reading.timestamp).total_seconds() if reading else None,
        "statistics": MeterStatistics.objects.first(),
    }
    return render(request, "web/latest.html", context)
