"""M-Bus devices (gas, water, heat, cooling, unknown) and their consumption, derived from the stored M-Bus
values (``readings.MBusReading``) by ``processing.devices``; the hand-set kinds and the prices per m³/GJ.

Positions and uses are in the kind's unit (``devices.kinds``), with six decimals: a heat meter that counts
kWh converts to GJ exactly (1 kWh = 0.0036 GJ). Every row is a pure function of the M-Bus values and the
overrides, rebuilt by ``processing.devices.devices_refresh``.
"""

from __future__ import annotations

from django.db import models

from dsmrhub.db.singleton import Singleton
from dsmrhub.devices.kinds import GAS, KINDS, MEASURED_KINDS
from dsmrhub.readings.fields import EpochSecondsField, ScaledDecimalField

POSITION = {"max_digits": 18, "decimal_places": 6}
PRICE = {"max_digits": 12, "decimal_places": 6}  # € per m³ / GJ, as the contract's prices
KIND_CHOICES = [(kind.key, kind.label) for kind in KINDS]
PRICED_KINDS = tuple(key for key in MEASURED_KINDS if key != GAS)  # gas is priced by the energy contract
PRICED_KIND_CHOICES = [(kind.key, kind.label) for kind in KINDS if kind.key in PRICED_KINDS]


class Device(models.Model):
    """One device as seen on one channel: a swap (new identifier or kind) or a move to another channel is
    a new row; ``first_seen``/``last_seen`` are the meter stamps of its first and latest value."""

    channel = models.PositiveSmallIntegerField()
    identifier = models.CharField(max_length=96, blank=True, default="")
    device_type = models.PositiveSmallIntegerField(null=True, blank=True)  # 0-n:24.1.0 as sent
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    unit = models.CharField(max_length=16, blank=True, default="")  # of ``position``
    raw_unit = models.CharField(max_length=16, blank=True, default="")  # as the meter sends it
    first_seen = EpochSecondsField()
    last_seen = EpochSecondsField()
    position = ScaledDecimalField(**POSITION)  # at ``last_seen``

    class Meta:
        ordering = ["channel", "first_seen"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "identifier", "kind"], name="devices_device_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} on channel {self.channel} ({self.identifier or 'no identifier'})"


class DeviceOverride(models.Model):
    """The kind of a channel set by hand: for meters that send no (or a wrong) type line."""

    channel = models.PositiveSmallIntegerField(unique=True)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)

    class Meta:
        ordering = ["channel"]
        verbose_name = "device kind override"

    def __str__(self) -> str:
        return f"channel {self.channel} is {self.kind}"


class _Use(models.Model):
    channel = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    unit = models.CharField(max_length=16, blank=True, default="")
    position = ScaledDecimalField(**POSITION)  # at the period's end (its last value)
    use = ScaledDecimalField(**POSITION)  # within the period; never negative (``DeviceEpoch``)

    class Meta:
        abstract = True


class DeviceHour(_Use):
    """A local hour [start, start + 1 h) of one channel: the values stamped in (start, start + 1 h]."""

    start = EpochSecondsField()

    class Meta:
        ordering = ["start", "channel"]
        constraints = [models.UniqueConstraint(fields=["channel", "start"], name="devices_hour_unique")]
        indexes = [models.Index(fields=["kind", "start"], name="devices_hour_kind")]

    def __str__(self) -> str:
        return f"{self.kind} channel {self.channel} hour {self.start:%Y-%m-%d %H:%M}Z: {self.use} {self.unit}"


class DeviceFiveMinutes(_Use):
    """Five minutes [start, start + 5 min) of one channel, written for the hours in which the device sent
    more than one value (DSMR 5 meters: every five minutes); they add up to their ``DeviceHour``."""

    start = EpochSecondsField()

    class Meta:
        ordering = ["start", "channel"]
        constraints = [models.UniqueConstraint(fields=["channel", "start"], name="devices_five_unique")]
        indexes = [models.Index(fields=["kind", "start"], name="devices_five_kind")]
        verbose_name_plural = "device five minutes"

    def __str__(self) -> str:
        return f"{self.kind} channel {self.channel} at {self.start:%Y-%m-%d %H:%M}Z: {self.use} {self.unit}"


class DeviceDay(_Use):
    """A local day of one channel: the sum of its hours; ``position`` at the day's last value."""

    day = models.DateField()

    class Meta:
        ordering = ["day", "channel"]
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="devices_day_unique")]
        indexes = [models.Index(fields=["kind", "day"], name="devices_day_kind")]

    def __str__(self) -> str:
        return f"{self.kind} channel {self.channel} on {self.day}: {self.use} {self.unit}"


class DeviceEpoch(models.Model):
    """A device whose register went down or was replaced: the step is not booked as use."""

    timestamp = EpochSecondsField()  # the first value after the step
    channel = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    reason = models.CharField(max_length=16)  # "drop" (register went down) or "new device"
    before = ScaledDecimalField(**POSITION)
    after = ScaledDecimalField(**POSITION)

    class Meta:
        ordering = ["timestamp", "channel"]
        indexes = [models.Index(fields=["timestamp"], name="devices_epoch_ts")]

    def __str__(self) -> str:
        return f"{self.kind} channel {self.channel}: {self.reason} {self.before} → {self.after}"


class DevicePrice(models.Model):
    """The price of a unit of water, heat or cooling (€ per m³ or GJ), valid from ``start`` through ``end``
    (both inclusive; none = open-ended). Gas is priced by the energy contract (``prices``)."""

    kind = models.CharField(max_length=16, choices=PRICED_KIND_CHOICES)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    price = ScaledDecimalField(**PRICE)

    class Meta:
        ordering = ["kind", "start"]

    def __str__(self) -> str:
        return f"{self.kind} {self.price} from {self.start}"


class DevicesState(Singleton):
    """Whether the device rows were built from all stored M-Bus values (cleared when an override changes,
    so the processor's next pass rebuilds them), and the overrides they were built with ("channel=kind,…"):
    the channels whose gas an override change makes or unmakes are the ones gas is recomputed for."""

    built = models.BooleanField(default=False)
    overrides = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "devices state"
