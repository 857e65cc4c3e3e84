"""What the meter's two tariff registers are called on this installation.

The register (0-0:96.14.0) names no tariff, only 1 or 2; what they mean is the country's convention.
Every page, the API's ``tariff_name`` and MQTT take their labels from ``tariff_names``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def tariff_names() -> dict[int, str]:
    """Tariff register → its label, e.g. {1: "low", 2: "normal"} on a Dutch meter."""
    return {1: _("low"), 2: _("normal")}
