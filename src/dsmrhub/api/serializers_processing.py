from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dsmrhub.api.serializers import CompactFieldsMixin
from dsmrhub.prices.models import EnergyContract
from dsmrhub.processing.live import ElectricityLive, GasLive
from dsmrhub.processing.models import DayStatistics, ElectricityConsumption, GasConsumption, HourStatistics


class ElectricityConsumptionSerializer(CompactFieldsMixin, serializers.ModelSerializer):
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


class HourStatisticsSerializer(CompactFieldsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="hour_start in Unix seconds")

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
        ]


class DayStatisticsSerializer(CompactFieldsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="the day as YYYYMMDD")
    lowest_temperature = serializers.SerializerMethodField()
    highest_temperature = serializers.SerializerMethodField()
    average_temperature = serializers.SerializerMethodField()

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
            "fixed_cost",
            "electricity1_reading",
            "electricity2_reading",
            "electricity1_returned_reading",
            "electricity2_returned_reading",
            "gas_reading",
            "lowest_temperature",
            "highest_temperature",
            "average_temperature",
        ]

    def get_lowest_temperature(self, obj) -> str | None:
        return None  # no weather source (yet)

    def get_highest_temperature(self, obj) -> str | None:
        return None

    def get_average_temperature(self, obj) -> str | None:
        return None


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


def electricity_live_body(live: ElectricityLive) -> dict[str, Any]:
    """DSMR-reader's shape: whole watts; ``cost_per_hour`` (a number) only when it is known."""
    body: dict[str, Any] = {
        "timestamp": live.timestamp,
        "currently_returned": live.returned,
        "currently_delivered": live.delivered,
    }
    if live.cost_per_hour is not None:
        body["cost_per_hour"] = float(live.cost_per_hour)
    return body


def gas_live_body(live: GasLive) -> dict[str, Any]:
    body: dict[str, Any] = {"timestamp": live.timestamp, "currently_delivered": float(live.delivered)}
    if live.cost is not None:
        body["cost_per_interval"] = float(live.cost)
    return body
