"""Export page (placeholder until the page is built)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


def export(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/placeholder.html", {"title": "Export"})


urlpatterns = [path("", export, name="export")]
