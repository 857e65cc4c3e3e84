"""Energy contracts: the prices that turn consumption into costs."""

from __future__ import annotations

from django.db import models

from dsmrhub.readings.fields import ScaledDecimalField

PRICE = {"max_digits": 12, "decimal_places": 6}  # per kWh, per m3, per day


class EnergyContract(models.Model):
    """Prices valid from ``start`` through ``end`` (both inclusive; no end = open-ended)."""

    description = models.CharField(max_length=255)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    electricity_delivered_1_price = ScaledDecimalField(**PRICE, default=0)
    electricity_delivered_2_price = ScaledDecimalField(**PRICE, default=0)
    electricity_returned_1_price = ScaledDecimalField(**PRICE, default=0)
    electricity_returned_2_price = ScaledDecimalField(**PRICE, default=0)
    gas_price = ScaledDecimalField(**PRICE, default=0)
    fixed_daily_cost = ScaledDecimalField(**PRICE, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        verbose_name = "energy contract"

    def __str__(self) -> str:
        end = self.end.isoformat() if self.end else "open end"
        return f"{self.description} ({self.start.isoformat()} – {end})"
