"""Trends and compare: averages by hour of day and weekday, the tariff split, two periods side by side."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dsmrhub.processing.archive import ArchiveRow, PeriodError
from dsmrhub.processing.trends import (
    DEFAULT_DAYS,
    DEVICE_KINDS,
    ComparePeriod,
    CompareSide,
    Comparison,
    compare_default,
    compare_period_parse,
    compare_previous,
    compare_year_earlier,
    periods_compare,
    trends_by_hour,
    trends_by_weekday,
    trends_range_parse,
    trends_tariff_split,
)
from dsmrhub.readings.tariffs import tariff_names
from dsmrhub.web.templatetags.units import MISSING, day_text, money, month_text, quantity

# ISO weekday 1..7 (Monday first) → a Monday..Sunday in a known week, to get localised names.
_MONDAY = date(2024, 1, 1)


def _weekday_name(weekday: int) -> str:
    return formats.date_format(_MONDAY + timedelta(days=weekday - 1), "l")


def _figure_names() -> dict[str, str]:
    names = tariff_names()
    return {
        "electricity1": _("Electricity 1 (%(tariff)s) kWh") % {"tariff": names[1]},
        "electricity2": _("Electricity 2 (%(tariff)s) kWh") % {"tariff": names[2]},
        "electricity": _("Electricity used kWh"),
        "returned": _("Electricity returned kWh"),
        "gas": _("Gas m³"),
        "water": _("Water m³"),
        "heat": _("Heat GJ"),
        "cooling": _("Cooling GJ"),
        "total_cost": _("Costs €"),
        "days": _("Days with data"),
    }


def _compare_label(period: ComparePeriod) -> str:
    if period.kind == "year":
        return str(period.first.year)
    if period.kind == "month":
        return month_text(period.first)
    if period.kind == "day":
        return day_text(period.first)
    if period.kind == "week":
        year, week, _weekday = period.first.isocalendar()
        return _("Week %(week)s of %(year)s") % {"week": week, "year": year}
    return f"{day_text(period.first)} – {day_text(period.last)}"


def _compare_dates(period: ComparePeriod) -> str:
    """The days a period covers, where its label does not say them (a week, a month, a year)."""
    if period.kind in ("day", "range"):
        return ""
    return f"{day_text(period.first)} – {day_text(period.last)}"


def _cell(value: Any, unit: str, side: CompareSide | None) -> str:
    """A figure as the page shows it: units' formats; "no data" for a period without any, "no contract"
    for costs of days without one (never a 0 that reads as free or as nothing used)."""
    if value is None:
        if side is not None and side.totals is None:
            return _("no data")
        if side is not None and unit == "money":
            return _("no contract")
        return MISSING
    if unit == "money":
        return money(value)
    if unit == "days":
        return str(value)
    return quantity(value)


def _percent(value) -> str:
    if value is None:
        return MISSING
    text = formats.number_format(value, 1, use_l10n=True)
    return f"+{text}" if value > 0 else text


def _compare_rows(comparison: Comparison) -> list[dict[str, Any]]:
    names = _figure_names()
    rows = []
    for row in comparison.rows:
        unit = row["unit"]
        rows.append(
            {
                "name": row["name"],
                "label": names[row["name"]],
                "a": _cell(row["a"], unit, comparison.a),
                "b": _cell(row["b"], unit, comparison.b),
                "a_per_day": _cell(row["a_per_day"], unit, None) if row["name"] != "days" else "",
                "b_per_day": _cell(row["b_per_day"], unit, None) if row["name"] != "days" else "",
                "difference": "" if row["name"] == "days" else _cell(row["difference"], unit, None),
                "percent": "" if row["name"] == "days" else _percent(row["percent"]),
            }
        )
    return rows


def _same_time_text(comparison: Comparison) -> dict[str, str] | None:
    same = comparison.same_time
    if same is None:
        return None
    return {
        "until": same["until"] or "",
        "a": quantity(same["a"]),
        "b": quantity(same["b"]),
        "percent": _percent(same["percent"]),
    }


def _bucket_label(row: ArchiveRow, granularity: str) -> str:
    if granularity == "hour":
        return row.label
    if granularity == "month":
        return formats.date_format(row.start, "M")
    return day_text(row.start)


def _compare_chart(comparison: Comparison) -> dict[str, Any]:
    """Bars for A, B as a line over them (bucket by bucket: hour, day or month of each period)."""
    granularity = comparison.granularity

    def values(rows: list[ArchiveRow], name: str) -> list[str | None]:
        if name == "total_cost":
            return [None if row.total_cost is None else str(row.total_cost) for row in rows]
        if name in DEVICE_KINDS:
            return [None if row.devices.get(name) is None else str(row.devices[name]) for row in rows]
        return [str(row.use[name]) if row.use else None for row in rows]

    a_rows, b_rows = comparison.a.rows, comparison.b.rows
    a_labels = [_bucket_label(row, granularity) for row in a_rows]
    b_labels = [_bucket_label(row, granularity) for row in b_rows]
    if granularity == "day" and comparison.a.period.kind == comparison.b.period.kind == "week":
        axis = [formats.date_format(comparison.a.period.first + timedelta(days=i), "D") for i in range(7)]
    elif granularity == "day":  # day 1, 2, … of each period: B's days under A's
        axis = [str(i + 1) for i in range(max(len(a_labels), len(b_labels)))]
    else:  # hours of the day, months of the year: the same names in both
        axis = a_labels + b_labels[len(a_labels) :]
    figures = {}
    devices = [kind for kind in DEVICE_KINDS if kind in comparison.a.devices or kind in comparison.b.devices]
    for name in ("electricity", "returned", "gas", *devices, "total_cost"):
        a, b = values(a_rows, name), values(b_rows, name)
        if any(v is not None for v in a + b):
            figures[name] = {"a": a, "b": b}
    return {
        "granularity": granularity,
        "labels": axis,
        "a_labels": a_labels,
        "b_labels": b_labels,
        "figures": figures,
        "text": {
            "a": _("A: %(period)s") % {"period": _compare_label(comparison.a.period)},
            "b": _("B: %(period)s") % {"period": _compare_label(comparison.b.period)},
            "electricity": _("Electricity used"),
            "returned": _("Electricity returned"),
            "gas": _("Gas"),
            "water": _("Water"),
            "heat": _("Heat"),
            "cooling": _("Cooling"),
            "total_cost": _("Costs"),
            "axis": {"hour": _("Hour"), "day": _("Day of the period"), "month": _("Month")}[granularity],
        },
        "units": {
            "electricity": "kWh",
            "returned": "kWh",
            "gas": "m³",
            "water": "m³",
            "heat": "GJ",
            "cooling": "GJ",
            "total_cost": "€",
        },
    }


def _compare_link(request: HttpRequest, a: ComparePeriod, b: ComparePeriod | None) -> str | None:
    if b is None:
        return None
    query = {key: request.GET[key] for key in ("start", "end") if request.GET.get(key)}
    query.update({"a": a.text, "b": b.text})
    return f"{reverse('trends')}?{urlencode(query)}#compare"


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
            "electricity1": _("Electricity 1 (%(tariff)s)") % {"tariff": tariff_names()[1]},
            "electricity2": _("Electricity 2 (%(tariff)s)") % {"tariff": tariff_names()[2]},
            "kwh": "kWh",
            "m3": "m³",
        },
    }


def trends(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
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
    comparison = periods_compare(a=a, b=b, now=now)
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
        "a_dates": _compare_dates(a),
        "b_dates": _compare_dates(b),
        "comparison": comparison,
        "compare_rows": _compare_rows(comparison),
        "same_time": _same_time_text(comparison),
        "compare_chart": _compare_chart(comparison),
        "previous_link": _compare_link(request, a, compare_previous(period=a)),
        "year_earlier_link": _compare_link(request, a, compare_year_earlier(period=a)),
        "by_hour": by_hour,
        "by_weekday": [{**row, "name": _weekday_name(row["weekday"])} for row in by_weekday],
        "split": split,
        "has_data": split["days"] > 0 or any(row["count"] for row in by_hour),
        "chart": _chart(by_hour, by_weekday, split),
    }
    return render(request, "web/pages/trends.html", context, status=400 if errors else 200)


urlpatterns = [path("", trends, name="trends")]
