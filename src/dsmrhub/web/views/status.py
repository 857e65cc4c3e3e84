"""Status page: latest reading, datalogger, processing, meter epochs, MQTT, database and problems."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from dsmrhub.web.status import status_gather


def status(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/status.html", {"status": status_gather()})


urlpatterns = [path("", status, name="status")]
