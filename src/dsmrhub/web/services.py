"""Services of the web pages' own settings."""

from __future__ import annotations

from dsmrhub.web.models import WebSettings


def web_settings_get() -> WebSettings:
    settings, _ = WebSettings.objects.get_or_create(pk=1)
    return settings


def web_settings_update(*, require_login: bool) -> WebSettings:
    settings = web_settings_get()
    settings.require_login = require_login
    settings.save(update_fields=["require_login"])
    return settings
