"""Backup settings and state, and the version of dsmrhub that last migrated the database (one row each)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from dsmrhub.db.singleton import Singleton

KEEP_DEFAULT = 7  # daily backups kept: a week


class BackupSettings(Singleton):
    """The daily backup ``dsmrhub run`` makes: on or off, at which local hour, where, how many kept."""

    daily = models.BooleanField(default=True)
    hour = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(23)], help_text="local hour of the day"
    )
    keep = models.PositiveSmallIntegerField(
        default=KEEP_DEFAULT, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    directory = models.CharField(max_length=500, blank=True, help_text="empty: backups/ in the data dir")

    class Meta:
        verbose_name = "backup settings"
        verbose_name_plural = "backup settings"


class BackupState(Singleton):
    """The last backup made or tried, for the status page and the alerts."""

    last_attempt_at = models.DateTimeField(null=True)
    last_success_at = models.DateTimeField(null=True)
    last_file = models.CharField(max_length=500, blank=True)
    last_size = models.BigIntegerField(null=True)
    last_error = models.CharField(max_length=500, blank=True)
    failures = models.PositiveIntegerField(default=0)  # failed attempts since the last success

    class Meta:
        verbose_name = "backup state"


class DatabaseVersion(Singleton):
    """The dsmrhub version whose ``migrate`` last ran on this database (written after every migrate)."""

    version = models.CharField(max_length=40)
    migrated_at = models.DateTimeField()

    class Meta:
        verbose_name = "database version"
