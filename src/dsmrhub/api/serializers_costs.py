"""API v2 costs: query/body checks and the documented shapes (the figures come from processing.costs)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dsmrhub.prices.services import FIRST_DAY, LAST_DAY
from dsmrhub.processing.costs import PERIODS

MAX_QUARTER_DAYS = 366  # quarter-hour or hourly costs: at most a year per request
MAX_DAYS = 3660  # days, months, years: at most ten years


class _FromTo(serializers.Serializer):
    """Fields declared as ``first``/``last`` (``from`` is a Python keyword) are named from/to in the data,
    the errors and the schema."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {{"first": "from", "last": "to"}.get(name, name): field for name, field in fields.items()}


class _Range(_FromTo):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs["from"], attrs["to"]
        for name, day in (("from", first), ("to", last)):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise serializers.ValidationError({name: [f"a day from {FIRST_DAY} through {LAST_DAY}"]})
        if last < first:
            raise serializers.ValidationError({"to": ["lies before from"]})
        return attrs


class CostsQuerySerializer(_Range):
    first = serializers.DateField(help_text="first local day (YYYY-MM-DD)")
    last = serializers.DateField(help_text="last local day, inclusive (YYYY-MM-DD)")
    period = serializers.ChoiceField(choices=PERIODS, default="day")
    contract = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="price with this stored contract (default: the ones in force)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        limit = MAX_QUARTER_DAYS if attrs["period"] in ("quarter", "hour") else MAX_DAYS
        if (attrs["to"] - attrs["from"]).days >= limit:
            raise serializers.ValidationError({"to": [f"at most {limit} days for period {attrs['period']}"]})
        return attrs


class CompareBodySerializer(_Range):
    first = serializers.DateField()
    last = serializers.DateField()
    contracts = serializers.ListField(
        child=serializers.JSONField(),
        max_length=10,
        required=False,
        help_text="stored contract ids and/or contract specs (the JSON of `dsmrhub contract add --spec`); "
        "default none: only the contracts in force",
    )


class PeriodCostSerializer(serializers.Serializer):
    """One period: energy in kWh/m3 and costs in euros as decimal strings; the costs a missing price makes
    unknown are null when missing > 0."""

    start = serializers.DateTimeField(help_text="local start, with offset")
    delivered = serializers.DecimalField(max_digits=15, decimal_places=3)
    returned = serializers.DecimalField(max_digits=15, decimal_places=3)
    gas = serializers.DecimalField(max_digits=15, decimal_places=3)
    electricity_cost = serializers.DecimalField(
        max_digits=15, decimal_places=2, allow_null=True, help_text="null: an electricity price is missing"
    )
    gas_cost = serializers.DecimalField(
        max_digits=15, decimal_places=2, allow_null=True, help_text="null: a gas price is missing"
    )
    fixed_cost = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    capacity_cost = serializers.DecimalField(max_digits=15, decimal_places=2, allow_null=True)
    total_cost = serializers.DecimalField(
        max_digits=15, decimal_places=2, allow_null=True, help_text="null when missing > 0"
    )
    missing = serializers.IntegerField(
        help_text="periods with use but no price: quarter hours and gas hours without a market price, "
        "imported hours (or the rest of an imported day) over which the price changes, and months of "
        "imported history whose capacity-tariff peak is unknown; 0: complete"
    )
    capacity_peak = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True, help_text="the month's billed peak, kW (months)"
    )
    capacity_peak_meter = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True, help_text="the meter's own 1-0:1.6.0 month peak, kW"
    )
    capacity_peak_computed = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True, help_text="our highest quarter-hour average, kW"
    )


class CostsDocSerializer(_FromTo):
    first = serializers.DateField()
    last = serializers.DateField()
    period = serializers.ChoiceField(choices=PERIODS)
    contract = serializers.IntegerField(allow_null=True)
    periods = PeriodCostSerializer(many=True)


class ComparedMonthSerializer(PeriodCostSerializer):
    month = serializers.CharField(help_text="YYYY-MM")


class ComparedContractSerializer(serializers.Serializer):
    label = serializers.CharField()
    contract_id = serializers.IntegerField(allow_null=True)
    in_force = serializers.BooleanField(help_text="the contracts actually in force each day")
    months = ComparedMonthSerializer(many=True)
    total = PeriodCostSerializer(allow_null=True)


class CompareDocSerializer(_FromTo):
    first = serializers.DateField()
    last = serializers.DateField()
    contracts = ComparedContractSerializer(many=True)
