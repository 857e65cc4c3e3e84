"""The datalogger's settings (edited by the user) and its live state (written by the datalogger)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from dsmrhub.datalogger.sources import source_from_url
from dsmrhub.db.singleton import Singleton


def validate_source_url(value: str) -> None:
    if not value:
        return
    try:
        source_from_url(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def validate_hex_key(value: str) -> None:
    if not value:
        return
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ValidationError("the key must be hexadecimal") from None
    if len(raw) != 16:
        raise ValidationError("the key must be 32 hexadecimal digits (16 bytes)")


class DataloggerSettings(Singleton):
    """What the datalogger reads and how; re-read by a running datalogger within seconds. One row."""

    source = models.CharField(
        max_length=500,
        blank=True,
        default="",
        validators=[validate_source_url],
        help_text="serial:///dev/ttyUSB0[?preset=auto|dsmr4|dsmr22], socket://HOST:PORT, "
        "replay:FILE[?speed=N] or demo[?interval=S]. Empty: none (nothing is read until one is set).",
    )
    decryption_key = models.CharField(
        max_length=32,
        blank=True,
        default="",
        validators=[validate_hex_key],
        help_text="Encrypted meters (Luxembourg Smarty, …): the 32-hex-digit key from the grid operator.",
    )
    authentication_key = models.CharField(
        max_length=32,
        blank=True,
        default="",
        validators=[validate_hex_key],
        help_text="Encrypted meters: the authentication key, if the operator gave one (optional).",
    )
    min_interval = models.FloatField(
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Store at most one telegram per this many seconds (0: every telegram).",
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "datalogger settings"
        verbose_name_plural = "datalogger settings"

    def __str__(self) -> str:
        return "datalogger settings"


class DataloggerState(Singleton):
    """What the running datalogger last reported. One row."""

    source = models.CharField(max_length=500, blank=True, default="")
    connected = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # heartbeat
    last_telegram_at = models.DateTimeField(null=True, blank=True)
    telegrams_per_minute = models.FloatField(default=0)
    received_telegrams = models.PositiveBigIntegerField(default=0)
    rejected_telegrams = models.PositiveBigIntegerField(default=0)
    buffered_telegrams = models.PositiveIntegerField(default=0)
    buffer_error = models.TextField(blank=True, default="")  # the buffer cannot be written now
    held_telegrams = models.PositiveIntegerField(default=0)  # waiting in memory for the buffer
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "datalogger state"
        verbose_name_plural = "datalogger state"

    def __str__(self) -> str:
        return "datalogger state"
