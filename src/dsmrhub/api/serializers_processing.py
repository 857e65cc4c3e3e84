from __future__ import annotations

from decimal import ROUND_HALF_UP
from typing import Any

from rest_framework import serializers

from dsmrhub.api.fields import UTCDateTimeField
from dsmrhub.api.selectors import MonitoringProblem, tariff_name
from dsmrhub.api.serializers import CompactFieldsMixin, WholeAmpsMixin
from dsmrhub.api.serializers_devices import DeviceFigureField
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.live import ElectricityLive, GasLive
from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, GasConsumption, HourStatistics


class ElectricityConsumptionSerializer(WholeAmpsMixin, CompactFieldsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="read_at in Unix seconds")

    class Meta:
        model = ElectricityConsumption
        fields = [
            "id",
            "read_at",
            "delivered_1",
            "returned_1",
            "delivered_2",
            "returned_2",
            "currently_delivered",
            "currently_returned",
            "phase_currently_delivered_l1",
            "phase_currently_delivered_l2",
            "phase_currently_delivered_l3",
            "phase_currently_returned_l1",
            "phase_currently_returned_l2",
            "phase_currently_returned_l3",
            "phase_voltage_l1",
            "phase_voltage_l2",
            "phase_voltage_l3",
            "phase_power_current_l1",
            "phase_power_current_l2",
            "phase_power_current_l3",
        ]


class GasConsumptionSerializer(CompactFieldsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="read_at in Unix seconds")

    class Meta:
        model = GasConsumption
        fields = ["id", "read_at", "delivered", "currently_delivered"]


IMPORTED_HELP = (
    "true: imported history (DSMR-reader's statistics for a period whose readings are gone), not computed "
    "from readings here"
)


COST_FIELDS = ("electricity1_cost", "electricity2_cost", "gas_cost", "total_cost")
COST_HELP = "euros, cents half up; null when unknown (costs_missing > 0: a price is missing)"


