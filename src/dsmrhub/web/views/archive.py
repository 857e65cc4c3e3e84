"""Archive: a day (hours), a month (days) or a year (months) with use, returned, gas and costs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dsmrhub.processing.archive import (
    ArchiveData,
    ArchivePeriod,
    PeriodError,
    archive_data,
    archive_period_of,
    archive_period_parse,
)

DRILL = {"month": "day", "year": "month"}  # a row of a month is a day, of a year a month
KIND_LABELS = {"day": gettext_lazy("Day"), "month": gettext_lazy("Month"), "year": gettext_lazy("Year")}


def archive_url(period: ArchivePeriod | None) -> str | None:
    if period is None:
        return None
    query = {"period": period.kind, "date": period.first.isoformat()}
    return f"{reverse('archive')}?{urlencode(query)}"


def period_title(period: ArchivePeriod) -> str:
    if period.kind == "day":
        return formats.date_format(period.first, "l j F Y")
    if period.kind == "month":
        return formats.date_format(period.first, "YEAR_MONTH_FORMAT")
    return str(period.first.year)


def _row_label(period: ArchivePeriod, row) -> str:
    if period.kind == "day":
        return row.label
    if period.kind == "month":
        return formats.date_format(row.start, "D j")
    return formats.date_format(row.start, "M")


def _chart(data: ArchiveData) -> dict[str, Any]:
    rows = data.rows

    def series(name: str) -> list[str | None]:
        return [str(row.use[name]) if row.use else None for row in rows]

    return {
        "labels": [_row_label(data.period, row) for row in rows],
        "electricity1": series("electricity1"),
        "electricity2": series("electricity2"),
        "returned1": series("electricity1_returned"),
        "returned2": series("electricity2_returned"),
        "gas": series("gas"),
        "cost": [str(row.total_cost) if row.total_cost is not None else None for row in rows]
        if data.costs_per_row
        else None,
        "text": {
            "electricity1": _("Electricity 1 (low)"),
            "electricity2": _("Electricity 2 (normal)"),
            "returned1": _("Returned 1"),
            "returned2": _("Returned 2"),
            "gas": _("Gas"),
            "cost": _("Costs"),
            "kwh": "kWh",
            "m3": "m³",
            "euro": "€",
        },
    }


def archive(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    kind = request.GET.get("period")
    value = request.GET.get("date")
    try:
        period = archive_period_parse(kind=kind, value=value, today=today)
    except PeriodError as error:
        context = {
            "error": str(error),
            "kinds": KIND_LABELS,
            "kind": kind if kind in KIND_LABELS else "day",
            "date_value": today.isoformat(),
        }
        return render(request, "web/pages/archive.html", context, status=400)
    data = archive_data(period=period)
    rows = [
        {
            "label": _row_label(period, row),
            "use": row.use,
            "total_cost": row.total_cost,
            "imported": row.imported,
            "url": archive_url(archive_period_of(kind=DRILL[period.kind], day=row.start))
            if period.kind in DRILL
            else None,
        }
        for row in data.rows
    ]
    context = {
        "imported": data.extra.get("imported", False) or any(row.imported for row in data.rows),
        "period": period,
        "title": period_title(period),
        "data": data,
        "rows": rows,
        "chart": _chart(data),
        "previous_url": archive_url(period.previous),
        "next_url": archive_url(period.next),
        "kind_links": [
            (name, label, archive_url(period.of_kind(name)), name == period.kind)
            for name, label in KIND_LABELS.items()
        ],
        "kinds": KIND_LABELS,
        "kind": period.kind,
        "date_value": period.first.isoformat(),
    }
    return render(request, "web/pages/archive.html", context)


urlpatterns = [path("", archive, name="archive")]
