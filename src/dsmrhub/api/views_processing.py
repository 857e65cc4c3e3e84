"""Thin API v2 edges over processed data: consumption, statistics and the application's status."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

import dsmrhub
from dsmrhub.alerts.problems import PROBLEM_SOURCES
from dsmrhub.api.fields import utc_text
from dsmrhub.api.filters import KnownQueryParamsMixin
from dsmrhub.api.filters_processing import (
    DayStatisticsFilter,
    ElectricityConsumptionFilter,
    EnergyContractFilter,
    GasConsumptionFilter,
    HourStatisticsFilter,
    QuarterPeakFilter,
)
from dsmrhub.api.selectors import (
    consumption_today_v5,
    meter_variant,
    monitoring_problems,
)
from dsmrhub.api.serializers_processing import (
    DayStatisticsSerializer,
    ElectricityConsumptionSerializer,
    ElectricityLiveDocSerializer,
    EnergyContractSerializer,
    GasConsumptionSerializer,
    GasLiveDocSerializer,
    HourStatisticsSerializer,
    MonitoringDocSerializer,
    QuarterPeakSerializer,
    TodayDocSerializer,
    VersionDocSerializer,
    electricity_live_body,
    gas_live_body,
    monitoring_body,
)
from dsmrhub.datalogger.selectors import datalogger_status
from dsmrhub.mqtt.selectors import mqtt_status
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.live import electricity_live_figures, gas_live_figures
from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, GasConsumption, HourStatistics
from dsmrhub.processing.quarters import quarter_peaks
from dsmrhub.processing.selectors import application_status
from dsmrhub.switching.selectors import day_temperatures


def _json(value: Any) -> Any:
    """Datetimes as UTC with Z, recursively."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


class ElectricityConsumptionView(KnownQueryParamsMixin, generics.ListAPIView):
    queryset = ElectricityConsumption.objects.all()
    serializer_class = ElectricityConsumptionSerializer
    filterset_class = ElectricityConsumptionFilter
    ordering_fields = ["read_at"]
    ordering = ["read_at"]


class GasConsumptionView(KnownQueryParamsMixin, generics.ListAPIView):
    queryset = GasConsumption.objects.all()
    serializer_class = GasConsumptionSerializer
    filterset_class = GasConsumptionFilter
    ordering_fields = ["read_at"]
    ordering = ["read_at"]


class QuarterPeakView(KnownQueryParamsMixin, generics.ListAPIView):
    """DSMR-reader v5's quarter-hour peaks: every complete clock-aligned quarter hour with its average
    delivered power (``processing.quarters.quarter_peaks``)."""

    serializer_class = QuarterPeakSerializer
    filterset_class = QuarterPeakFilter
    ordering_fields = ["read_at_start", "average_delivered"]
    ordering = ["read_at_start"]
    tie_breaker = "read_at_start"

    def get_queryset(self):
        return quarter_peaks()


class HourStatisticsView(KnownQueryParamsMixin, generics.ListAPIView):
    queryset = HourStatistics.objects.all()
    serializer_class = HourStatisticsSerializer
    filterset_class = HourStatisticsFilter
    ordering_fields = ["hour_start"]
    ordering = ["hour_start"]


class DayStatisticsView(KnownQueryParamsMixin, generics.ListAPIView):
    queryset = DayStatistics.objects.all()
    serializer_class = DayStatisticsSerializer
    filterset_class = DayStatisticsFilter
    ordering_fields = ["day"]
    ordering = ["day"]
    temperatures: dict = {}

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.temperatures = day_temperatures(days=[row.day for row in page or ()])
        return page

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "temperatures": self.temperatures}


class EnergySupplierPricesView(KnownQueryParamsMixin, generics.ListAPIView):
    queryset = EnergyContract.objects.all()
    serializer_class = EnergyContractSerializer
    filterset_class = EnergyContractFilter
    ordering_fields = ["start", "end"]
    ordering = ["start"]


NOT_FOUND = OpenApiResponse(description="No data yet.")


class _SingleObjectView(KnownQueryParamsMixin, APIView):
    """A GET-only endpoint answering one JSON object (no filters, no paging)."""

    filter_backends: list = []
    pagination_class = None
    empty_reason = "no data yet"

    def produce(self) -> dict | list | None:
        raise NotImplementedError

    @extend_schema(responses={200: dict, 404: NOT_FOUND})
    def get(self, request, *args, **kwargs):
        body = self.produce()
        if body is None:
            raise NotFound(self.empty_reason)
        return Response(_json(body))


