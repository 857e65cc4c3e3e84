"""Where alerts go (Apprise URLs, secrets), the problems already announced, and the messages waiting."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models

from dsmrhub.db.singleton import Singleton


class AlertSettings(Singleton):
    """Alerts on or off, and the optional daily summary of yesterday's use and cost."""

    enabled = models.BooleanField(default=True)
    daily_summary = models.BooleanField(default=False)
    summary_hour = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(23)])

    class Meta:
        verbose_name = "alert settings"
        verbose_name_plural = "alert settings"


class AlertTarget(models.Model):
    """One Apprise URL (ntfy://…, tgram://…, mailto://…, json://…). Secret: never shown again after entry."""

    url = models.CharField(max_length=2000)
    label = models.CharField(max_length=300, default="")  # the URL with its secrets masked, for the pages
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "alert target"

    def __str__(self) -> str:
        return f"alert target {self.pk}"  # never the URL: it holds secrets


class AnnouncedProblem(models.Model):
    """A problem that is there and has been announced; its row goes when the problem clears."""

    key = models.CharField(max_length=300, unique=True)
    text = models.TextField()
    appeared_at = models.DateTimeField()

    class Meta:
        ordering = ["appeared_at"]

    def __str__(self) -> str:
        return self.key


class AlertMessage(models.Model):
    """A message waiting for delivery to one target; retried with a growing pause until delivered."""

    target = models.ForeignKey(AlertTarget, on_delete=models.CASCADE, related_name="messages")
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class AlertState(Singleton):
    """Deliveries so far, for the status page."""

    sent = models.PositiveIntegerField(default=0)
    failed_attempts = models.PositiveIntegerField(default=0)
    dropped = models.PositiveIntegerField(default=0)  # messages given up (too old or too many waiting)
    last_sent_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True)
    last_check_at = models.DateTimeField(null=True)
    last_summary_day = models.DateField(null=True)

    class Meta:
        verbose_name = "alert state"
