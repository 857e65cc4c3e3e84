from __future__ import annotations

from django_filters import rest_framework as filters

from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, GasConsumption, HourStatistics


def _between(field: str, kind=filters.IsoDateTimeFilter) -> dict:
    return {
        f"{field}__gte": kind(field_name=field, lookup_expr="gte"),
        f"{field}__lte": kind(field_name=field, lookup_expr="lte"),
    }


class ElectricityConsumptionFilter(filters.FilterSet):
    locals().update(_between("read_at"))

    class Meta:
        model = ElectricityConsumption
        fields: list[str] = []


class GasConsumptionFilter(filters.FilterSet):
    locals().update(_between("read_at"))

    class Meta:
        model = GasConsumption
        fields: list[str] = []


class HourStatisticsFilter(filters.FilterSet):
    locals().update(_between("hour_start"))

    class Meta:
        model = HourStatistics
        fields: list[str] = []


class DayStatisticsFilter(filters.FilterSet):
    locals().update(_between("day", filters.DateFilter))

    class Meta:
        model = DayStatistics
        fields: list[str] = []


class EnergyContractFilter(filters.FilterSet):
    start__gte = filters.DateFilter(field_name="start", lookup_expr="gte")
    start__lte = filters.DateFilter(field_name="start", lookup_expr="lte")

    class Meta:
        model = EnergyContract
        fields: list[str] = []
