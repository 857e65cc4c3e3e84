"""Energy contracts: the prices that turn consumption into costs.

A contract is one of three kinds (``EnergyContract.kind``):

- **fixed**: two electricity tariffs chosen by the meter's tariff register (0-0:96.14.0), as always;
- **bands** (time-of-use): named ``PriceBand``s chosen by local weekday and time (``BandPeriod``), public
  holidays (the ``holidays`` package, ``holidays_country``) being a day type of their own;
- **dynamic**: the market price series of ``spotprices`` plus the contract's formula per commodity
  (``PriceTerm``: (market + markup + tax) × (1 + VAT %)).

Every kind keeps the gas price (used by fixed and bands contracts, and by a dynamic one without a gas term),
the fixed cost per day, and adds a fixed cost per month and the Belgian capacity tariff (€ per kW per year on
the rolling 12-month average of the monthly quarter-hour peaks; 0 = none).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from dsmrhub.readings.fields import ScaledDecimalField

PRICE = {"max_digits": 12, "decimal_places": 6}  # per kWh, per m3, per day
SIGNED_PRICE = {"max_digits": 12, "decimal_places": 6}  # markups and fees may be negative
PERCENT = {"max_digits": 5, "decimal_places": 2}
KILOWATT = {"max_digits": 8, "decimal_places": 3}


class ContractKind(models.TextChoices):
    FIXED = "fixed", "fixed prices (tariff 1 and 2)"
    BANDS = "bands", "time-of-use bands"
    DYNAMIC = "dynamic", "dynamic (market prices)"


class EnergyContract(models.Model):
    """Prices valid from ``start`` through ``end`` (both inclusive; no end = open-ended)."""

    description = models.CharField(max_length=255)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=ContractKind.choices, default=ContractKind.FIXED)
    electricity_delivered_1_price = ScaledDecimalField(**PRICE, default=0)
    electricity_delivered_2_price = ScaledDecimalField(**PRICE, default=0)
    electricity_returned_1_price = ScaledDecimalField(**PRICE, default=0)
    electricity_returned_2_price = ScaledDecimalField(**PRICE, default=0)
    gas_price = ScaledDecimalField(**PRICE, default=0)
    fixed_daily_cost = ScaledDecimalField(**PRICE, default=0)
    fixed_monthly_cost = ScaledDecimalField(**PRICE, default=0)
    # ISO 3166 code whose public holidays are a day type of their own in the bands ("" = none)
    holidays_country = models.CharField(max_length=8, blank=True, default="")
    capacity_price = ScaledDecimalField(**PRICE, default=0)  # € per kW per year; 0 = no capacity tariff
    capacity_minimum = ScaledDecimalField(
        **KILOWATT, default=Decimal("2.5")
    )  # kW: the regulator's minimum peak
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        verbose_name = "energy contract"

    def __str__(self) -> str:
        end = self.end.isoformat() if self.end else "open end"
        return f"{self.description} ({self.start.isoformat()} – {end})"


class PriceBand(models.Model):
    """A named time-of-use band of a ``bands`` contract: its electricity prices per kWh."""

    contract = models.ForeignKey(EnergyContract, on_delete=models.CASCADE, related_name="bands")
    name = models.CharField(max_length=64)
    delivered_price = ScaledDecimalField(**PRICE, default=0)
    returned_price = ScaledDecimalField(**PRICE, default=0)

    class Meta:
        ordering = ["contract", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "name"], name="prices_band_name_unique")]

    def __str__(self) -> str:
        return f"band {self.name}"


class BandPeriod(models.Model):
    """When a band holds: local minutes [start_minute, end_minute) of the day types in ``days``.

    ``days`` is a bit set: bit 0 Monday … bit 6 Sunday, bit 7 a public holiday (of the contract's
    ``holidays_country``; a holiday is priced as this day type, not as its weekday). Minutes are multiples
    of 15 (bands change on quarter hours, the resolution costs are computed at).
    """

    band = models.ForeignKey(PriceBand, on_delete=models.CASCADE, related_name="periods")
    days = models.PositiveSmallIntegerField()
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["band", "id"]

    def __str__(self) -> str:
        return f"{self.band.name}: days {self.days:08b} {self.start_minute}–{self.end_minute}"


class TermCommodity(models.TextChoices):
    ELECTRICITY_DELIVERED = "electricity_delivered", "electricity delivered"
    ELECTRICITY_RETURNED = "electricity_returned", "electricity returned"
    GAS = "gas", "gas"


class PriceTerm(models.Model):
    """A dynamic contract's formula for one commodity: (market price + markup + tax) × (1 + VAT % / 100).

    For returned electricity the result is what a kWh earns (a negative markup is the supplier's fee); with a
    negative market price it can be below zero, and returning then costs money.
    """

    contract = models.ForeignKey(EnergyContract, on_delete=models.CASCADE, related_name="terms")
    commodity = models.CharField(max_length=24, choices=TermCommodity.choices)
    markup = ScaledDecimalField(**SIGNED_PRICE, default=0)
    tax = ScaledDecimalField(**SIGNED_PRICE, default=0)
    vat_percent = ScaledDecimalField(**PERCENT, default=0)

    class Meta:
        ordering = ["contract", "commodity"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "commodity"], name="prices_term_per_commodity")
        ]

    def __str__(self) -> str:
        return f"{self.commodity}: (market + {self.markup} + {self.tax}) × (1 + {self.vat_percent}%)"
