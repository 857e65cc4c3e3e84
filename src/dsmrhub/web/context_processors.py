"""What every page's frame needs: the navigation and the version."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from dsmrhub import __version__
from dsmrhub.readings.tariffs import tariff_names

NAVIGATION = [
    ("dashboard", _("Dashboard")),
    ("archive", _("Archive")),
    ("trends", _("Trends")),
    ("meter", _("Meter")),
    ("contracts", _("Contracts")),
    ("compare", _("Compare")),
    ("status", _("Status")),
    ("export", _("Export")),
    ("settings", _("Settings")),
]


def frame(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else None
    return {
        # A page's own routes are named "<page>" and "<page>-<something>" (e.g. "contracts-edit").
        "navigation": [
            (name, label, current is not None and (current == name or current.startswith(f"{name}-")))
            for name, label in NAVIGATION
        ],
        "version": __version__,
    }


def tariffs(request: HttpRequest) -> dict[str, Any]:
    """``tariff_names.1`` and ``tariff_names.2``: the labels of the meter's tariff registers, looked up when a
    page first shows one (a page without them costs no query)."""
    return {"tariff_names": SimpleLazyObject(tariff_names)}
