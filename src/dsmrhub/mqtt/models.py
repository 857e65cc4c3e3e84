"""MQTT: the broker settings (edited by the user), the publisher's state, and the outbox of messages."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from dsmrhub.db.singleton import Singleton

validate_topic_prefix = RegexValidator(
    r"^[^#+/\s][^#+\s]*[^#+/\s]$|^[^#+/\s]$",
    "a topic prefix has no spaces, '#' or '+', and does not start or end with '/'",
)


def node_id_new() -> str:
    """A node id of this install alone: Home Assistant's device identifier and the unique_id prefix of every
    sensor, so two dsmrhub instances on one Home Assistant (or one broker) never collide. Made once, when the
    settings row is created (or by the migration for an install that had the old shared default)."""
    return f"dsmrhub_{secrets.token_hex(4)}"


class MQTTSettings(Singleton):
    """Where and what to publish; a running publisher re-reads it within a second. One row."""

    enabled = models.BooleanField(default=False, help_text="Publish to the broker.")
    host = models.CharField(max_length=255, default="127.0.0.1")
    port = models.PositiveIntegerField(
        default=1883, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    tls = models.BooleanField(default=False, help_text="Connect with TLS.")
    tls_ca_file = models.CharField(
        max_length=500,
        blank=True,
        default="",
        help_text="PEM file with the CA certificate(s) that signed the broker's certificate; "
        "empty: the system's CA certificates.",
    )
    tls_insecure = models.BooleanField(
        default=False,
        help_text="INSECURE: accept any broker certificate and host name (encrypts, but anyone in the "
        "path can pose as the broker and read the password). For testing only.",
    )
    username = models.CharField(max_length=255, blank=True, default="")
    password = models.CharField(max_length=255, blank=True, default="", help_text="Never shown again.")
    client_id = models.CharField(max_length=100, blank=True, default="dsmrhub")
    qos = models.PositiveSmallIntegerField(default=1, choices=[(0, "0"), (1, "1"), (2, "2")])
    prefix = models.CharField(max_length=100, default="dsmr", validators=[validate_topic_prefix])
    publish_raw = models.BooleanField(default=True, help_text="The raw telegram on <prefix>/raw.")
    publish_json = models.BooleanField(default=True, help_text="Each reading as JSON on <prefix>/json.")
    publish_split = models.BooleanField(
        default=True, help_text="Each reading field on <prefix>/reading/<field>."
    )
    publish_meter_stats = models.BooleanField(default=True, help_text="<prefix>/meter-stats/<field>.")
    publish_day_totals = models.BooleanField(default=True, help_text="<prefix>/day-consumption/<field>.")
    publish_period_totals = models.BooleanField(
        default=True, help_text="<prefix>/current-month/<field> and <prefix>/current-year/<field>."
    )
    publish_gas = models.BooleanField(
        default=True, help_text="Each new gas hour on <prefix>/consumption/gas/."
    )
    publish_quarter_peaks = models.BooleanField(
        default=True,
        help_text="Each completed quarter hour on <prefix>/consumption/quarter-hour-peak-electricity/.",
    )
    publish_running_quarter = models.BooleanField(
        default=True,
        help_text="The running quarter hour's average and projected peak (kW) on "
        "<prefix>/consumption/quarter-hour-peak-electricity/ (Belgian capacity tariff).",
    )
    publish_prices = models.BooleanField(
        default=True, help_text="The price per kWh now and next on <prefix>/prices/."
    )
    discovery = models.BooleanField(default=True, help_text="Home Assistant MQTT discovery.")
    discovery_prefix = models.CharField(
        max_length=100, default="homeassistant", validators=[validate_topic_prefix]
    )
    node_id = models.SlugField(
        max_length=64,
        default=node_id_new,
        help_text="Home Assistant device id and unique_id prefix; different on every install.",
    )
    currency = models.CharField(max_length=8, default="EUR", help_text="Unit of the cost sensors.")
    outbox_max = models.PositiveIntegerField(
        default=100_000, validators=[MinValueValidator(100)], help_text="Oldest messages are dropped beyond."
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "MQTT settings"
        verbose_name_plural = "MQTT settings"

    def __str__(self) -> str:
        return "MQTT settings"

    def clean(self) -> None:
        if self.tls_ca_file:
            path = Path(self.tls_ca_file).expanduser()
            if not path.is_file():
                raise ValidationError({"tls_ca_file": f"no such file: {self.tls_ca_file}"})
            if not os.access(path, os.R_OK):
                raise ValidationError({"tls_ca_file": f"cannot read {self.tls_ca_file}"})


class MQTTState(Singleton):
    """What the publisher has done and last saw. One row."""

    reading_watermark = models.BigIntegerField(
        null=True, blank=True
    )  # Unix seconds of the last reading queued
    gas_watermark = models.BigIntegerField(null=True, blank=True)  # Unix seconds of the last gas hour queued
    discovery = models.JSONField(default=dict, blank=True)  # config topic -> payload, as last queued
    connected = models.BooleanField(default=False)
    broker = models.CharField(max_length=300, blank=True, default="")
    published_messages = models.PositiveBigIntegerField(default=0)
    dropped_messages = models.PositiveBigIntegerField(default=0)
    last_published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # heartbeat

    class Meta:
        verbose_name = "MQTT state"
        verbose_name_plural = "MQTT state"

    def __str__(self) -> str:
        return "MQTT state"


class OutboxMessage(models.Model):
    """A message waiting for the broker's acknowledgement; deleted once acknowledged (QoS 1/2) or sent."""

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(max_length=255)
    payload = models.TextField(blank=True, default="")
    retain = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.topic
