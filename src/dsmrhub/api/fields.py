from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from rest_framework import serializers


def utc_text(value: datetime) -> str:
    """A moment as UTC with 'Z', the year padded to 4 digits (strftime's %Y gives '7' for year 7)."""
    moment = value.astimezone(UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


class UTCDateTimeField(serializers.DateTimeField):
    """Renders UTC with 'Z' (as DSMR-reader does); reads naive input in the configured time zone."""

    def to_representation(self, value):
        if value is None:
            return None
        return utc_text(value)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            return timezone.make_aware(value, timezone.get_default_timezone())
        try:  # the same instant in UTC: PostgreSQL refuses offsets beyond ±15:59, which Python allows
            return value.astimezone(UTC)
        except OverflowError:
            self.fail("overflow")
