"""What an import from DSMR-reader keeps that has no other home: outside temperatures, and where a
reading import stopped (so a re-run after a crash goes on from there)."""

from __future__ import annotations

from django.db import models

from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField
from dsmrhub.readings.models import epoch_seconds


class TemperatureReading(models.Model):
    """The outside temperature at a whole hour, as DSMR-reader's weather feature fetched it."""

    read_at = EpochSecondsField(primary_key=True)
    degrees_celsius = ScaledDecimalField(max_digits=4, decimal_places=1)

    class Meta:
        ordering = ["read_at"]

    def __str__(self) -> str:
        return f"{self.degrees_celsius} °C at {self.read_at:%Y-%m-%d %H:%M}Z"

    @property
    def id(self) -> int:
        return epoch_seconds(self.read_at)


class ImportCheckpoint(models.Model):
    """Per source database (host:port/name), the newest reading timestamp of the last committed batch:
    a re-run reads from there on (readings already stored are recognised either way)."""

    source = models.CharField(max_length=300, unique=True)
    readings_until = EpochSecondsField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"import from {self.source}"
