"""Everything derived from readings (and contracts): rebuildable at any time, never edited by hand.

Time-keyed rows use their moment as primary key (epoch seconds, like readings), so ``id`` is that moment.
"""

from __future__ import annotations

from django.db import models

from dsmrhub.db.singleton import Singleton
from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField
from dsmrhub.readings.models import CURRENT, POSITION, POWER, VOLTAGE, epoch_seconds

MONEY = {"max_digits": 12, "decimal_places": 2}
FIXED = {"max_digits": 12, "decimal_places": 6}


class ElectricityConsumption(models.Model):
    """One minute (read_at − 60 s, read_at] that has readings: last positions, mean powers."""

    read_at = EpochSecondsField(primary_key=True)
    delivered_1 = ScaledDecimalField(**POSITION)
    returned_1 = ScaledDecimalField(**POSITION)
    delivered_2 = ScaledDecimalField(**POSITION)
    returned_2 = ScaledDecimalField(**POSITION)
    currently_delivered = ScaledDecimalField(**POWER)
    currently_returned = ScaledDecimalField(**POWER)
    phase_currently_delivered_l1 = ScaledDecimalField(**POWER, null=True)
    phase_currently_delivered_l2 = ScaledDecimalField(**POWER, null=True)
    phase_currently_delivered_l3 = ScaledDecimalField(**POWER, null=True)
    phase_currently_returned_l1 = ScaledDecimalField(**POWER, null=True)
    phase_currently_returned_l2 = ScaledDecimalField(**POWER, null=True)
    phase_currently_returned_l3 = ScaledDecimalField(**POWER, null=True)
    phase_voltage_l1 = ScaledDecimalField(**VOLTAGE, null=True)
    phase_voltage_l2 = ScaledDecimalField(**VOLTAGE, null=True)
    phase_voltage_l3 = ScaledDecimalField(**VOLTAGE, null=True)
    phase_power_current_l1 = ScaledDecimalField(**CURRENT, null=True)
    phase_power_current_l2 = ScaledDecimalField(**CURRENT, null=True)
    phase_power_current_l3 = ScaledDecimalField(**CURRENT, null=True)
    # The gas value carried by the minute's last reading: gas hours are built from these, not from readings.
    gas_timestamp = EpochSecondsField(null=True, db_index=True)
    gas_delivered = ScaledDecimalField(**POSITION, null=True)

    class Meta:
        ordering = ["read_at"]

    def __str__(self) -> str:
        return f"electricity minute {self.read_at:%Y-%m-%d %H:%M}Z"

    @property
    def id(self) -> int:
        return epoch_seconds(self.read_at)


class GasConsumption(models.Model):
    """Gas rows at ``ProcessingSettings.gas_resolution`` (``processing.gas``). "hour" (default): one local
    hour [read_at, read_at + 1 h) with gas values: position at its end, use within it. "meter": one gas
    value, read_at its own stamp: the position then, use since the value before."""

    read_at = EpochSecondsField(primary_key=True)
    delivered = ScaledDecimalField(**POSITION)
    currently_delivered = ScaledDecimalField(**POSITION)

    class Meta:
        ordering = ["read_at"]

    def __str__(self) -> str:
        return f"gas hour {self.read_at:%Y-%m-%d %H:%M}Z"

    @property
    def id(self) -> int:
        return epoch_seconds(self.read_at)


class HourStatistics(models.Model):
    """Consumption in one complete local hour: position at its end − position at its start."""

    hour_start = EpochSecondsField(primary_key=True)
    electricity1 = ScaledDecimalField(**POSITION)
    electricity2 = ScaledDecimalField(**POSITION)
    electricity1_returned = ScaledDecimalField(**POSITION)
    electricity2_returned = ScaledDecimalField(**POSITION)
    gas = ScaledDecimalField(**POSITION)
    # History brought in from DSMR-reader for a period whose readings are gone (processing.history).
    imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["hour_start"]
        verbose_name_plural = "hour statistics"

    def __str__(self) -> str:
        return f"hour {self.hour_start:%Y-%m-%d %H:%M}Z"

    @property
    def id(self) -> int:
        return epoch_seconds(self.hour_start)


class QuarterStatistics(models.Model):
    """Electricity in one complete quarter hour [quarter_start, quarter_start + 15 min): position at its
    end − position at its start, by the hours' rule (``processing.positions``); clock-aligned (% 900 s)."""

    quarter_start = EpochSecondsField(primary_key=True)
    delivered_1 = ScaledDecimalField(**POSITION)
    delivered_2 = ScaledDecimalField(**POSITION)
    returned_1 = ScaledDecimalField(**POSITION)
    returned_2 = ScaledDecimalField(**POSITION)

    class Meta:
        ordering = ["quarter_start"]
        verbose_name_plural = "quarter statistics"

    def __str__(self) -> str:
        return f"quarter {self.quarter_start:%Y-%m-%d %H:%M}Z"

    @property
    def id(self) -> int:
        return epoch_seconds(self.quarter_start)


