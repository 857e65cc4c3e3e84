"""Trends and compare: averages by hour of day and weekday, the tariff split, two periods side by side."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dsmrhub.processing.archive import PeriodError, archive_period_of
from dsmrhub.processing.trends import (
    DEFAULT_DAYS,
    ComparePeriod,
    compare_default,
    compare_period_parse,
    periods_compare,
    trends_by_hour,
    trends_by_weekday,
    trends_range_parse,
    trends_tariff_split,
)

# ISO weekday 1..7 (Monday first) → a Monday..Sunday in a known week, to get localised names.
_MONDAY = date(2024, 1, 1)


def _weekday_name(weekday: int) -> str:
    return formats.date_format(_MONDAY + timedelta(days=weekday - 1), "l")


def _figure_names() -> dict[str, str]:
    return {
        "electricity1": _("Electricity 1 (low) kWh"),
        "electricity2": _("Electricity 2 (normal) kWh"),
        "electricity": _("Electricity used kWh"),
        "returned": _("Electricity returned kWh"),
        "gas": _("Gas m³"),
        "total_cost": _("Costs €"),
        "days": _("Days with statistics"),
    }


def _compare_label(period: ComparePeriod) -> str:
    if period.first == date(period.first.year, 1, 1) and period.last == date(period.first.year, 12, 31):
        return str(period.first.year)
    if period.first.day == 1 and period.last == archive_period_of(kind="month", day=period.first).last:
        return formats.date_format(period.first, "YEAR_MONTH_FORMAT")
    if period.first == period.last:
        return formats.date_format(period.first, "j M Y")
    return f"{formats.date_format(period.first, 'j M Y')} – {formats.date_format(period.last, 'j M Y')}"


def _chart(by_hour: list[dict[str, Any]], by_weekday: list[dict[str, Any]], split: dict) -> dict[str, Any]:
    def text(value) -> str | None:
        return None if value is None else str(value)

    return {
        "hours": {
            "labels": [row["label"] for row in by_hour],
            "electricity": [text(row["electricity"]) for row in by_hour],
            "returned": [text(row["returned"]) for row in by_hour],
            "gas": [text(row["gas"]) for row in by_hour],
        },
        "weekdays": {
            "labels": [_weekday_name(row["weekday"]) for row in by_weekday],
            "electricity": [text(row["electricity"]) for row in by_weekday],
            "returned": [text(row["returned"]) for row in by_weekday],
            "gas": [text(row["gas"]) for row in by_weekday],
        },
        "split": {
            "electricity1": text(split["electricity1"]),
            "electricity2": text(split["electricity2"]),
        },
        "text": {
            "electricity": _("Electricity used"),
            "returned": _("Electricity returned"),
            "gas": _("Gas"),
            "electricity1": _("Electricity 1 (low)"),
            "electricity2": _("Electricity 2 (normal)"),
            "kwh": "kWh",
            "m3": "m³",
        },
    }


def trends(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    errors: dict[str, str] = {}
    try:
        span = trends_range_parse(start=request.GET.get("start"), end=request.GET.get("end"), today=today)
    except PeriodError as error:
        errors["range"] = str(error)
        span = trends_range_parse(start=None, end=None, today=today)
    default_a, default_b = compare_default(today=today)
    compared: dict[str, ComparePeriod] = {}
    for name, default in (("a", default_a), ("b", default_b)):
        value = request.GET.get(name, "").strip() or default
        try:
            compared[name] = compare_period_parse(value=value)
        except PeriodError as error:
            errors[name] = str(error)
            compared[name] = compare_period_parse(value=default)
    by_hour = trends_by_hour(span=span)
    by_weekday = trends_by_weekday(span=span)
    split = trends_tariff_split(span=span)
    a, b = compared["a"], compared["b"]
    names = _figure_names()
    comparison = [{**row, "label": names[row["name"]]} for row in periods_compare(a=a, b=b)]
    context = {
        "span": span,
        "start_value": request.GET.get("start") if "range" in errors else span.first.isoformat(),
        "end_value": request.GET.get("end") if "range" in errors else span.last.isoformat(),
        "default_days": DEFAULT_DAYS,
        "errors": errors,
        "a": a,
        "b": b,
        "a_value": request.GET.get("a", "") if "a" in errors else a.text,
        "b_value": request.GET.get("b", "") if "b" in errors else b.text,
        "a_label": _compare_label(a),
        "b_label": _compare_label(b),
        "comparison": comparison,
        "by_hour": by_hour,
        "by_weekday": [{**row, "name": _weekday_name(row["weekday"])} for row in by_weekday],
        "split": split,
        "has_data": split["days"] > 0 or any(row["count"] for row in by_hour),
        "chart": _chart(by_hour, by_weekday, split),
    }
    return render(request, "web/pages/trends.html", context, status=400 if errors else 200)


urlpatterns = [path("", trends, name="trends")]
