"""Settings of the web pages that users change at run time."""

from __future__ import annotations

from django.db import models


class WebSettings(models.Model):
    """One row (pk=1): whether every page needs a login, not only the ones that change something."""

    require_login = models.BooleanField(
        default=False, help_text="Require a login for every page, not only for settings and edits."
    )

    class Meta:
        verbose_name_plural = "web settings"

    def __str__(self) -> str:
        return "web settings"
