"""Archive: a day (hours), a week or a month (days) or a year (months) with use, returned, gas and costs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dsmrhub.prices.models import ContractKind
from dsmrhub.processing.archive import (
    ArchiveData,
    ArchivePeriod,
    PeriodError,
    archive_bounds,
    archive_data,
    archive_period_of,
    archive_period_parse,
)
from dsmrhub.readings.tariffs import tariff_names
from dsmrhub.web.templatetags.units import day_text, month_text

DEVICE_NAMES = {  # the archive's columns of the water, heat and cooling meters
    "water": gettext_lazy("Water"),
    "heat": gettext_lazy("Heat"),
    "cooling": gettext_lazy("Cooling"),
}
DRILL = {"week": "day", "month": "day", "year": "month"}  # what a row of a period is
KIND_LABELS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "year": gettext_lazy("Year"),
}


def archive_url(period: ArchivePeriod | None) -> str | None:
    if period is None:
        return None
    query = {"period": period.kind, "date": period.first.isoformat()}
    return f"{reverse('archive')}?{urlencode(query)}"


def period_title(period: ArchivePeriod) -> str:
    if period.kind == "day":
        return formats.date_format(period.first, "l j F Y")
    if period.kind == "week":
        year, week, _weekday = period.first.isocalendar()
        return _("Week %(week)s of %(year)s (%(first)s – %(last)s)") % {
            "week": week,
            "year": year,
            "first": day_text(period.first),
            "last": day_text(period.last),
        }
    if period.kind == "month":
        return month_text(period.first)
    return str(period.first.year)


def _row_label(period: ArchivePeriod, row) -> str:
    if period.kind == "day":
        return row.label
    if period.kind in ("week", "month"):
        return formats.date_format(row.start, "D j")
    return formats.date_format(row.start, "M")


def _chart(data: ArchiveData) -> dict[str, Any]:
    rows = data.rows
    names = tariff_names()

    def series(name: str) -> list[str | None]:
        return [str(row.use[name]) if row.use else None for row in rows]

    return {
        "labels": [_row_label(data.period, row) for row in rows],
        "electricity1": series("electricity1"),
        "electricity2": series("electricity2"),
        "returned1": series("electricity1_returned"),
        "returned2": series("electricity2_returned"),
        "gas": series("gas"),
        "so_far": [row.so_far for row in rows],
        # water, heat and cooling with data in the period: one bar series each, on an axis per unit
        "devices": [
            {
                "kind": total.kind,
                "label": str(DEVICE_NAMES.get(total.kind, total.label)),
                "unit": total.unit,
                "values": [
                    None if row.devices.get(total.kind) is None else str(row.devices[total.kind])
                    for row in rows
                ],
            }
            for total in data.devices
        ],
        "cost": [str(row.total_cost) if row.total_cost is not None else None for row in rows]
        if data.costs_per_row
        else None,
        "text": {
            "electricity1": _("Electricity (%(tariff)s)") % {"tariff": names[1]},
            "electricity2": _("Electricity (%(tariff)s)") % {"tariff": names[2]},
            "returned1": _("Returned (%(tariff)s)") % {"tariff": names[1]},
            "returned2": _("Returned (%(tariff)s)") % {"tariff": names[2]},
            "gas": _("Gas"),
            "cost": _("Costs"),
            "so_far": _("so far"),
            "kwh": "kWh",
            "m3": "m³",
            "euro": "€",
        },
    }


def _band_rows(data: ArchiveData | None) -> list[dict[str, Any]]:
    """The per-band table, labelled: a band by its name, a fixed contract's registers by the tariff names,
    a dynamic contract as the market price."""
    names = tariff_names()
    rows = []
    for band in data.bands if data else []:
        if band.kind == ContractKind.FIXED:
            label = names.get(int(band.band), band.band) if band.band.isdigit() else band.band
        elif band.band:
            label = band.band
        elif band.kind == ContractKind.DYNAMIC:
            label = _("market price")
        else:
            label = _("more than one band (imported hours)")
        rows.append({"contract": band.contract, "band": label, "band_cost": band})
    return rows


def _device_columns(data: ArchiveData | None) -> list[dict[str, Any]]:
    """A column per water, heat or cooling kind with data in the period; with costs per row (days, months)
    a cost column beside each kind that has a price in the period."""
    if data is None:
        return []
    return [
        {
            "kind": total.kind,
            "name": DEVICE_NAMES.get(total.kind, total.label),
            "total": total,
            "priced": data.costs_per_row and total.cost is not None,
        }
        for total in data.devices
    ]


def _device_cells(row, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "use": row.devices.get(column["kind"]),
            "cost": row.device_costs.get(column["kind"]),
            "priced": column["priced"],
        }
        for column in columns
    ]


def _error(request: HttpRequest, error: PeriodError, kind: str | None, today) -> HttpResponse:
    context = {
        "error": str(error),
        "kinds": KIND_LABELS,
        "kind": kind if kind in KIND_LABELS else "day",
        "date_value": today.isoformat(),
    }
    return render(request, "web/pages/archive.html", context, status=400)


def archive(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    kind = request.GET.get("period")
    value = request.GET.get("date")
    try:
        period = archive_period_parse(kind=kind, value=value, today=today)
    except PeriodError as error:
        return _error(request, error, kind, today)
    bounds = archive_bounds(today=today)
    outside = bounds.in_future(period) or (bounds.first is not None and bounds.before_data(period))
    # A year's costs per band price every quarter hour of it (seconds at a year of one-second data): shown
    # when asked for (?bands=1), so the year page itself stays fast.
    with_bands = period.kind != "year" or request.GET.get("bands") == "1"
    data = None if outside else archive_data(period=period, now=now, bands=with_bands)
    device_columns = _device_columns(data)
    rows = [
        {
            "label": _row_label(period, row),
            "use": row.use,
            "total_cost": row.total_cost,
            "imported": row.imported,
            "so_far": row.so_far,
            "no_contract": row.no_contract,
            "devices": _device_cells(row, device_columns),
            "url": archive_url(archive_period_of(kind=DRILL[period.kind], day=row.start))
            if period.kind in DRILL
            else None,
        }
        for row in (data.rows if data else [])
    ]
    first = bounds.first
    kind = period.kind
    anchor = today if period.contains(today) else period.first  # switching kinds keeps today in view
    context = {
        "imported": data is not None
        and (data.extra.get("imported", False) or any(row.imported for row in data.rows)),
        "period": period,
        "title": period_title(period),
        "data": data,
        "rows": rows,
        "device_columns": device_columns,
        "chart": _chart(data) if data else None,
        "bands": _band_rows(data),
        "bands_url": f"{archive_url(period)}&bands=1" if data and not with_bands else None,
        "previous_url": archive_url(bounds.previous(period)),
        "next_url": archive_url(bounds.next(period)),
        "first_day": first,
        "first_url": archive_url(archive_period_of(kind=period.kind, day=first)) if first else None,
        "first_day_url": archive_url(archive_period_of(kind="day", day=first)) if first else None,
        "today_url": archive_url(archive_period_of(kind=period.kind, day=today)),
        "before_data": data is None and first is not None and bounds.before_data(period),
        "in_future": bounds.in_future(period),
        "kind_links": [
            (name, label, archive_url(_within(archive_period_of(kind=name, day=anchor), bounds)), active)
            for name, label in KIND_LABELS.items()
            for active in [name == kind]
        ],
        "kinds": KIND_LABELS,
        "kind": kind,
        # within the field's min and max, or the browser refuses to send the form
        "date_value": min(max(period.first, first or period.first), today).isoformat(),
        "max_date": today.isoformat(),
        "min_date": first.isoformat() if first else "",
    }
    return render(request, "web/pages/archive.html", context)


def _within(period: ArchivePeriod, bounds) -> ArchivePeriod:
    """A period of another kind, moved to the first day with data when it would start before it (a month
    link from the first day of data is that month; a day link from a month before it is the first day)."""
    if bounds.first is not None and period.last < bounds.first:
        return archive_period_of(kind=period.kind, day=bounds.first)
    return period


urlpatterns = [path("", archive, name="archive")]
