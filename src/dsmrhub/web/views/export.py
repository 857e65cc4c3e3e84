"""Export: CSV of day statistics, hour statistics, electricity minutes, gas hours or the M-Bus devices' hours
and five minutes for a range of days."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dsmrhub.processing.archive import FIRST_YEAR, LAST_YEAR
from dsmrhub.processing.export import DATASETS, export_csv_lines, export_filename
from dsmrhub.processing.gas import METER_ROWS, gas_rows_resolution


class ExportForm(forms.Form):
    dataset = forms.ChoiceField(
        label=gettext_lazy("Data"), choices=[(name, spec.label) for name, spec in DATASETS.items()]
    )
    start = forms.DateField(label=gettext_lazy("From (local day)"), input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=gettext_lazy("Through (local day)"), input_formats=["%Y-%m-%d"])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if gas_rows_resolution() == METER_ROWS:  # the gas rows are the meter's values, not hours
            self.fields["dataset"].choices = [
                (name, _("Gas consumption (one row per gas value of the meter, every 5 minutes on DSMR 5)"))
                if name == "gas"
                else (name, label)
                for name, label in self.fields["dataset"].choices
            ]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
                self.add_error(
                    name,
                    _("Choose a date from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
        if start and end and end < start:
            self.add_error("end", _("The last day lies before the first day."))
        return data


def _initial() -> dict[str, str]:
    yesterday = timezone.localdate() - timedelta(days=1)
    return {
        "dataset": "day",
        "start": (yesterday - timedelta(days=29)).isoformat(),
        "end": yesterday.isoformat(),
    }


def export(request: HttpRequest) -> HttpResponse:
    """The form; a valid submission is sent on to the CSV download."""
    if "dataset" not in request.GET:
        return render(request, "web/pages/export.html", {"form": ExportForm(initial=_initial())})
    form = ExportForm(request.GET)
    if not form.is_valid():
        return render(request, "web/pages/export.html", {"form": form}, status=400)
    query = {
        "dataset": form.cleaned_data["dataset"],
        "start": form.cleaned_data["start"].isoformat(),
        "end": form.cleaned_data["end"].isoformat(),
    }
    return redirect(f"{reverse('export-csv')}?{urlencode(query)}")


def export_csv(request: HttpRequest) -> HttpResponse:
    """The CSV itself, streamed: ``?dataset=<a key of DATASETS>&start=YYYY-MM-DD&end=YYYY-MM-DD``."""
    form = ExportForm(request.GET)
    if not form.is_valid():  # the same page and message as a bad submission of the form
        return render(request, "web/pages/export.html", {"form": form}, status=400)
    dataset, first, last = (form.cleaned_data[name] for name in ("dataset", "start", "end"))
    response = StreamingHttpResponse(
        export_csv_lines(dataset=dataset, first=first, last=last), content_type="text/csv; charset=utf-8"
    )
    filename = export_filename(dataset=dataset, first=first, last=last)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("", export, name="export"),
    path("csv/", export_csv, name="export-csv"),
]