@extend_schema_view(get=extend_schema(responses={200: TodayDocSerializer, 404: NOT_FOUND}))
class TodayView(_SingleObjectView):
    empty_reason = "no readings today yet"

    def produce(self):
        today = consumption_today_v5()
        # DSMR-reader's document shows JSON numbers here, not the strings DRF makes of Decimals.
        return today and {name: float(v) if isinstance(v, Decimal) else v for name, v in today.items()}


@extend_schema_view(get=extend_schema(responses={200: ElectricityLiveDocSerializer, 404: NOT_FOUND}))
class ElectricityLiveView(_SingleObjectView):
    empty_reason = "no readings yet"

    def produce(self):
        live = electricity_live_figures()
        return live and electricity_live_body(live, variant=meter_variant())


@extend_schema_view(get=extend_schema(responses={200: GasLiveDocSerializer, 404: NOT_FOUND}))
class GasLiveView(_SingleObjectView):
    empty_reason = "no gas consumption yet"

    def produce(self):
        live = gas_live_figures()
        return live and gas_live_body(live)


@extend_schema_view(get=extend_schema(responses={200: VersionDocSerializer, 404: NOT_FOUND}))
class VersionView(_SingleObjectView):
    def produce(self):
        return {"version": dsmrhub.__version__}


def _obj(**properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": sorted(properties)}


_INT = {"type": "integer", "nullable": True}
_MOMENT = {"type": "string", "format": "date-time", "nullable": True}
_TEXT = {"type": "string", "nullable": True}
_BOOL = {"type": "boolean"}
_STATE = {  # the datalogger's and the publisher's common part
    "running": _BOOL,
    "connected": _BOOL,
    "last_error": _TEXT,
    "last_error_at": _MOMENT,
    "started_at": _MOMENT,
    "updated_at": _MOMENT,
}
STATUS_SCHEMA = _obj(
    readings=_obj(
        latest=_MOMENT, unprocessed=_obj(count={"type": "integer"}, seconds_since=_INT), seconds_since=_INT
    ),
    gas=_obj(latest=_MOMENT, hours_since=_INT),
    capabilities=_obj(
        **{
            name: _BOOL
            for name in ("any", "electricity", "electricity_returned", "gas", "multi_phases", "weather")
        }
    ),
    electricity=_obj(latest=_MOMENT, minutes_since=_INT),
    statistics=_obj(latest={"type": "string", "format": "date", "nullable": True}, days_since=_INT),
    processing=_obj(last_run=_MOMENT, seconds_since_last_run=_INT, lag_seconds=_INT, last_error=_TEXT),
    quarantine=_obj(
        count={"type": "integer"},
        first={
            "type": "array",
            "items": _obj(timestamp={"type": "string"}, reason={"type": "string"}, since=_MOMENT),
        },
    ),
    meter_epochs={
        "type": "array",
        "items": _obj(
            timestamp=_MOMENT,
            register={"type": "string"},
            before={"type": "string"},
            after={"type": "string"},
        ),
    },
    datalogger=_obj(
        **_STATE,
        source=_TEXT,
        last_telegram_at=_MOMENT,
        telegrams_per_minute={"type": "number"},
        received_telegrams=_INT,
        rejected_telegrams=_INT,
        buffered_telegrams=_INT,
        buffer_error=_TEXT,
        held_telegrams=_INT,
    ),
    mqtt=_obj(
        **_STATE,
        enabled=_BOOL,
        broker={"type": "string"},
        outbox={"type": "integer"},
        outbox_max=_INT,
        published_messages=_INT,
        dropped_messages=_INT,
        last_published_at=_MOMENT,
        last_reading_queued=_MOMENT,
    ),
)


@extend_schema_view(get=extend_schema(responses={200: STATUS_SCHEMA}))
class StatusView(_SingleObjectView):
    def produce(self):
        return {**application_status(), "datalogger": datalogger_status(), "mqtt": mqtt_status()}


@extend_schema_view(
    get=extend_schema(
        description=(
            "The problems now: the same list the status page shows and the alerts announce. `source` is the "
            "part that reports a problem: "
            + ", ".join(
                f"`{source}`" for source in dict.fromkeys(source for source, _problems_of in PROBLEM_SOURCES)
            )
            + " (backups: a failed or overdue backup and a nearly full disk)."
        ),
        responses={200: MonitoringDocSerializer, 404: NOT_FOUND},
    )
)
class MonitoringView(_SingleObjectView):
    def produce(self):
        return monitoring_body(monitoring_problems())
