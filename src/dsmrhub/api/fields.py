from __future__ import annotations

from datetime import UTC

from django.utils import timezone
from rest_framework import serializers


class UTCDateTimeField(serializers.DateTimeField):
    """Renders UTC with 'Z' (as DSMR-reader does); reads naive input in the configured time zone."""

    def to_representation(self, value):
        if value is None:
            return None
        moment = value.astimezone(UTC)  # the year padded to 4 digits: strftime's %Y gives '7' for year 7
        return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            return timezone.make_aware(value, timezone.get_default_timezone())
        try:  # the same instant in UTC: PostgreSQL refuses offsets beyond ±15:59, which Python allows
            return value.astimezone(UTC)
        except OverflowError:
            self.fail("overflow")
