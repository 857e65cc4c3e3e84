"""Filters of the processed-data endpoints: the forms DSMR-reader v5 documents, exact ones included."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from dsmrhub.api.filters import moment_filter
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import (
    DayStatistics,
    ElectricityConsumption,
    GasConsumption,
    HourStatistics,
    QuarterStatistics,
)


class ElectricityConsumptionFilter(filters.FilterSet):
    read_at = moment_filter("read_at", "exact", what="minute end")
    read_at__gte = moment_filter("read_at", "gte", what="minute end")
    read_at__lte = moment_filter("read_at", "lte", what="minute end")

    class Meta:
        model = ElectricityConsumption
        fields: list[str] = []


class GasConsumptionFilter(filters.FilterSet):
    read_at = moment_filter("read_at", "exact", what="gas hour")
    read_at__gte = moment_filter("read_at", "gte", what="gas hour")
    read_at__lte = moment_filter("read_at", "lte", what="gas hour")

    class Meta:
        model = GasConsumption
        fields: list[str] = []


class HourStatisticsFilter(filters.FilterSet):
    hour_start = moment_filter("hour_start", "exact", what="hour start")
    hour_start__gte = moment_filter("hour_start", "gte", what="hour start")
    hour_start__lte = moment_filter("hour_start", "lte", what="hour start")

    class Meta:
        model = HourStatistics
        fields: list[str] = []


class DayStatisticsFilter(filters.FilterSet):
    day = filters.DateFilter(field_name="day", lookup_expr="exact", label="the day (YYYY-MM-DD)")
    day__gte = filters.DateFilter(field_name="day", lookup_expr="gte", label="days on or after")
    day__lte = filters.DateFilter(field_name="day", lookup_expr="lte", label="days on or before")

    class Meta:
        model = DayStatistics
        fields: list[str] = []


class EnergyContractFilter(filters.FilterSet):
    start__gte = filters.DateFilter(field_name="start", lookup_expr="gte", label="starts on or after")
    start__lte = filters.DateFilter(field_name="start", lookup_expr="lte", label="starts on or before")
    end__gte = filters.DateFilter(
        method="filter_end_gte", label="contract ends on or after (a contract without end always does)"
    )
    end__lte = filters.DateFilter(
        field_name="end", lookup_expr="lte", label="contract ends on or before (never one without end)"
    )

    class Meta:
        model = EnergyContract
        fields: list[str] = []

    def filter_end_gte(self, queryset, name, value):
        """An open end is later than any day (DSMR-reader stores a far-future date for it)."""
        return queryset.filter(Q(end__isnull=True) | Q(end__gte=value))


KILOWATT_LIMIT = Decimal(10) ** 9  # |bound| below this: the averages have at most 9 whole digits


@extend_schema_field({"type": "number", "minimum": -KILOWATT_LIMIT, "maximum": KILOWATT_LIMIT})
class KilowattFilter(filters.NumberFilter):
    """A bound on a kW value kept with 3 decimals: a finer bound rounds inwards (``gte`` up, ``lte`` down),
    so no row outside the bound is ever returned; beyond ±10⁹ kW it is a 400 (no average is that big)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, min_value=-KILOWATT_LIMIT, max_value=KILOWATT_LIMIT, **kwargs)

    def filter(self, qs, value):
        if value is not None:
            rounding = ROUND_CEILING if self.lookup_expr == "gte" else ROUND_FLOOR
            value = Decimal(value).quantize(Decimal("0.001"), rounding=rounding)
        return super().filter(qs, value)


class QuarterPeakFilter(filters.FilterSet):
    """DSMR-reader v5's filters of ``consumption/quarter-hour-peak-electricity``."""

    read_at_start__gte = moment_filter("quarter_start", "gte", what="quarter start")
    read_at_start__lte = moment_filter("quarter_start", "lte", what="quarter start")
    average_delivered__gte = KilowattFilter(
        field_name="average_delivered", lookup_expr="gte", label="average delivered power (kW) at least"
    )
    average_delivered__lte = KilowattFilter(
        field_name="average_delivered", lookup_expr="lte", label="average delivered power (kW) at most"
    )

    class Meta:
        model = QuarterStatistics
        fields: list[str] = []
