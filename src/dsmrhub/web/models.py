"""Settings of the web pages that users change at run time."""

from __future__ import annotations

from django.db import models

from dsmrhub.db.singleton import Singleton


class WebSettings(Singleton):
    """One row: whether every page needs a login, not only the ones that change something."""

    require_login = models.BooleanField(
        default=False, help_text="Require a login for every page, not only for settings and edits."
    )

    class Meta:
        verbose_name_plural = "web settings"

    def __str__(self) -> str:
        return "web settings"


class LoginFailure(models.Model):
    """Failed logins of one client address or one username, for the login throttle (dsmrhub.web.login).

    In the database rather than Django's cache: the cache is per process, and the web server runs
    several worker processes."""

    key = models.CharField(max_length=200, unique=True)  # "address:<ip>" or "username:<name>"
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