class DayStatistics(models.Model):
    """Consumption and costs of one complete local day (midnight to midnight in settings.TIME_ZONE)."""

    day = models.DateField(primary_key=True)
    electricity1 = ScaledDecimalField(**POSITION)
    electricity2 = ScaledDecimalField(**POSITION)
    electricity1_returned = ScaledDecimalField(**POSITION)
    electricity2_returned = ScaledDecimalField(**POSITION)
    gas = ScaledDecimalField(**POSITION)
    electricity1_reading = ScaledDecimalField(**POSITION)  # meter positions at the start of the day
    electricity2_reading = ScaledDecimalField(**POSITION)
    electricity1_returned_reading = ScaledDecimalField(**POSITION)
    electricity2_returned_reading = ScaledDecimalField(**POSITION)
    gas_reading = ScaledDecimalField(**POSITION, null=True)
    # Costs by the cost engine (processing.costs); null: unknown, because ``costs_missing`` periods had use
    # but no price (a gap in a dynamic contract's market prices, imported history a band or price changes
    # within). Never 0.00 for what is unknown.
    electricity1_cost = ScaledDecimalField(**MONEY, null=True)
    electricity2_cost = ScaledDecimalField(**MONEY, null=True)
    gas_cost = ScaledDecimalField(**MONEY, null=True)
    fixed_cost = ScaledDecimalField(**FIXED)
    total_cost = ScaledDecimalField(**MONEY, null=True)
    costs_missing = models.PositiveIntegerField(default=0)
    # History brought in from DSMR-reader for a day whose readings are gone (processing.history).
    imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["day"]
        verbose_name_plural = "day statistics"

    def __str__(self) -> str:
        return f"day {self.day.isoformat()}"

    @property
    def id(self) -> int:
        return int(self.day.strftime("%Y%m%d"))


class MeterEpoch(models.Model):
    """A register that went down (meter replaced or reset): the drop is not booked as consumption."""

    timestamp = EpochSecondsField()  # the first reading after the drop
    register = models.CharField(max_length=32)
    before = ScaledDecimalField(**POSITION)
    after = ScaledDecimalField(**POSITION)

    class Meta:
        ordering = ["timestamp", "register"]
        indexes = [models.Index(fields=["timestamp"], name="processing_epoch_ts")]

    def __str__(self) -> str:
        return (
            f"{self.register} went from {self.before} to {self.after} at {self.timestamp:%Y-%m-%d %H:%M:%S}Z"
        )


class PendingMinute(models.Model):
    """UTC minutes (Unix seconds // 60) whose readings changed; written by database triggers on readings."""

    minute = models.IntegerField(primary_key=True)
    touched = models.SmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"pending minute {self.minute}"


GAS_RESOLUTIONS = [
    ("hour", "one row per hour"),
    ("meter", "one row per gas value, at the meter's own resolution (every 5 minutes on DSMR 5)"),
]


class ProcessingSettings(Singleton):
    """A single row: how processing shapes what it derives (changed by ``processing_settings_update``)."""

    gas_resolution = models.CharField(max_length=8, choices=GAS_RESOLUTIONS, default="hour")

    class Meta:
        verbose_name_plural = "processing settings"

    def __str__(self) -> str:
        return "processing settings"


class ProcessingState(Singleton):
    """A single row: what the processor last did."""

    last_run_at = models.DateTimeField(null=True)
    last_duration = models.FloatField(default=0)
    last_error = models.TextField(blank=True, default="")
    contracts_fingerprint = models.CharField(max_length=200, blank=True, default="")
    # the resolution the stored gas rows were built with; the processor rebuilds them when the setting differs
    gas_resolution = models.CharField(max_length=8, choices=GAS_RESOLUTIONS, default="hour")

    def __str__(self) -> str:
        return "processing state"


class QuarantinedReading(models.Model):
    """A stored reading the processor cannot place: its time (or its gas value's time) is implausible.

    Kept out of processing and shown on the status page until the reading is deleted (or, when it was
    ahead of the clock, until its time has come). Times are Unix seconds as stored, since a row written
    by hand may not even be a valid date.
    """

    reading_at = models.BigIntegerField(primary_key=True)  # the reading's timestamp (its id in the API)
    gas_at = models.BigIntegerField(null=True)  # its extra_device_timestamp
    whole = models.BooleanField()  # False: only the gas value is left out; the electricity values count
    reason = models.CharField(max_length=300)
    quarantined_at = models.DateTimeField()

    class Meta:
        ordering = ["reading_at"]

    def __str__(self) -> str:
        return f"reading {self.reading_at} set aside: {self.reason}"
