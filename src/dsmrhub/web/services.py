"""Services of the web pages' own settings."""

from __future__ import annotations

from dsmrhub.web.models import WebSettings


def web_settings_get() -> WebSettings:
    return WebSettings.load()


def web_settings_update(*, require_login: bool) -> WebSettings:
    settings = web_settings_get()
    settings.require_login = require_login
    settings.save(update_fields=["require_login"])
    return settings