class MoneyField(serializers.DecimalField):
    """An amount of money as every cost is shown: cents, half up (``prices.costs.round_cents``'s rule)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=14, decimal_places=2, rounding=ROUND_HALF_UP, **kwargs)


class QuarterPeakSerializer(serializers.Serializer):
    """A row of ``processing.quarters.quarter_peaks``: one complete, clock-aligned quarter hour."""

    id = serializers.IntegerField(read_only=True, help_text="read_at_start in Unix seconds")
    read_at_start = UTCDateTimeField(read_only=True, help_text="the quarter's start (:00, :15, :30, :45)")
    read_at_end = UTCDateTimeField(read_only=True, help_text="the quarter's end (start + 15 minutes)")
    average_delivered = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        read_only=True,
        help_text="kW: the electricity delivered in the quarter (both tariffs, kWh) × 4",
    )


class HourStatisticsSerializer(CompactFieldsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="hour_start in Unix seconds")
    water = DeviceFigureField("water", help_text="m³ of the water meters (M-Bus); null: none")
    heat = DeviceFigureField("heat", help_text="GJ of the heat meters (M-Bus); null: none")
    cooling = DeviceFigureField("cooling", help_text="GJ of the cooling meters (M-Bus); null: none")

    class Meta:
        model = HourStatistics
        fields = [
            "id",
            "hour_start",
            "electricity1",
            "electricity2",
            "electricity1_returned",
            "electricity2_returned",
            "gas",
            "water",
            "heat",
            "cooling",
            "imported",
        ]
        extra_kwargs = {"imported": {"help_text": IMPORTED_HELP}}


class DayStatisticsSerializer(CompactFieldsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="the day as YYYYMMDD")
    lowest_temperature = serializers.SerializerMethodField()
    highest_temperature = serializers.SerializerMethodField()
    average_temperature = serializers.SerializerMethodField()
    fixed_cost = MoneyField(read_only=True, help_text="the contract's fixed cost of the day, in cents")
    water = DeviceFigureField("water", help_text="m³ of the water meters (M-Bus); null: none")
    water_cost = DeviceFigureField("water", cost=True, help_text="water × the day's price per m³; null: none")
    heat = DeviceFigureField("heat", help_text="GJ of the heat meters (M-Bus); null: none")
    heat_cost = DeviceFigureField("heat", cost=True, help_text="heat × the day's price per GJ; null: none")
    cooling = DeviceFigureField("cooling", help_text="GJ of the cooling meters (M-Bus); null: none")
    cooling_cost = DeviceFigureField("cooling", cost=True, help_text="cooling × the price per GJ; null: none")

    class Meta:
        model = DayStatistics
        fields = [
            "id",
            "day",
            "total_cost",
            "electricity1",
            "electricity2",
            "electricity1_returned",
            "electricity2_returned",
            "electricity1_cost",
            "electricity2_cost",
            "gas",
            "gas_cost",
            "water",
            "water_cost",
            "heat",
            "heat_cost",
            "cooling",
            "cooling_cost",
            "fixed_cost",
            "electricity1_reading",
            "electricity2_reading",
            "electricity1_returned_reading",
            "electricity2_returned_reading",
            "gas_reading",
            "lowest_temperature",
            "highest_temperature",
            "average_temperature",
            "imported",
            "costs_missing",
        ]
        extra_kwargs = {
            "imported": {"help_text": IMPORTED_HELP},
            **{name: {"help_text": COST_HELP} for name in COST_FIELDS},
            "costs_missing": {
                "help_text": "how many periods had use but no price (quarter hours without a market price; "
                "imported hours or the rest of an imported day whose price changes within); 0: the costs "
                "are complete, else the unknown costs are null, never 0.00"
            },
        }

    # Temperatures imported from DSMR-reader (its weather feature); dsmrhub has no weather source itself.
    def _temperature(self, obj, which: str) -> str | None:
        day = self.context.get("temperatures", {}).get(obj.day)
        return None if day is None else str(getattr(day, which))

    def get_lowest_temperature(self, obj) -> str | None:
        return self._temperature(obj, "lowest")

    def get_highest_temperature(self, obj) -> str | None:
        return self._temperature(obj, "highest")

    def get_average_temperature(self, obj) -> str | None:
        return self._temperature(obj, "average")


class EnergyContractSerializer(CompactFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = EnergyContract
        fields = [
            "id",
            "description",
            "start",
            "end",
            "electricity_delivered_1_price",
            "electricity_delivered_2_price",
            "electricity_returned_1_price",
            "electricity_returned_2_price",
            "gas_price",
            "fixed_daily_cost",
        ]


def electricity_live_body(live: ElectricityLive, *, variant: str | None) -> dict[str, Any]:
    """DSMR-reader's shape: whole watts; ``cost_per_hour`` (a number) only when it is known; v5's
    ``tariff_name``, the meter's current tariff as the meter's country names it (null when unknown)."""
    body: dict[str, Any] = {
        "timestamp": live.timestamp,
        "currently_returned": live.returned,
        "currently_delivered": live.delivered,
    }
    if live.cost_per_hour is not None:
        body["cost_per_hour"] = float(live.cost_per_hour)
    body["tariff_name"] = tariff_name(tariff=live.tariff, variant=variant)
    return body


def monitoring_body(problems: list[MonitoringProblem]) -> dict[str, Any]:
    """DSMR-reader v5's shape (``problems``: the count; ``details``: source, description, since) and our
    ``healthy``."""
    return {
        "problems": len(problems),
        "details": [{"source": p.source, "description": p.description, "since": p.since} for p in problems],
        "healthy": not problems,
    }


def gas_live_body(live: GasLive) -> dict[str, Any]:
    body: dict[str, Any] = {"timestamp": live.timestamp, "currently_delivered": float(live.delivered)}
    if live.cost is not None:
        body["cost_per_interval"] = float(live.cost)
    return body


# Response documentation (the OpenAPI schema) of the single-object endpoints; their bodies are built above.


class TodayDocSerializer(serializers.Serializer):
    day = serializers.DateField()
    electricity1 = serializers.FloatField(help_text="kWh delivered on tariff 1 today so far")
    electricity2 = serializers.FloatField()
    electricity1_returned = serializers.FloatField()
    electricity2_returned = serializers.FloatField()
    electricity_merged = serializers.FloatField(help_text="both tariffs delivered (DSMR-reader v5)")
    electricity_returned_merged = serializers.FloatField(help_text="both tariffs returned (v5)")
    electricity1_cost = serializers.FloatField(help_text="cents, half up")
    electricity2_cost = serializers.FloatField()
    electricity_cost_merged = serializers.FloatField()
    gas = serializers.FloatField()
    gas_cost = serializers.FloatField()
    fixed_cost = serializers.FloatField(help_text="the contract's fixed cost of the day in cents (v5)")
    total_cost = serializers.FloatField(help_text="costs + the unrounded fixed cost, rounded once")
    energy_supplier_price_electricity_delivered_1 = serializers.FloatField(
        help_text="price in force; 0 without"
    )
    energy_supplier_price_electricity_delivered_2 = serializers.FloatField()
    energy_supplier_price_electricity_returned_1 = serializers.FloatField()
    energy_supplier_price_electricity_returned_2 = serializers.FloatField()
    energy_supplier_price_gas = serializers.FloatField()
    energy_supplier_price_fixed_daily_cost = serializers.FloatField()


class ElectricityLiveDocSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    currently_returned = serializers.IntegerField(help_text="W")
    currently_delivered = serializers.IntegerField(help_text="W")
    cost_per_hour = serializers.FloatField(
        required=False, help_text="only with a contract and a known tariff"
    )
    tariff_name = serializers.CharField(
        allow_null=True,
        help_text="NL: 1 low, 2 normal; BE: 1 day, 2 night; else 'tariff N'; or the names set with "
        "`dsmrhub meter-settings` / the Meter page; null: unknown",
    )


class GasLiveDocSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    currently_delivered = serializers.FloatField(help_text="m3 in the latest gas hour")
    cost_per_interval = serializers.FloatField(required=False, help_text="only with a contract")


class MonitoringProblemDocSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="the part of dsmrhub that reports it, e.g. dsmrhub.processing")
    description = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True, help_text="when it started; null where unknown")


class MonitoringDocSerializer(serializers.Serializer):
    problems = serializers.IntegerField(help_text="how many problems (DSMR-reader v5)")
    details = MonitoringProblemDocSerializer(many=True)
    healthy = serializers.BooleanField(help_text="no problems (dsmrhub)")


class VersionDocSerializer(serializers.Serializer):
    version = serializers.CharField()
