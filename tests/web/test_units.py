"""The one money, number and date format per language (templatetags/units.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from dsmrhub.web.templatetags.units import day_text, moment_text, money, month_text, quantity

NBSP = "\N{NO-BREAK SPACE}"


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("en", Decimal("3.2"), f"€{NBSP}3.20"),
        ("nl", Decimal("3.2"), f"€{NBSP}3,20"),
        ("en", Decimal("1234.005"), f"€{NBSP}1,234.01"),  # half up, not banker's rounding
        ("nl", Decimal("1234.005"), f"€{NBSP}1.234,01"),
        ("en", Decimal("-0.125"), f"€{NBSP}-0.13"),
        ("en", Decimal("0"), f"€{NBSP}0.00"),
        ("en", None, "–"),
    ],
)
def test_money(language, value, expected):
    with translation.override(language):
        assert money(value) == expected


@pytest.mark.parametrize(
    ("language", "value", "places", "expected"),
    [
        ("en", Decimal("2.0005"), 3, "2.001"),
        ("nl", Decimal("2.0005"), 3, "2,001"),
        ("en", Decimal("12345.6"), 3, "12,345.600"),
        ("nl", Decimal("12345.6"), 1, "12.345,6"),
        ("nl", None, 3, "–"),
    ],
)
def test_quantity(language, value, places, expected):
    with translation.override(language):
        assert quantity(value, places) == expected


@pytest.mark.parametrize(
    ("language", "day", "moment", "month"),
    [
        ("en", "5 Mar 2026", "5 Mar 2026 09:05", "March 2026"),
        ("nl", "5 mrt 2026", "5 mrt 2026 09:05", "maart 2026"),
    ],
)
def test_dates_are_one_format_per_language(settings, language, day, moment, month):
    settings.TIME_ZONE = "Europe/Amsterdam"
    with translation.override(language):
        assert day_text(date(2026, 3, 5)) == day
        # 08:05 UTC is 09:05 in Amsterdam (winter time): moments are shown in local time
        assert moment_text(datetime(2026, 3, 5, 8, 5, tzinfo=UTC)) == moment
        # a moment's day is its local day: 23:30 UTC on the 4th is the 5th in Amsterdam
        assert day_text(datetime(2026, 3, 4, 23, 30, tzinfo=UTC)) == day
        assert month_text(date(2026, 3, 1)) == month
        assert day_text(None) == moment_text(None) == month_text(None) == "–"
        # the API's selectors give ISO 8601 text (a day, or a UTC moment with Z): the same formats
        assert day_text("2026-03-05") == day_text("2026-03-04T23:30:00Z") == day
        assert moment_text("2026-03-05T08:05:00Z") == moment
        assert month_text("2026-03-01") == month


def test_years_are_four_digits():
    with translation.override("en"):
        assert day_text(date(999, 1, 2)) == "2 Jan 0999"


def test_the_template_filters_are_the_functions():
    template = Template(
        "{% load units %}{{ cost|money }}|{{ kwh|quantity }}|{{ m3|quantity:1 }}|"
        "{{ d|day }}|{{ t|moment }}|{{ d|month }}"
    )
    context = Context(
        {
            "cost": Decimal("1.5"),
            "kwh": Decimal("2"),
            "m3": None,
            "d": date(2026, 10, 25),
            "t": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # after the clocks went back: 02:30 winter time
        }
    )
    with translation.override("nl"):
        expected = "|".join(
            [
                money(Decimal("1.5")),
                quantity(Decimal("2")),
                "–",
                day_text(date(2026, 10, 25)),
                moment_text(context["t"]),
                month_text(date(2026, 10, 25)),
            ]
        )
        assert template.render(context) == expected
        assert expected.split("|")[3:5] == ["25 okt 2026", "25 okt 2026 02:30"]


@pytest.mark.parametrize(("locale", "language"), [("en-GB", "en"), ("nl-NL", "nl")])
def test_the_browser_formats_as_the_filters(browser, live_server, settings, locale, language):
    """app.js's dsmrhub.money/number/day/moment give the same text as the template filters."""
    context = browser.new_context(locale=locale, timezone_id=settings.TIME_ZONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/status/")
    moment = datetime(2026, 3, 5, 8, 5, tzinfo=UTC)
    shown = page.evaluate(
        """(iso) => [dsmrhub.money("1234.5"), dsmrhub.number("12345.6", 3), dsmrhub.day(iso),
                     dsmrhub.moment(iso), dsmrhub.money(null)]""",
        moment.isoformat(),
    )
    with translation.override(language):
        expected = [
            money(Decimal("1234.5")),
            quantity(Decimal("12345.6")),
            day_text(moment),
            moment_text(moment),
            "–",
        ]
    assert shown == expected
    context.close()
