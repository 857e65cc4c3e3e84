"""Archive page (placeholder until the page is built)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


def archive(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/placeholder.html", {"title": "Archive"})


urlpatterns = [path("", archive, name="archive")]
