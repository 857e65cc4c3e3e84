"""Meter page: positions now, identifiers, power failures, sags and swells, a day's power quality, and the
tariff names (renaming needs a login, as every change does)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dsmrhub.processing.archive import PeriodError
from dsmrhub.processing.meter import (
    NOMINAL_VOLTAGE,
    QUALITY_INTERVALS,
    VOLTAGE_HIGH,
    VOLTAGE_LOW,
    QualityDay,
    meter_overview,
    quality_day,
    quality_day_parse,
)
from dsmrhub.readings.models import TARIFF_NAME_LENGTH
from dsmrhub.readings.tariffs import TARIFFS, tariff_naming, tariff_settings_update


class TariffNamesForm(forms.Form):
    tariff_1_name = forms.CharField(
        label=gettext_lazy("Name of tariff 1"), max_length=TARIFF_NAME_LENGTH, required=False
    )
    tariff_2_name = forms.CharField(
        label=gettext_lazy("Name of tariff 2"), max_length=TARIFF_NAME_LENGTH, required=False
    )


def _tariff_form(data: dict[str, Any] | None = None) -> TariffNamesForm:
    naming = tariff_naming()
    form = TariffNamesForm(data, initial={f"tariff_{t}_name": naming.custom.get(t, "") for t in TARIFFS})
    for tariff in TARIFFS:  # an empty field means the country's name: show it as the placeholder
        country_name = naming.translated(tariff) if not naming.custom.get(tariff) else ""
        form.fields[f"tariff_{tariff}_name"].widget.attrs["placeholder"] = country_name
    return form


def duration_text(seconds: int) -> str:
    """4 h 2 min 5 s; the parts that are zero left out (0 s for none)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value}\N{NO-BREAK SPACE}{unit}"
        for value, unit in ((hours, "h"), (minutes, "min"), (secs, "s"))
        if value
    ]
    return " ".join(parts) or "0\N{NO-BREAK SPACE}s"


def _interval_labels(quality: QualityDay) -> list[str]:
    """Local start times; on the day clocks go back, the repeated hour names its zone (02:00 CEST, CET)."""
    starts = [timezone.localtime(row.start) for row in quality.intervals]
    texts = [start.strftime("%H:%M") for start in starts]
    return [
        f"{text} {start.tzname()}" if texts.count(text) > 1 else text
        for text, start in zip(texts, starts, strict=True)
    ]


def _quality_chart(quality: QualityDay) -> dict[str, Any]:
    def text(value) -> str | None:
        return None if value is None else str(value)

    def series(quantity: str) -> dict[str, Any]:
        return {
            f"l{phase}": {
                part: [
                    text(getattr(getattr(row, quantity).get(phase), part, None)) for row in quality.intervals
                ]
                for part in ("low", "mean", "high")
            }
            for phase in (row.phase for row in quality.phases)
        }

    return {
        "labels": _interval_labels(quality),
        "phases": [row.phase for row in quality.phases],
        "voltage": series("voltage"),
        "current": series("current"),
        "limits": {"low": str(VOLTAGE_LOW), "high": str(VOLTAGE_HIGH)},
        "text": {
            "voltage": _("Voltage"),
            "current": _("Current"),
            "low": _("lowest"),
            "mean": _("mean"),
            "high": _("highest"),
            "volt": "V",
            "ampere": "A",
        },
    }


def _page(
    request: HttpRequest, *, tariff_form: TariffNamesForm | None = None, status: int = 200
) -> HttpResponse:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    try:
        day, interval = quality_day_parse(
            day=request.GET.get("day"), interval=request.GET.get("interval"), today=today
        )
    except PeriodError as error:
        errors["quality"] = str(error)
        day, interval = quality_day_parse(day=None, interval=None, today=today)
        status = 400
    quality = quality_day(day=day, interval=interval)
    overview = meter_overview()
    context = {
        "meter": overview,
        "failures": [
            (failure, duration_text(failure.duration_seconds)) for failure in overview.power_failures
        ],
        "quality": quality,
        "quality_chart": _quality_chart(quality),
        "day_value": request.GET.get("day", "") if errors else day.isoformat(),
        "interval": interval,
        "intervals": QUALITY_INTERVALS,
        "limits": {"low": VOLTAGE_LOW, "high": VOLTAGE_HIGH, "nominal": NOMINAL_VOLTAGE},
        "errors": errors,
        "tariff_form": tariff_form or _tariff_form(),
        "naming": tariff_naming(),
    }
    return render(request, "web/pages/meter.html", context, status=status)


def meter(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def meter_tariffs(request: HttpRequest) -> HttpResponse:
    form = _tariff_form(request.POST)
    if form.is_valid():
        try:
            tariff_settings_update(names={t: form.cleaned_data[f"tariff_{t}_name"] for t in TARIFFS})
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Tariff names saved."))
            return redirect(reverse("meter") + "#tariffs")
    return _page(request, tariff_form=form, status=400)


urlpatterns = [
    path("", meter, name="meter"),
    path("tariffs", meter_tariffs, name="meter-tariffs"),
]
