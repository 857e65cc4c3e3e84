from __future__ import annotations

from django_filters import rest_framework as filters

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, GasConsumption, HourStatistics


class ElectricityConsumptionFilter(filters.FilterSet):
    read_at__gte = filters.IsoDateTimeFilter(field_name="read_at", lookup_expr="gte")
    read_at__lte = filters.IsoDateTimeFilter(field_name="read_at", lookup_expr="lte")

    class Meta:
        model = ElectricityConsumption
        fields: list[str] = []


class GasConsumptionFilter(filters.FilterSet):
    read_at__gte = filters.IsoDateTimeFilter(field_name="read_at", lookup_expr="gte")
    read_at__lte = filters.IsoDateTimeFilter(field_name="read_at", lookup_expr="lte")

    class Meta:
        model = GasConsumption
        fields: list[str] = []


class HourStatisticsFilter(filters.FilterSet):
    hour_start__gte = filters.IsoDateTimeFilter(field_name="hour_start", lookup_expr="gte")
    hour_start__lte = filters.IsoDateTimeFilter(field_name="hour_start", lookup_expr="lte")

    class Meta:
        model = HourStatistics
        fields: list[str] = []


class DayStatisticsFilter(filters.FilterSet):
    day__gte = filters.DateFilter(field_name="day", lookup_expr="gte")
    day__lte = filters.DateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = DayStatistics
        fields: list[str] = []


class EnergyContractFilter(filters.FilterSet):
    start__gte = filters.DateFilter(field_name="start", lookup_expr="gte")
    start__lte = filters.DateFilter(field_name="start", lookup_expr="lte")

    class Meta:
        model = EnergyContract
        fields: list[str] = []
