"""Dashboard: the live header (with a banner when the data is not current), today with its cost split and
against a typical day, this month and year so far with a projection, and charts of today and the last hours.

The page embeds its first data; dashboard.js then polls "dashboard-live" every few seconds for the header,
the totals and only the chart points it lacks (``since``/``gas_since``), and updates in place.
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from dsmrhub.processing.periods import HOUR
from dsmrhub.readings.tariffs import tariff_names
from dsmrhub.web.dashboard import (
    DEFAULT_HOURS,
    GAS_HOURS,
    WINDOW_HOURS,
    Capabilities,
    Window,
    dashboard_capabilities,
    dashboard_data,
)


class BadParameter(ValueError):
    pass


def _int_parameter(request: HttpRequest, name: str, default: int | None) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(_("%(name)s must be a whole number") % {"name": name}) from None
    if value < 0 or value > 2**40:
        raise BadParameter(_("%(name)s is out of range") % {"name": name})
    return value


def _window(request: HttpRequest) -> Window:
    hours = _int_parameter(request, "hours", DEFAULT_HOURS)
    try:
        return Window.of(hours)
    except ValueError:
        choices = ", ".join(map(str, WINDOW_HOURS))
        raise BadParameter(_("hours must be one of %(choices)s") % {"choices": choices}) from None


def _datasets(capabilities: Capabilities, tariff_names: dict[int, str]) -> dict[str, list[dict[str, Any]]]:
    """The chart lines this meter has, with their translated labels (the series keys are the columns)."""
    colors = {1: "l1", 2: "l2", 3: "l3"}
    power = [{"key": "currently_delivered", "label": _("Delivered"), "color": "electricity1"}]
    if len(capabilities.phases) > 1:
        power[0]["label"] = _("Total delivered")
        power += [
            {
                "key": f"phase_currently_delivered_l{p}",
                "label": _("L%(phase)s delivered") % {"phase": p},
                "color": colors[p],
            }
            for p in capabilities.phases
        ]
    if capabilities.returned:
        power.append({"key": "currently_returned", "label": _("Returned"), "color": "returned1"})
    voltage = [
        {"key": f"phase_voltage_l{p}", "label": _("L%(phase)s") % {"phase": p}, "color": colors[p]}
        for p in capabilities.voltages
    ]
    gas = [{"key": "gas", "label": _("Gas"), "color": "gas"}] if capabilities.gas else []
    hours = [
        {
            "key": f"electricity{t}",
            "label": str(tariff_names[t]),
            "color": f"electricity{t}",
            "stack": "delivered",
        }
        for t in (1, 2)
    ]
    if capabilities.returned:
        hours.append({"key": "returned", "label": _("Returned"), "color": "returned1", "stack": "returned"})
    return {"power": power, "voltage": voltage, "gas": gas, "hours": hours}


def _period_rows(
    capabilities: Capabilities, tariff_names: dict[int, str], devices: dict[str, dict[str, Any]]
) -> list[tuple[str, str, int, str]]:
    """Rows of the month/year table: (key in the period's data, label, decimals, format)."""
    rows = [
        (f"electricity{t}", _("Electricity, %(tariff)s (kWh)") % {"tariff": tariff_names[t]}, 3, "")
        for t in (1, 2)
    ]
    rows.append(("electricity", _("Electricity used (kWh)"), 3, ""))
    if capabilities.returned:
        rows.append(("electricity_returned", _("Returned (kWh)"), 3, ""))
    if capabilities.gas:
        rows.append(("gas", _("Gas (m³)"), 3, ""))
    # the water, heat and cooling meters present (the month and year hold their use; no projection)
    labels = {"water": _("Water (m³)"), "heat": _("Heat (GJ)"), "cooling": _("Cooling (GJ)")}
    rows += [(kind, labels[kind], 3, "") for kind in devices if kind in labels]
    rows.append(("total_cost", _("Costs"), 2, "money"))
    return rows


def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        window = _window(request)
    except BadParameter as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    capabilities = dashboard_capabilities()
    data = dashboard_data(window=window)
    names = tariff_names()
    return render(
        request,
        "web/pages/dashboard.html",
        {
            "capabilities": capabilities,
            "multi_phase": len(capabilities.phases) > 1,
            "window": window,
            "window_choices": WINDOW_HOURS,
            "keep_seconds": window.hours * HOUR,
            "gas_keep_seconds": GAS_HOURS * HOUR,
            "periods": [
                ("month", _("This month")),
                ("projection", _("Month end (projected)")),
                ("year", _("This year")),
            ],
            "period_rows": _period_rows(capabilities, names, data["devices"]),
            "text": {
                # {time}, {moment} and {age} are filled in by dashboard.js
                "latest": _("Latest reading at {time}, {age}"),
                "latest_old": _("Latest reading on {moment}, {age}"),
                "unfinished": _("(hour not finished)"),
            },
            "units": {"power": "W", "voltage": "V", "gas": "m³", "hours": "kWh"},
            "initial": data,  # json_script encodes Decimals as strings, exactly as the JSON route does
            "datasets": _datasets(capabilities, names),
        },
    )


def dashboard_live(request: HttpRequest) -> JsonResponse:
    """The dashboard's data as JSON; ``since``/``gas_since`` (epoch seconds of the last points held)."""
    try:
        window = _window(request)
        since = _int_parameter(request, "since", None)
        gas_since = _int_parameter(request, "gas_since", None)
    except BadParameter as error:
        return JsonResponse({"error": str(error)}, status=400)
    data = dashboard_data(window=window, since=since, gas_since=gas_since)
    response = JsonResponse(data, encoder=DjangoJSONEncoder)
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("dashboard/live", dashboard_live, name="dashboard-live"),
]
