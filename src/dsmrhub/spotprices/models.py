"""Market (day-ahead) prices: one price per commodity and period, before any contract's formula.

A dynamic contract reads these rows (``selectors.market_prices``) and adds its markup, tax and VAT on top.
Times are ``EpochSecondsField`` columns (whole Unix seconds, UTC), so raw SQL can join on them:
a consumption minute ``m`` (Unix seconds) lies in the price period with ``start <= m < "end"``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from dsmrhub.db.singleton import Singleton
from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField

# € per kWh or per m3, 6 places (as contract prices), negative allowed; |price| <= PRICE_LIMIT (services)
MARKET_PRICE = {"max_digits": 12, "decimal_places": 6}


class Commodity(models.TextChoices):
    ELECTRICITY_DELIVERED = "electricity_delivered", "electricity delivered (€/kWh)"
    ELECTRICITY_RETURNED = "electricity_returned", "electricity returned (€/kWh)"
    GAS = "gas", "gas (€/m³)"


class MarketPrice(models.Model):
    """The market price of ``commodity`` from ``start`` (inclusive) to ``end`` (exclusive)."""

    commodity = models.CharField(max_length=24, choices=Commodity.choices)
    start = EpochSecondsField()
    end = EpochSecondsField()
    price = ScaledDecimalField(**MARKET_PRICE)
    source = models.CharField(max_length=64)  # "entsoe", "energyzero", "import" or the import's --source
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["commodity", "start"]
        verbose_name = "market price"
        constraints = [
            models.UniqueConstraint(fields=["commodity", "start"], name="spotprices_one_price_per_start"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="spotprices_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.commodity} {self.start.isoformat()} – {self.end.isoformat()}: {self.price}"


class Provider(models.TextChoices):
    ENTSOE = "entsoe", "ENTSO-E transparency platform (security token)"
    ENERGYZERO = "energyzero", "EnergyZero (public, Dutch market prices)"


class PriceFetchSettings(Singleton):
    """Where ``dsmrhub prices fetch`` and the schedule in ``dsmrhub run`` get day-ahead prices."""

    enabled = models.BooleanField(default=False)
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.ENERGYZERO)
    token = models.CharField(max_length=128, blank=True, default="", help_text="ENTSO-E security token")
    zone = models.CharField(
        max_length=32, default="10YNL----------L", help_text="ENTSO-E bidding zone (EIC code)"
    )
    # what the last fetch did (written by the fetch service, shown on the status page)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        verbose_name = "price fetch settings"
        verbose_name_plural = "price fetch settings"

    def __str__(self) -> str:
        return "Price fetch settings"
