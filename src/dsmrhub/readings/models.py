"""Readings are the source of truth: one row per stored telegram (or API v2 reading)."""

from __future__ import annotations

from datetime import datetime

from django.db import models

from dsmrhub.db.singleton import Singleton
from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField

# Field groups, in the order DSMR-reader's API document lists them.
READING_REQUIRED_FIELDS = (
    "electricity_delivered_1",
    "electricity_returned_1",
    "electricity_delivered_2",
    "electricity_returned_2",
    "electricity_currently_delivered",
    "electricity_currently_returned",
)
READING_PHASE_POWER_FIELDS = tuple(
    f"phase_currently_{direction}_l{phase}" for direction in ("delivered", "returned") for phase in (1, 2, 3)
)
READING_PHASE_GRID_FIELDS = tuple(
    f"phase_{quantity}_l{phase}" for quantity in ("voltage", "power_current") for phase in (1, 2, 3)
)
METER_COUNTER_FIELDS = (
    "power_failure_count",
    "long_power_failure_count",
    *(f"voltage_{event}_count_l{phase}" for event in ("sag", "swell") for phase in (1, 2, 3)),
)
# Belgian meters (e-MUCS): the quarter-hour demand registers a capacity tariff is billed on, stored when sent
BELGIAN_DEMAND_FIELDS = ("current_average_demand", "maximum_demand_month", "maximum_demand_month_at")
INT32_MAX = 2**31 - 1  # counters are 4-byte integers in PostgreSQL

POSITION = {"max_digits": 12, "decimal_places": 3}  # meter positions, kWh / m3
POWER = {"max_digits": 9, "decimal_places": 3}  # kW
VOLTAGE = {"max_digits": 5, "decimal_places": 1}  # V
CURRENT = {"max_digits": 7, "decimal_places": 3}  # A


class DsmrReading(models.Model):
    """One reading of the meter, keyed by its meter timestamp: a retried telegram is not stored twice.

    The timestamp is the primary key (in SQLite the rowid itself), so readings are stored in time
    order with no separate index; ``id`` is that timestamp in Unix seconds.
    """

    timestamp = EpochSecondsField(primary_key=True)
    electricity_delivered_1 = ScaledDecimalField(**POSITION)
    electricity_returned_1 = ScaledDecimalField(**POSITION)
    electricity_delivered_2 = ScaledDecimalField(**POSITION)
    electricity_returned_2 = ScaledDecimalField(**POSITION)
    electricity_currently_delivered = ScaledDecimalField(**POWER)
    electricity_currently_returned = ScaledDecimalField(**POWER)
    phase_currently_delivered_l1 = ScaledDecimalField(**POWER, null=True, blank=True)
    phase_currently_delivered_l2 = ScaledDecimalField(**POWER, null=True, blank=True)
    phase_currently_delivered_l3 = ScaledDecimalField(**POWER, null=True, blank=True)
    phase_currently_returned_l1 = ScaledDecimalField(**POWER, null=True, blank=True)
    phase_currently_returned_l2 = ScaledDecimalField(**POWER, null=True, blank=True)
    phase_currently_returned_l3 = ScaledDecimalField(**POWER, null=True, blank=True)
    extra_device_timestamp = EpochSecondsField(null=True, blank=True)
    extra_device_delivered = ScaledDecimalField(**POSITION, null=True, blank=True)
    phase_voltage_l1 = ScaledDecimalField(**VOLTAGE, null=True, blank=True)
    phase_voltage_l2 = ScaledDecimalField(**VOLTAGE, null=True, blank=True)
    phase_voltage_l3 = ScaledDecimalField(**VOLTAGE, null=True, blank=True)
    phase_power_current_l1 = ScaledDecimalField(**CURRENT, null=True, blank=True)
    phase_power_current_l2 = ScaledDecimalField(**CURRENT, null=True, blank=True)
    phase_power_current_l3 = ScaledDecimalField(**CURRENT, null=True, blank=True)
    # Belgian meters: 1-0:1.4.0 the running quarter's average demand, 1-0:1.6.0 this month's highest
    # quarter-hour demand and when it happened (kW); NULL for meters that do not send them.
    current_average_demand = ScaledDecimalField(**POWER, null=True, blank=True)
    maximum_demand_month = ScaledDecimalField(**POWER, null=True, blank=True)
    maximum_demand_month_at = EpochSecondsField(null=True, blank=True)

    class Meta:
        ordering = ["timestamp"]
        verbose_name = "DSMR reading"

    def __str__(self) -> str:
        return f"reading {self.timestamp:%Y-%m-%d %H:%M:%S%z}"

    @property
    def id(self) -> int:
        return epoch_seconds(self.timestamp)


