"""API settings and key checks, shared by the v1 view, the v2 authentication and the CLI."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from dsmrhub.api.models import APISettings, api_key_generate
from dsmrhub.db import raw

logger = logging.getLogger(__name__)

SETTINGS_ID = 1
_SETTINGS_SQL = f'SELECT "allow", "auth_key" FROM "{APISettings._meta.db_table}" WHERE "id" = %s'


def api_settings_get() -> APISettings:
    settings, _ = APISettings.objects.get_or_create(pk=SETTINGS_ID)
    return settings


def api_settings_update(*, allow: bool | None = None, auth_key: str | None = None) -> APISettings:
    settings = api_settings_get()
    if allow is not None:
        settings.allow = allow
    if auth_key is not None:
        auth_key = auth_key.strip()
        if len(auth_key) < 16:
            raise ValueError("an API key needs at least 16 characters")
        settings.auth_key = auth_key
    settings.save()
    return settings


def api_key_rotate() -> APISettings:
    settings = api_settings_get()
    settings.auth_key = api_key_generate()
    settings.save()
    return settings


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """Outcome of checking a request's credentials: ``status`` is 200, 401 or 403."""

    status: int
    detail: str = ""


def _allow_and_key() -> tuple[bool, str]:
    """The two settings every API request needs, in one small query (the ORM's costs more than the rest)."""
    row = raw.fetch_one(_SETTINGS_SQL, [SETTINGS_ID])
    if row is None:
        settings = api_settings_get()
        return settings.allow, settings.auth_key
    return bool(row[0]), row[1] or ""


def api_check_request_key(*, authorization: str | None, legacy_key: str | None) -> KeyCheck:
    """Check the ``Authorization: Token …`` header (or the deprecated ``X-AUTHKEY``)."""
    allow, expected = _allow_and_key()
    if not allow:
        return KeyCheck(403, "API is disabled")
    key = None
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "token" or not value.strip():
            return KeyCheck(401, "Invalid Authorization header: expected 'Token <key>'")
        key = value.strip()
    elif legacy_key is not None:
        logger.warning("API client authenticated with the deprecated X-AUTHKEY header; use Authorization")
        key = legacy_key.strip()
    if key is None:
        return KeyCheck(401, "Authentication credentials were not provided")
    if not key or not expected or not hmac.compare_digest(key.encode(), expected.encode()):
        return KeyCheck(401, "Invalid API key")
    return KeyCheck(200)
