"""One money, number and date format per language, for every page: ``{% load units %}``.

``money`` and ``quantity`` for figures, ``day``, ``moment`` and ``month`` for dates; views that build a
label in Python call ``day_text``, ``moment_text`` and ``month_text``. ``static/web/app.js`` formats the same
way in the browser (``dsmrhub.money``, ``dsmrhub.number``, ``dsmrhub.day``, ``dsmrhub.moment``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()

MISSING = "–"

# Short, unambiguous and the same on every page: "5 Mar 2026" / "5 mrt 2026" (Dutch writes months in lower
# case; Django's "M" would capitalise it). The year is always four digits (Django's "Y" pads).
DAY_FORMATS = {"en": "j M Y", "nl": "j b Y"}
TIME_FORMAT = "H:i"


def _language() -> str:
    language = (get_language() or "en").split("-")[0]
    return language if language in DAY_FORMATS else "en"


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


def _parsed(value: date | datetime | str) -> date | datetime:
    """A date or moment as given, or read from its ISO 8601 text (as the API's selectors give them)."""
    if not isinstance(value, str):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)


def day_text(value: date | str | None) -> str:
    """A day: "5 Mar 2026" (en), "5 mrt 2026" (nl); an aware moment is first taken to the local day."""
    if value is None or value == "":
        return MISSING
    value = _parsed(value)
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, DAY_FORMATS[_language()])


def moment_text(value: datetime | str | None) -> str:
    """A moment in local time, 24 hours: "5 Mar 2026 09:05" (en), "5 mrt 2026 09:05" (nl)."""
    if value is None or value == "":
        return MISSING
    value = _parsed(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, f"{DAY_FORMATS[_language()]} {TIME_FORMAT}")


def month_text(value: date | str | None) -> str:
    """A month: "March 2026" (en), "maart 2026" (nl)."""
    if value is None or value == "":
        return MISSING
    value = _parsed(value)
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


register.filter("day", day_text)
register.filter("moment", moment_text)
register.filter("month", month_text)
