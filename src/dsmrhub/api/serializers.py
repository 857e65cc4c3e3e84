from __future__ import annotations

import contextlib
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dsmrhub.api.fields import UTCDateTimeField
from dsmrhub.readings.fields import STORED_ROUNDING, EpochSecondsField, ScaledDecimalField, round_stored
from dsmrhub.readings.models import (
    INT32_MAX,
    METER_COUNTER_FIELDS,
    READING_PHASE_GRID_FIELDS,
    READING_PHASE_POWER_FIELDS,
    READING_REQUIRED_FIELDS,
    DsmrReading,
    MeterStatistics,
)

READING_FIELDS = [
    "id",
    "timestamp",
    *READING_REQUIRED_FIELDS,
    *READING_PHASE_POWER_FIELDS,
    "extra_device_timestamp",
    "extra_device_delivered",
    *READING_PHASE_GRID_FIELDS,
]


class BlankIsNullMixin:
    """An empty value for a nullable field means null (form posts can't send null otherwise)."""

    def to_internal_value(self, data):
        if hasattr(data, "items"):
            nullable = {name for name, field in self.fields.items() if field.allow_null}
            data = {key: (None if key in nullable and value == "" else value) for key, value in data.items()}
        return super().to_internal_value(data)


class StoredDecimalField(serializers.DecimalField):
    """A reading's decimal: more places than its column keeps are rounded by the stored-value rule
    (``readings.fields.round_stored``) instead of refused; too many whole digits still are."""

    def __init__(self, **kwargs) -> None:
        super().__init__(rounding=STORED_ROUNDING, **kwargs)

    def validate_precision(self, value):
        with contextlib.suppress(ArithmeticError):  # too long to round: refused for its digits
            value = round_stored(value, self.decimal_places)
        return super().validate_precision(value)


PHASE_CURRENT_FIELDS = tuple(f"phase_power_current_l{phase}" for phase in (1, 2, 3))
LINE_END = "\r\n"


@extend_schema_field(OpenApiTypes.INT)
class WholeAmpsField(StoredDecimalField):
    """A phase current: read with the column's places (rounded by the stored-value rule), shown in whole
    amperes, half up, as a JSON integer: DSMR-reader v5 clients parse it as an integer (meters send whole
    amperes; a finer value is rounded only here, at the edge)."""

    def to_representation(self, value):
        return int(round_stored(Decimal(value), 0))


class WholeAmpsMixin:
    """Serve the per-phase currents of a model serializer as ``WholeAmpsField``."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name in PHASE_CURRENT_FIELDS:
            field_class = WholeAmpsField
        return field_class, kwargs


class CompactFieldsMixin:
    """Serve the compact model columns as what they mean: decimals with their places, UTC datetimes."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        ScaledDecimalField: serializers.DecimalField,
        EpochSecondsField: UTCDateTimeField,
    }


class DsmrReadingSerializer(
    BlankIsNullMixin, WholeAmpsMixin, CompactFieldsMixin, serializers.ModelSerializer
):
    serializer_field_mapping = {
        **CompactFieldsMixin.serializer_field_mapping,
        ScaledDecimalField: StoredDecimalField,
    }
    id = serializers.IntegerField(read_only=True, help_text="The reading's timestamp in Unix seconds")
    timestamp = UTCDateTimeField()

    class Meta:
        model = DsmrReading
        fields = READING_FIELDS
        # Uniqueness is the ingest service's call (it answers 409), not a generic validator's.
        validators: list = []


class ReadingsDeletedSerializer(serializers.Serializer):
    deleted = serializers.IntegerField(help_text="how many readings were deleted")


class StrictCharField(serializers.CharField):
    """A string field that refuses a number or boolean (DRF's CharField would store its str())."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LatestTelegramField(StrictCharField):
    """The telegram as read, shown without the line end after its CRC line (as DSMR-reader v5 shows it)."""

    def to_representation(self, value):
        return super().to_representation(value).rstrip(LINE_END)


class MeterStatisticsSerializer(BlankIsNullMixin, serializers.ModelSerializer):
    timestamp = UTCDateTimeField(required=False)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name == "latest_telegram":
            field_class = LatestTelegramField
        elif field_class is serializers.CharField:
            field_class = StrictCharField
        return field_class, kwargs

    class Meta:
        model = MeterStatistics
        fields = [
            "id",
            "timestamp",
            "dsmr_version",
            "electricity_tariff",
            *METER_COUNTER_FIELDS,
            "rejected_telegrams",
            "latest_telegram",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            **{
                name: {"min_value": 0, "max_value": INT32_MAX}
                for name in (*METER_COUNTER_FIELDS, "rejected_telegrams")
            },
            "electricity_tariff": {"min_value": 0, "max_value": 9999},
            "latest_telegram": {"allow_blank": False},
            "dsmr_version": {"allow_blank": False},
        }
