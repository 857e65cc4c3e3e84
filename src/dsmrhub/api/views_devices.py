"""API v2 M-Bus devices: the present devices and the consumption of each kind (water, heat, cooling) or
channel, per five minutes, hour or day. Thin edges over ``dsmrhub.devices.selectors``."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from dsmrhub.api.fields import utc_text
from dsmrhub.api.filters import KnownQueryParamsMixin
from dsmrhub.api.serializers_devices import (
    DeviceQuerySerializer,
    DevicesDocSerializer,
    FiguresDocSerializer,
    device_json,
    figure_json,
)
from dsmrhub.devices.kinds import COOLING, HEAT, WATER
from dsmrhub.devices.selectors import RESOLUTIONS, device_figures, devices_present
from dsmrhub.processing.periods import day_end, day_start, from_epoch, local_date

MAX_CHANNEL = 255
RANGE = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="first local day (default: today)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="last local day, inclusive (default: from)"),
    OpenApiParameter("resolution", OpenApiTypes.STR, enum=list(RESOLUTIONS), description="default: hour"),
]


class DevicesView(KnownQueryParamsMixin, APIView):
    @extend_schema(
        operation_id="consumption_devices_list",
        summary="The M-Bus devices present (gas, water, heat, cooling, unknown) with their positions",
        description="What each channel is comes from its device type line (0-n:24.1.0) or a hand-set "
        "override; positions are converted to m³ (gas, water) or GJ (heat, cooling). A type dsmrhub does "
        "not know is an `unknown` device with its value and unit as sent.",
        responses={200: DevicesDocSerializer},
    )
    def get(self, request):
        devices = [device_json(device) for device in devices_present()]
        return Response({"devices": [{**d, "position_at": utc_text(d["position_at"])} for d in devices]})


class _FiguresView(KnownQueryParamsMixin, APIView):
    method_query_params = {"GET": ("from", "to", "resolution")}
    kind: str | None = None

    def figures(self, request, *, channel: int | None) -> Response:
        # an empty day counts as absent, as for every date filter (the schema allows it); an empty
        # resolution is none of its values: a 400
        given = {
            name: value for name, value in request.query_params.items() if value != "" or name == "resolution"
        }
        query = DeviceQuerySerializer(data=given, context={"today": _today()})
        query.is_valid(raise_exception=True)
        q = query.validated_data
        start, end = from_epoch(day_start(q["from"])), from_epoch(day_end(q["to"]))
        rows = []
        if q["from"] <= q["to"]:
            rows = device_figures(
                resolution=q["resolution"],
                start=start,
                end=end,
                first=q["from"],
                last=q["to"],
                kind=self.kind,
                channel=channel,
            )
        return Response(
            {
                "kind": self.kind,
                "channel": channel,
                "resolution": q["resolution"],
                "from": q["from"].isoformat(),
                "to": q["to"].isoformat(),
                "periods": [figure_json(f) for f in rows],
            }
        )


def _today() -> date:
    return local_date(int(timezone.now().timestamp()))


def _kind_view(kind: str, name: str) -> type[_FiguresView]:
    @extend_schema(
        summary=f"{name} consumption per five minutes, hour or day",
        description=f"The use of every {kind} meter together (summed over their channels), in m³ or GJ; a "
        "replaced meter is a new epoch, never negative use; hours add up to the day. Five-minute periods "
        "exist for the hours in which a meter sent more than one value. Days carry their cost when a price "
        "per unit is set (admin: device prices). At most 31 days (five minutes), 366 (hours) or 3660 (days).",
        parameters=RANGE,
        responses={200: FiguresDocSerializer},
    )
    def get(self, request):
        return self.figures(request, channel=None)

    return type(f"{name}ConsumptionView", (_FiguresView,), {"kind": kind, "get": get})


WaterConsumptionView = _kind_view(WATER, "Water")
HeatConsumptionView = _kind_view(HEAT, "Heat")
CoolingConsumptionView = _kind_view(COOLING, "Cooling")


class ChannelConsumptionView(_FiguresView):
    @extend_schema(
        operation_id="consumption_device_retrieve",
        summary="One M-Bus channel's consumption per five minutes, hour or day",
        description="Whatever device the channel holds (gas, water, heat, cooling or unknown), its periods "
        "in the kind's unit; a channel without values has no periods.",
        parameters=[
            OpenApiParameter("channel", OpenApiTypes.INT, OpenApiParameter.PATH, description="0 to 255"),
            *RANGE,
        ],
        responses={
            200: FiguresDocSerializer,
            404: OpenApiResponse(description="No such channel (0 to 255)."),
        },
    )
    def get(self, request, channel: str):
        number = int(channel)
        if number > MAX_CHANNEL:
            raise NotFound(f"channels are 0 to {MAX_CHANNEL}")
        return self.figures(request, channel=number)
