"""API settings and key checks, shared by the v1 view, the v2 authentication and the CLI."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dsmrhub.api.models import APISettings, api_key_generate
from dsmrhub.db import raw
from dsmrhub.db.singleton import SINGLETON_ID

logger = logging.getLogger(__name__)

_SETTINGS_SQL = f'SELECT "allow", "auth_key" FROM "{APISettings._meta.db_table}" WHERE "id" = %s'


def api_settings_get() -> APISettings:
    return APISettings.load()


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
    row = raw.fetch_one(_SETTINGS_SQL, [SINGLETON_ID])
    if row is None:
        settings = api_settings_get()
        return settings.allow, settings.auth_key
    return bool(row[0]), row[1] or ""


def api_check_request_key(*, authorization: str | None, legacy_key: str | None, client: str = "") -> KeyCheck:
    """Check the ``Authorization: Token …`` header (or the deprecated ``X-AUTHKEY``); a wrong key is
    logged with the ``client`` address (at most one line per address a minute)."""
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
        _failed_keys.note(client)
        return KeyCheck(401, "Invalid API key")
    return KeyCheck(200)


class _FailedKeyLog:
    """One warning line per client address per ``window`` seconds, counting the attempts in between.

    Per process: it bounds the log's growth, it is no defence in itself (a wrong key costs the caller a
    401 and nothing more). Only the failure path takes the lock; a right key never gets here.
    """

    def __init__(
        self, *, window: float = 60.0, max_addresses: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.clock = clock
        self.max_addresses = max_addresses
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, int]] = {}  # address -> (time of its last line, attempts since)

    def note(self, client: str) -> None:
        now = self.clock()
        address = client or "an unknown address"
        with self._lock:
            logged_at, suppressed = self._seen.get(address, (None, 0))
            if logged_at is not None and now - logged_at < self.window:
                self._seen[address] = (logged_at, suppressed + 1)
                return
            if len(self._seen) >= self.max_addresses:
                self._forget_older_than(now - self.window)
            self._seen[address] = (now, 0)
        more = f" ({suppressed} more since the last line, not logged)" if suppressed else ""
        logger.warning("API request with a wrong key from %s%s", address, more)

    def _forget_older_than(self, moment: float) -> None:
        for address, (logged_at, _) in list(self._seen.items()):
            if logged_at < moment:
                del self._seen[address]
        if len(self._seen) >= self.max_addresses:  # a flood from many addresses: start again
            self._seen.clear()


_failed_keys = _FailedKeyLog()