class ReadingHourCount(models.Model):
    """Readings stored per UTC hour, kept by database triggers, so the API counts a year in milliseconds."""

    hour = models.BigIntegerField(primary_key=True)  # Unix seconds // 3600
    count = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} readings in hour {self.hour}"


class MBusReading(models.Model):
    """A value of one M-Bus channel (gas, water, heat, …), stored once per channel and meter timestamp."""

    channel = models.PositiveSmallIntegerField()
    device_type = models.PositiveSmallIntegerField(
        null=True, blank=True
    )  # None: the meter sends no type line
    equipment_identifier = models.CharField(max_length=96, blank=True, default="")
    timestamp = EpochSecondsField()
    value = ScaledDecimalField(**POSITION)
    unit = models.CharField(max_length=16, blank=True, default="")
    reading = models.ForeignKey(DsmrReading, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["timestamp", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "timestamp"], name="mbus_unique_channel_timestamp")
        ]
        verbose_name = "M-Bus reading"

    def __str__(self) -> str:
        return f"channel {self.channel} {self.value} {self.unit} at {self.timestamp:%Y-%m-%d %H:%M}"


class MeterMonthPeak(models.Model):
    """A Belgian meter's own highest quarter-hour demand of a finished month (its 0-0:98.1.0 history), one
    row per local month; kept from the newest telegram that lists the month (``readings.peaks``)."""

    month = models.DateField(primary_key=True)  # the first day of the local month the peak belongs to
    occurred_at = EpochSecondsField(null=True, blank=True)  # when the peak happened, as the meter sends it
    value = ScaledDecimalField(**POWER)  # kW

    class Meta:
        ordering = ["month"]
        verbose_name = "meter month peak"

    def __str__(self) -> str:
        return f"meter peak {self.value} kW in {self.month:%Y-%m}"


class MeterStatistics(Singleton):
    """The meter's own counters from the latest telegram; a single row."""

    timestamp = models.DateTimeField()
    dsmr_version = models.CharField(max_length=8, null=True, blank=True)
    electricity_tariff = models.IntegerField(null=True, blank=True)
    power_failure_count = models.IntegerField(null=True, blank=True)
    long_power_failure_count = models.IntegerField(null=True, blank=True)
    voltage_sag_count_l1 = models.IntegerField(null=True, blank=True)
    voltage_sag_count_l2 = models.IntegerField(null=True, blank=True)
    voltage_sag_count_l3 = models.IntegerField(null=True, blank=True)
    voltage_swell_count_l1 = models.IntegerField(null=True, blank=True)
    voltage_swell_count_l2 = models.IntegerField(null=True, blank=True)
    voltage_swell_count_l3 = models.IntegerField(null=True, blank=True)
    rejected_telegrams = models.PositiveIntegerField(default=0)
    latest_telegram = models.TextField(null=True, blank=True)

    class Meta:
        verbose_name = "meter statistics"
        verbose_name_plural = "meter statistics"

    def __str__(self) -> str:
        return "meter statistics"


TARIFF_NAME_LENGTH = 32


class TariffSettings(Singleton):
    """One row: the user's names of the two tariff registers; blank keeps the meter's country's name
    (``telegram.specs.TARIFF_CONVENTIONS``). Read through ``readings.tariffs``."""

    tariff_1_name = models.CharField(max_length=TARIFF_NAME_LENGTH, blank=True, default="")
    tariff_2_name = models.CharField(max_length=TARIFF_NAME_LENGTH, blank=True, default="")

    class Meta:
        verbose_name = "tariff names"
        verbose_name_plural = "tariff names"

    def __str__(self) -> str:
        return "tariff names"


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
