"""One money format and one number format per language, for every page: ``{% load units %}``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()

MISSING = "–"


@register.filter
def money(value: Decimal | None) -> str:
    """€ with two decimals (half up) in the active language's style; a dash for no value, never "€ 0.00"."""
    if value is None or value == "":
        return MISSING
    return f"€\N{NO-BREAK SPACE}{quantity(value, 2)}"


@register.filter
def quantity(value: Decimal | None, places: int = 3) -> str:
    """A meter quantity (kWh, m³) with ``places`` decimals in the active language's style; a dash for none."""
    if value is None or value == "":
        return MISSING
    exact = Decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return number_format(exact, int(places), use_l10n=True, force_grouping=True)
