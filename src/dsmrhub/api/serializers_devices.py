"""API v2 M-Bus devices: the query check and the documented shapes (figures from ``dsmrhub.devices``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rest_framework import serializers

from dsmrhub.api.fields import utc_text
from dsmrhub.devices.kinds import KIND_BY_KEY
from dsmrhub.devices.selectors import (
    RESOLUTIONS,
    DeviceFigure,
    DevicePresent,
    device_day_totals,
    device_hour_totals,
)
from dsmrhub.prices.services import FIRST_DAY, LAST_DAY

# At most this many days per request (longer ranges are cut at their end, reported in the answer's `to`).
MAX_DAYS = {"five-minutes": 31, "hour": 366, "day": 3660}


class DeviceQuerySerializer(serializers.Serializer):
    """``from``/``to`` local days (default: today's), ``resolution``. Never a 400 for a range: days are
    kept inside 2000-01-01 … 2099-12-31, a range longer than the resolution's limit ends at the limit, and
    ``to`` before ``from`` is an empty range."""

    resolution = serializers.ChoiceField(choices=RESOLUTIONS, default="hour")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="first local day (YYYY-MM-DD)")
        fields["to"] = serializers.DateField(required=False, help_text="last local day, inclusive")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = self.context["today"]
        first = min(max(attrs.get("from", today), FIRST_DAY), LAST_DAY)
        last = min(max(attrs.get("to", first), FIRST_DAY), LAST_DAY)
        last = min(last, first + timedelta(days=MAX_DAYS[attrs["resolution"]] - 1))
        return {"resolution": attrs["resolution"], "from": first, "to": last}


def device_json(device: DevicePresent) -> dict[str, Any]:
    return {
        "channel": device.channel,
        "device_type": device.device_type,
        "kind": device.kind,
        "label": device.label,
        "unit": device.unit,
        "identifier": device.identifier,
        "position": str(device.position),
        "position_at": device.position_at,
        "raw_value": str(device.raw_value),
        "raw_unit": device.raw_unit,
        "overridden": device.overridden,
    }


def figure_json(figure: DeviceFigure) -> dict[str, Any]:
    return {
        "start": utc_text(figure.start) if isinstance(figure.start, datetime) else figure.start.isoformat(),
        "kind": figure.kind,
        "unit": figure.unit,
        "use": str(figure.use),
        "position": None if figure.position is None else str(figure.position),
        "cost": None if figure.cost is None else str(figure.cost),
    }


class DeviceDocSerializer(serializers.Serializer):
    channel = serializers.IntegerField(help_text="M-Bus channel (0-n)")
    device_type = serializers.IntegerField(allow_null=True, help_text="0-n:24.1.0 as sent (EN 13757-3)")
    kind = serializers.ChoiceField(choices=list(KIND_BY_KEY), help_text="by the type line or the override")
    label = serializers.CharField(help_text='"Water meter", "Unknown device (type 15)"')
    unit = serializers.CharField(
        help_text="of position: m³ (gas, water), GJ (heat, cooling); unknown: as sent"
    )
    identifier = serializers.CharField(allow_blank=True)
    position = serializers.DecimalField(max_digits=24, decimal_places=6)
    position_at = serializers.DateTimeField(help_text="the meter's own stamp of the value (UTC)")
    raw_value = serializers.DecimalField(max_digits=24, decimal_places=3)
    raw_unit = serializers.CharField(allow_blank=True)
    overridden = serializers.BooleanField(help_text="the kind was set by hand, not by the type line")


class DevicesDocSerializer(serializers.Serializer):
    devices = DeviceDocSerializer(many=True)


class FigureDocSerializer(serializers.Serializer):
    start = serializers.CharField(
        help_text="the period's start: UTC date-time, or the local day (YYYY-MM-DD)"
    )
    kind = serializers.ChoiceField(choices=list(KIND_BY_KEY))
    unit = serializers.CharField(allow_blank=True)
    use = serializers.DecimalField(
        max_digits=24, decimal_places=6, help_text="within the period, never negative"
    )
    position = serializers.DecimalField(
        max_digits=24, decimal_places=6, allow_null=True, help_text="at the period's last value (summed)"
    )
    cost = serializers.DecimalField(
        max_digits=24, decimal_places=2, allow_null=True, help_text="days only, with a price per m³/GJ"
    )


class FiguresDocSerializer(serializers.Serializer):
    kind = serializers.CharField(allow_null=True)
    channel = serializers.IntegerField(allow_null=True)
    resolution = serializers.ChoiceField(choices=RESOLUTIONS)
    periods = FigureDocSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField(help_text="the last day answered (a long range is cut)")
        return fields


class DeviceFigureField(serializers.DecimalField):
    """A day's or hour's use (or a day's cost) of one kind of M-Bus device in the day/hour statistics; null
    when no such device reported in it. The figures of the whole page are read once, on its first row."""

    def __init__(self, kind: str, *, cost: bool = False, **kwargs: Any) -> None:
        self.kind, self.cost = kind, cost
        places = 2 if cost else 6
        super().__init__(
            max_digits=24, decimal_places=places, read_only=True, allow_null=True, source="*", **kwargs
        )

    def to_representation(self, obj: Any) -> Any:
        figures = self.context.get("device_figures")
        if figures is None:
            page = getattr(self.parent.parent, "instance", None) if self.parent is not None else None
            rows = list(page) if page is not None and not hasattr(page, "pk") else [obj]
            figures = self.context["device_figures"] = _page_figures(rows)
        value = figures.get(_period(obj), {}).get(self.kind)
        value = None if value is None else value[1 if self.cost else 0]
        return None if value is None else super().to_representation(value)


def _period(obj: Any) -> Any:
    return obj.day if hasattr(obj, "day") else obj.hour_start


def _page_figures(rows: list) -> dict:
    if not rows:
        return {}
    if hasattr(rows[0], "day"):
        return device_day_totals(days=[row.day for row in rows])
    return device_hour_totals(starts=[row.hour_start for row in rows])
